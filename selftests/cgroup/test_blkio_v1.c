// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1 blkio: blkio.reset_stats resets blk-throttle's counters
 * (blkio.throttle.io_service_bytes and io_serviced, local and recursive).
 *
 * Real components only: a v1 blkio hierarchy and a loop device
 * over a memfd, written and read with O_DIRECT from a task in a child
 * cgroup.  Throttling is activated with a limit far above what the test
 * does, so that blk-throttle counts at all (mainline sets it up lazily,
 * at the first limit).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"

#define LOOP_BYTES	(8 << 20)
#define IO_BYTES	(64 << 10)
/* Where to look for a free loop device number of our own */
#define LOOP_FIRST	64
/* Far above anything the test does: activates throttling, never delays */
#define HUGE_BPS	"1099511627776"
/* Bound on waiting for a dying hierarchy to let go of the io controller */
#define WAIT_MS		20000

static int write_file(const char *dir, const char *name, const char *val)
{
	char path[PATH_MAX];
	ssize_t len = strlen(val), ret;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, len);
	if (ret < 0)
		ret = -errno;
	close(fd);
	return ret == len ? 0 : (ret < 0 ? ret : -EIO);
}

static ssize_t read_file(const char *dir, const char *name, char *buf,
			 size_t size)
{
	char path[PATH_MAX];
	ssize_t n, got = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < (ssize_t)size - 1) {
		n = read(fd, buf + got, size - 1 - got);
		if (n < 0) {
			got = -errno;
			break;
		}
		if (!n)
			break;
		got += n;
	}
	close(fd);
	if (got >= 0)
		buf[got] = '\0';
	return got;
}

/*
 * The value of "MAJ:MIN KEY N" in a blkg_rwstat file, 0 if that line is
 * absent (a blkg with nothing counted prints nothing on some bases), or -1
 * if the file cannot be read.
 */
static long long rwstat(const char *dir, const char *name, unsigned int maj,
			unsigned int min, const char *key)
{
	unsigned int ma, mi;
	unsigned long long v;
	char buf[16384], k[16], *line, *save = NULL;

	if (read_file(dir, name, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%u:%u %15s %llu", &ma, &mi, k, &v) == 4 &&
		    ma == maj && mi == min && !strcmp(k, key))
			return v;
	}
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Close and delete the loop device.  Only its deletion frees the loop
 * driver's per-cgroup workers, each of which holds the cgroup that issued
 * I/O (for a minute after its last I/O otherwise), and a cgroup that is
 * held keeps the whole v1 hierarchy, and the io controller with it.
 */
static void loop_del(int fd, int idx)
{
	int ctl, waited;

	close(fd);
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return;
	/* The detach at the last close may still be under way: EBUSY */
	for (waited = 0; waited < WAIT_MS; waited += 20) {
		if (ioctl(ctl, LOOP_CTL_REMOVE, idx) >= 0 || errno != EBUSY)
			break;
		sleep_ms(20);
	}
	close(ctl);
}

/*
 * A loop device of our own over a zeroed memfd, detached at its last
 * close.  LOOP_CTL_ADD of a number nobody uses, not LOOP_CTL_GET_FREE,
 * which may hand out someone else's idle device, which loop_del() would
 * then delete.
 */
static int loop_new(int *idx, unsigned int *maj, unsigned int *min)
{
	struct loop_config cfg = { .info.lo_flags = LO_FLAGS_AUTOCLEAR };
	int mfd, ctl, fd = -1, n = -1, i;
	char path[32];
	struct stat st;

	mfd = memfd_create("blkio-v1-test", MFD_CLOEXEC);
	if (mfd < 0)
		return -1;
	ctl = ftruncate(mfd, LOOP_BYTES) ? -1 :
	      open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	for (i = LOOP_FIRST; ctl >= 0 && i < LOOP_FIRST + 1024; i++) {
		n = ioctl(ctl, LOOP_CTL_ADD, i);
		if (n >= 0 || errno != EEXIST)
			break;
	}
	if (n >= 0) {
		snprintf(path, sizeof(path), "/dev/loop%d", n);
		fd = open(path, O_RDWR | O_CLOEXEC);
		cfg.fd = mfd;
		if (fd >= 0 && ioctl(fd, LOOP_CONFIGURE, &cfg)) {
			close(fd);
			fd = -1;
		}
		if (fd < 0)
			ioctl(ctl, LOOP_CTL_REMOVE, n);
	}
	if (ctl >= 0)
		close(ctl);
	close(mfd);
	if (fd >= 0 && fstat(fd, &st)) {
		loop_del(fd, n);
		fd = -1;
	}
	if (fd < 0)
		return -1;
	*idx = n;
	*maj = major(st.st_rdev);
	*min = minor(st.st_rdev);
	return fd;
}

/*
 * From a child task moved into @cg: write IO_BYTES with O_DIRECT and, if
 * @rd, read them back.  0 on success.
 */
static int io_in_cgroup(const char *cg, unsigned int maj, unsigned int min,
			int rd)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		char path[64];
		void *buf;
		int fd;

		if (write_file(cg, "cgroup.procs", "0"))
			_exit(2);
		snprintf(path, sizeof(path), "/dev/block/%u:%u", maj, min);
		fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
		if (fd < 0) {
			/* No /dev/block links: make our own node */
			snprintf(path, sizeof(path), "/tmp/blkio-v1-%d",
				 getpid());
			if (mknod(path, S_IFBLK | 0600, makedev(maj, min)))
				_exit(3);
			fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
			unlink(path);
			if (fd < 0)
				_exit(3);
		}
		if (posix_memalign(&buf, 4096, IO_BYTES))
			_exit(4);
		memset(buf, 0x5a, IO_BYTES);
		if (pwrite(fd, buf, IO_BYTES, 0) != IO_BYTES)
			_exit(5);
		if (rd && pread(fd, buf, IO_BYTES, 0) != IO_BYTES)
			_exit(6);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Mount a v1 blkio hierarchy on @dir.  While a hierarchy that had the io
 * controller is still dying, the kernel answers EBUSY: retry, bounded.
 */
static int mount_v1(const char *dir)
{
	int waited;

	for (waited = 0; waited < WAIT_MS; waited += 20) {
		if (!mount("blkio", dir, "cgroup", 0, "blkio"))
			return 0;
		if (errno != EBUSY)
			return -errno;
		sleep_ms(20);
	}
	return -EBUSY;
}

/* The cgroups of the v1 hierarchy holding blkio (/proc/cgroups), or -1 */
static int v1_blkio_cgroups(void)
{
	char line[256], name[64];
	int hier, num, enabled, ret = -1;
	FILE *f = fopen("/proc/cgroups", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %d %d %d", name, &hier, &num,
			   &enabled) == 4 && !strcmp(name, "blkio")) {
			ret = hier ? num : -1;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * Unmount a v1 blkio hierarchy once it has no more cgroups than @base, the
 * count it had when mounted (1 unless the host uses it).  A
 * removed cgroup stays until its last reference (its blkgs) goes, and a
 * hierarchy unmounted while one is left is not destroyed (cgroup_kill_sb()):
 * it would keep the io controller from cgroup v2.
 */
static int umount_v1(const char *dir, int base)
{
	int waited;

	for (waited = 0; waited < WAIT_MS; waited += 20) {
		if (v1_blkio_cgroups() <= base)
			break;
		sleep_ms(20);
	}
	if (umount(dir))
		return -errno;
	return waited < WAIT_MS ? 0 : -EBUSY;
}

static const char *const throttle_stats[] = {
	"blkio.throttle.io_service_bytes",
	"blkio.throttle.io_serviced",
	"blkio.throttle.io_service_bytes_recursive",
	"blkio.throttle.io_serviced_recursive",
};

/* Why every case skips, once one found out: each would wait WAIT_MS */
static const char *v1_unavailable;

FIXTURE(blkio_v1) {
	char mnt[64];
	char parent[128];
	char child[160];
	int loop, idx;
	unsigned int maj, min;
	int mounted, base;
	int ready;
};

/* Also after a failure in setup, whose teardown the harness skips */
static void blkio_v1_cleanup(FIXTURE_DATA(blkio_v1) * self)
{
	if (self->loop >= 0)
		loop_del(self->loop, self->idx);
	self->loop = -1;
	if (self->child[0])
		rmdir(self->child);
	if (self->parent[0])
		rmdir(self->parent);
	self->child[0] = '\0';
	self->parent[0] = '\0';
	if (self->mounted)
		umount_v1(self->mnt, self->base);
	self->mounted = 0;
	rmdir(self->mnt);
}

FIXTURE_SETUP(blkio_v1)
{
	int ret;

	self->loop = -1;
	self->mounted = 0;
	self->parent[0] = '\0';
	self->child[0] = '\0';
	if (access("/dev/loop-control", W_OK))
		SKIP(return, "no /dev/loop-control (CONFIG_BLK_DEV_LOOP)");
	if (v1_unavailable)
		SKIP(return, "%s", v1_unavailable);
	snprintf(self->mnt, sizeof(self->mnt), "/tmp/blkio-v1.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
	/* The harness skips the teardown after a skip here: clean up first */
	ret = mount_v1(self->mnt);
	if (ret)
		rmdir(self->mnt);
	if (ret == -ENOENT || ret == -ENODEV || ret == -EINVAL)
		v1_unavailable = "no cgroup v1 blkio controller";
	if (ret == -EBUSY)
		v1_unavailable = "the io controller is in use on cgroup v2";
	if (v1_unavailable)
		SKIP(return, "%s", v1_unavailable);
	ASSERT_EQ(0, ret) TH_LOG("mount blkio: %s", strerror(-ret));
	self->mounted = 1;
	self->base = v1_blkio_cgroups();
	snprintf(self->parent, sizeof(self->parent),
		 "%s/blkio.throttle.io_service_bytes", self->mnt);
	if (access(self->parent, F_OK)) {
		self->parent[0] = '\0';
		blkio_v1_cleanup(self);
		v1_unavailable = "no blk-throttle (CONFIG_BLK_DEV_THROTTLING)";
		SKIP(return, "%s", v1_unavailable);
	}

	snprintf(self->parent, sizeof(self->parent), "%s/kst-parent",
		 self->mnt);
	snprintf(self->child, sizeof(self->child), "%s/child", self->parent);
	if (mkdir(self->parent, 0755) || mkdir(self->child, 0755)) {
		ret = -errno;
		blkio_v1_cleanup(self);
		ASSERT_EQ(0, ret) TH_LOG("mkdir: %s", strerror(-ret));
	}
	self->loop = loop_new(&self->idx, &self->maj, &self->min);
	if (self->loop < 0) {
		blkio_v1_cleanup(self);
		ASSERT_LE(0, self->loop) TH_LOG("no loop device");
	}
	self->ready = 1;
}

/*
 * Activate throttling on the queue (or nothing is counted), do I/O from a
 * task in the child and check that it was counted, locally and from the
 * parent, so that no reset case can pass vacuously.
 *
 * The child does I/O before its limit is written, so that the I/O path
 * creates its blkg (and its parent's).  If the write had to create it,
 * blkg_conf_prep() would allocate (radix_tree_preload(GFP_KERNEL)) under
 * q->blkcg_mutex, which blkcg_activate_policy() takes with the queue
 * frozen: on v7.3-rc7 lockdep reports that as a possible circular
 * dependency (fs_reclaim -> q_usage_counter(io) -> blkcg_mutex), whatever
 * the test checks.
 */
static int count_some_io(struct __test_metadata *_metadata,
			 const char *child, const char *parent,
			 unsigned int maj, unsigned int min)
{
	char limit[64];
	int i;

	if (io_in_cgroup(child, maj, min, 1)) {
		TH_LOG("I/O from the child cgroup failed");
		return -1;
	}
	snprintf(limit, sizeof(limit), "%u:%u " HUGE_BPS, maj, min);
	if (write_file(child, "blkio.throttle.write_bps_device", limit) ||
	    write_file(child, "blkio.throttle.read_bps_device", limit)) {
		TH_LOG("cannot set a throttle limit on %u:%u", maj, min);
		return -1;
	}
	if (io_in_cgroup(child, maj, min, 1)) {
		TH_LOG("I/O from the child cgroup failed");
		return -1;
	}
	for (i = 0; i < 4; i++) {
		if (rwstat(child, throttle_stats[i], maj, min, "Total") <= 0) {
			TH_LOG("child %s counted nothing", throttle_stats[i]);
			return -1;
		}
	}
	for (i = 2; i < 4; i++) {
		if (rwstat(parent, throttle_stats[i], maj, min, "Total") <= 0) {
			TH_LOG("parent %s counted nothing", throttle_stats[i]);
			return -1;
		}
	}
	return 0;
}

/*
 * count_some_io(), then reset_stats on the child.  Failures are EXPECTs
 * and the caller returns: an ASSERT in a test body ends the test without
 * its teardown on 5.10, which would leave the v1 hierarchy mounted.
 */
static int count_and_reset(struct __test_metadata *_metadata,
			   FIXTURE_DATA(blkio_v1) * self)
{
	int ret = count_some_io(_metadata, self->child, self->parent,
				self->maj, self->min);

	if (!ret)
		ret = write_file(self->child, "blkio.reset_stats", "1");
	EXPECT_EQ(0, ret);
	return ret;
}

FIXTURE_TEARDOWN(blkio_v1)
{
	blkio_v1_cleanup(self);
}

/* The child's own counters read zero after its reset_stats */
TEST_F(blkio_v1, reset_local)
{
	/* 5.10's harness runs the test after a skip in setup */
	if (!self->ready)
		SKIP(return, "setup skipped");
	if (count_and_reset(_metadata, self))
		return;
	EXPECT_EQ(0, rwstat(self->child, throttle_stats[0], self->maj,
			    self->min, "Total"));
	EXPECT_EQ(0, rwstat(self->child, throttle_stats[1], self->maj,
			    self->min, "Total"));
	EXPECT_EQ(0, rwstat(self->child, throttle_stats[0], self->maj,
			    self->min, "Write"));
	EXPECT_EQ(0, rwstat(self->child, throttle_stats[1], self->maj,
			    self->min, "Read"));
}

/*
 * The recursive variants agree: once the only cgroup that did I/O is
 * reset, they read zero in it and in its parent.
 */
TEST_F(blkio_v1, reset_recursive)
{
	/* 5.10's harness runs the test after a skip in setup */
	if (!self->ready)
		SKIP(return, "setup skipped");
	if (count_and_reset(_metadata, self))
		return;
	EXPECT_EQ(0, rwstat(self->child, throttle_stats[2], self->maj,
			    self->min, "Total"));
	EXPECT_EQ(0, rwstat(self->child, throttle_stats[3], self->maj,
			    self->min, "Total"));
	EXPECT_EQ(0, rwstat(self->parent, throttle_stats[2], self->maj,
			    self->min, "Total"));
	EXPECT_EQ(0, rwstat(self->parent, throttle_stats[3], self->maj,
			    self->min, "Total"));
}

/* After a reset, new I/O is counted from zero, exactly */
TEST_F(blkio_v1, count_after_reset)
{
	/* 5.10's harness runs the test after a skip in setup */
	if (!self->ready)
		SKIP(return, "setup skipped");
	if (count_and_reset(_metadata, self))
		return;
	EXPECT_EQ(0, io_in_cgroup(self->child, self->maj, self->min, 0));
	EXPECT_EQ(IO_BYTES, rwstat(self->child, throttle_stats[0], self->maj,
				   self->min, "Write"));
	EXPECT_EQ(0, rwstat(self->child, throttle_stats[0], self->maj,
			    self->min, "Read"));
	EXPECT_EQ(IO_BYTES, rwstat(self->parent, throttle_stats[2], self->maj,
				   self->min, "Write"));
}

TEST_HARNESS_MAIN
