// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1 blkio: blkio.reset_stats resets blk-throttle's counters
 * (blkio.throttle.io_service_bytes and io_serviced, local and recursive),
 * and moving the io controller between v1 and v2 with I/O in between
 * leaves the kernel sane (with CONFIG_DEBUG_LIST, a corrupted list is
 * reported in the kernel log).
 *
 * Real components only: a v1 blkio hierarchy, cgroup2, and a loop device
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
/* Far above anything the test does: activates throttling, never delays */
#define HUGE_BPS	"1099511627776"
#define REBIND_ROUNDS	4
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

/* A loop device over a zeroed memfd, gone at its last close */
static int loop_new(unsigned int *maj, unsigned int *min)
{
	struct loop_config cfg = { .info.lo_flags = LO_FLAGS_AUTOCLEAR };
	int mfd, ctl, fd = -1, n, tries;
	char path[32];
	struct stat st;

	mfd = memfd_create("blkio-v1-test", MFD_CLOEXEC);
	if (mfd < 0)
		return -1;
	ctl = ftruncate(mfd, LOOP_BYTES) ? -1 :
	      open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	/* Someone else may take the free device first: retry */
	for (tries = 0; ctl >= 0 && fd < 0 && tries < 8; tries++) {
		n = ioctl(ctl, LOOP_CTL_GET_FREE);
		snprintf(path, sizeof(path), "/dev/loop%d", n);
		fd = n < 0 ? -1 : open(path, O_RDWR | O_CLOEXEC);
		cfg.fd = mfd;
		if (fd >= 0 && ioctl(fd, LOOP_CONFIGURE, &cfg)) {
			close(fd);
			fd = -1;
		}
	}
	if (ctl >= 0)
		close(ctl);
	close(mfd);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
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

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
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

static int has_word(const char *buf, const char *word)
{
	size_t len = strlen(word);
	const char *p;

	for (p = buf; (p = strstr(p, word)); p += len)
		if ((p == buf || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\n' || !p[len]))
			return 1;
	return 0;
}

static const char *const throttle_stats[] = {
	"blkio.throttle.io_service_bytes",
	"blkio.throttle.io_serviced",
	"blkio.throttle.io_service_bytes_recursive",
	"blkio.throttle.io_serviced_recursive",
};

FIXTURE(blkio_v1) {
	char mnt[64];
	char parent[128];
	char child[160];
	int loop;
	unsigned int maj, min;
	int mounted;
	int ready;
};

FIXTURE_SETUP(blkio_v1)
{
	int ret;

	self->loop = -1;
	self->mounted = 0;
	self->parent[0] = '\0';
	self->child[0] = '\0';
	if (access("/dev/loop-control", W_OK))
		SKIP(return, "no /dev/loop-control (CONFIG_BLK_DEV_LOOP)");
	strcpy(self->mnt, "/tmp/blkio-v1.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
	ret = mount_v1(self->mnt);
	if (ret == -ENOENT || ret == -ENODEV || ret == -EINVAL)
		SKIP(return, "no cgroup v1 blkio controller (%s)",
		     strerror(-ret));
	if (ret == -EBUSY)
		SKIP(return, "the io controller is in use on cgroup v2");
	ASSERT_EQ(0, ret) TH_LOG("mount blkio: %s", strerror(-ret));
	self->mounted = 1;
	snprintf(self->parent, sizeof(self->parent),
		 "%s/blkio.throttle.io_service_bytes", self->mnt);
	if (access(self->parent, F_OK)) {
		self->parent[0] = '\0';
		SKIP(return, "no blk-throttle (CONFIG_BLK_DEV_THROTTLING)");
	}

	snprintf(self->parent, sizeof(self->parent), "%s/kst-parent",
		 self->mnt);
	snprintf(self->child, sizeof(self->child), "%s/child", self->parent);
	ASSERT_EQ(0, mkdir(self->parent, 0755));
	ASSERT_EQ(0, mkdir(self->child, 0755));

	self->loop = loop_new(&self->maj, &self->min);
	ASSERT_LE(0, self->loop) TH_LOG("no loop device");
	self->ready = 1;
}

/*
 * Activate throttling on the queue (or nothing is counted), do I/O from a
 * task in the child and check that it was counted, locally and from the
 * parent, so that no reset case can pass vacuously.
 */
static int count_some_io(struct __test_metadata *_metadata,
			 const char *child, const char *parent,
			 unsigned int maj, unsigned int min)
{
	char limit[64];
	int i;

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

FIXTURE_TEARDOWN(blkio_v1)
{
	if (self->child[0])
		rmdir(self->child);
	if (self->parent[0])
		rmdir(self->parent);
	if (self->loop >= 0)
		close(self->loop);
	if (self->mounted)
		umount(self->mnt);
	rmdir(self->mnt);
}

/* The child's own counters read zero after its reset_stats */
TEST_F(blkio_v1, reset_local)
{
	/* 5.10's harness runs the test after a skip in setup */
	if (!self->ready)
		SKIP(return, "setup skipped");
	ASSERT_EQ(0, count_some_io(_metadata, self->child, self->parent,
				   self->maj, self->min));
	ASSERT_EQ(0, write_file(self->child, "blkio.reset_stats", "1"));
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
	ASSERT_EQ(0, count_some_io(_metadata, self->child, self->parent,
				   self->maj, self->min));
	ASSERT_EQ(0, write_file(self->child, "blkio.reset_stats", "1"));
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
	ASSERT_EQ(0, count_some_io(_metadata, self->child, self->parent,
				   self->maj, self->min));
	ASSERT_EQ(0, write_file(self->child, "blkio.reset_stats", "1"));
	ASSERT_EQ(0, io_in_cgroup(self->child, self->maj, self->min, 0));
	EXPECT_EQ(IO_BYTES, rwstat(self->child, throttle_stats[0], self->maj,
				   self->min, "Write"));
	EXPECT_EQ(0, rwstat(self->child, throttle_stats[0], self->maj,
			    self->min, "Read"));
	EXPECT_EQ(IO_BYTES, rwstat(self->parent, throttle_stats[2], self->maj,
				   self->min, "Write"));
}

FIXTURE(blkio_rebind) {
	char v1[64];
	char v2[64];
	int loop;
	unsigned int maj, min;
	int v2_mounted;
	int ready;
};

FIXTURE_SETUP(blkio_rebind)
{
	char buf[512];

	self->loop = -1;
	self->v2_mounted = 0;
	self->v1[0] = '\0';
	strcpy(self->v2, "/tmp/blkio-v2.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->v2));
	if (mount("cgroup2", self->v2, "cgroup2", 0, NULL))
		SKIP(return, "cannot mount cgroup2: %s", strerror(errno));
	self->v2_mounted = 1;
	ASSERT_LE(0, read_file(self->v2, "cgroup.controllers", buf,
			       sizeof(buf)));
	if (!has_word(buf, "io"))
		SKIP(return, "the io controller is bound to a v1 hierarchy");
	ASSERT_LE(0, read_file(self->v2, "cgroup.subtree_control", buf,
			       sizeof(buf)));
	if (has_word(buf, "io"))
		SKIP(return, "the io controller is in use on cgroup v2");
	if (access("/dev/loop-control", W_OK))
		SKIP(return, "no /dev/loop-control (CONFIG_BLK_DEV_LOOP)");
	strcpy(self->v1, "/tmp/blkio-v1.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->v1));
	self->loop = loop_new(&self->maj, &self->min);
	ASSERT_LE(0, self->loop) TH_LOG("no loop device");
	self->ready = 1;
}

FIXTURE_TEARDOWN(blkio_rebind)
{
	char path[PATH_MAX];

	if (self->v1[0]) {
		snprintf(path, sizeof(path), "%s/kst", self->v1);
		rmdir(path);
		umount(self->v1);
		rmdir(self->v1);
	}
	if (self->v2_mounted) {
		snprintf(path, sizeof(path), "%s/kst", self->v2);
		rmdir(path);
		write_file(self->v2, "cgroup.subtree_control", "-io");
		umount(self->v2);
	}
	rmdir(self->v2);
	if (self->loop >= 0)
		close(self->loop);
}

/*
 * Move the io controller v1 -> v2 -> v1 several times, with I/O in a child
 * on each side, reset_stats on v1 (child and root) and root io.stat read
 * on v2.  The blkgs of the root cgroup survive every rebind.
 */
TEST_F_TIMEOUT(blkio_rebind, v1_v2_cycles, 120)
{
	char cg[PATH_MAX], limit[64], buf[8192], key[32];
	int round, waited, ret;

	if (!self->ready)
		SKIP(return, "setup skipped");

	snprintf(limit, sizeof(limit), "%u:%u " HUGE_BPS, self->maj,
		 self->min);
	snprintf(key, sizeof(key), "%u:%u ", self->maj, self->min);
	for (round = 0; round < REBIND_ROUNDS; round++) {
		/* v1: I/O in a throttled child, then reset child and root */
		ret = mount_v1(self->v1);
		ASSERT_EQ(0, ret) TH_LOG("round %d: mount blkio: %s", round,
					 strerror(-ret));
		snprintf(cg, sizeof(cg), "%s/kst", self->v1);
		ASSERT_EQ(0, mkdir(cg, 0755));
		ASSERT_EQ(0, write_file(cg, "blkio.throttle.write_bps_device",
					limit));
		ASSERT_EQ(0, io_in_cgroup(cg, self->maj, self->min, 1));
		EXPECT_LT(0, rwstat(cg, throttle_stats[0], self->maj,
				    self->min, "Total"));
		ASSERT_EQ(0, write_file(cg, "blkio.reset_stats", "1"));
		ASSERT_EQ(0, write_file(self->v1, "blkio.reset_stats", "1"));
		ASSERT_LE(0, read_file(self->v1, throttle_stats[2], buf,
				       sizeof(buf)));
		ASSERT_EQ(0, rmdir(cg));
		ASSERT_EQ(0, umount(self->v1));

		/* v2: wait for io to come back, I/O in a child, io.stat */
		for (waited = 0; waited < WAIT_MS; waited += 20) {
			ASSERT_LE(0, read_file(self->v2, "cgroup.controllers",
					       buf, sizeof(buf)));
			if (has_word(buf, "io"))
				break;
			sleep_ms(20);
		}
		ASSERT_LT(waited, WAIT_MS) TH_LOG("round %d: io not back on v2",
						  round);
		ASSERT_EQ(0, write_file(self->v2, "cgroup.subtree_control",
					"+io"));
		snprintf(cg, sizeof(cg), "%s/kst", self->v2);
		ASSERT_EQ(0, mkdir(cg, 0755));
		ASSERT_EQ(0, io_in_cgroup(cg, self->maj, self->min, 1));
		ASSERT_LE(0, read_file(cg, "io.stat", buf, sizeof(buf)));
		EXPECT_NE(NULL, strstr(buf, key))
			TH_LOG("round %d: child io.stat: %s", round, buf);
		ASSERT_LE(0, read_file(self->v2, "io.stat", buf, sizeof(buf)));
		ASSERT_EQ(0, rmdir(cg));
		ASSERT_EQ(0, write_file(self->v2, "cgroup.subtree_control",
					"-io"));
	}
}

TEST_HARNESS_MAIN
