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
 *
 * "rebind" moves the io controller between cgroup v2 and v1 and back,
 * with I/O, io.stat and blkio.reset_stats on the way (see the case).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "blkio_v1_util.h"

#define IO_BYTES	(64 << 10)

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

/*
 * From a child task moved into @cg (left where it is if @cg is NULL):
 * write IO_BYTES with O_DIRECT and, if @rd, read them back.  0 on success.
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

		if (cg && write_file(cg, "cgroup.procs", "0"))
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

/*
 * rebind: the io controller moves from cgroup v2 to a v1 blkio hierarchy
 * and back, ROUND_TRIPS times, with I/O on each side.  Its root css
 * (blkcg_root) and every disk's root blkg are the same on both sides.  On
 * v2, a child with the io controller enabled does I/O, which queues its
 * iostat on the lockless list of pending updates, and is removed before
 * anything reads it; then the root's io.stat is read.  On v1,
 * blkio.reset_stats is written in a child and in the root.  Upstream
 * commit 6da668063279 ("blk-cgroup: fix list corruption from resetting io
 * stat") made reset_stats stop memset()ing per-cpu iostat that may be
 * queued on that list.  This is a smoke test of that sequence, not a
 * reproducer: on neither base is anything reset_stats touches on the list
 * by then.  Every step must succeed, and nothing may show in the kernel
 * log (WARNING, BUG, list corruption).
 *
 * io binds to v1 only while it has no css on v2 but the root's
 * (rebind_subsystems() answers EBUSY, which mount_v1() retries), so the
 * case skips if cgroup v2 uses it, and it enables io in the v2 root's
 * cgroup.subtree_control only for the time of each v2 half.  It returns to v2 once the v1 hierarchy
 * is unmounted with no cgroup left but its root (cgroup_kill_sb()) and that
 * root is released, asynchronously: blkio's hierarchy id in /proc/cgroups
 * goes back to 0.  All mounts are in a mount namespace of the case's own.
 */
#define ROUND_TRIPS	4
/* Bound on each wait for the io controller to move to the other side */
#define REBIND_MS	10000

/* Whether the space-separated list in @dir/@name holds @word */
static int list_has(const char *dir, const char *name, const char *word)
{
	char buf[4096], *tok, *save = NULL;

	if (read_file(dir, name, buf, sizeof(buf)) < 0)
		return 0;
	for (tok = strtok_r(buf, "\n ", &save); tok;
	     tok = strtok_r(NULL, "\n ", &save))
		if (!strcmp(tok, word))
			return 1;
	return 0;
}

/* The value of @key= on the "MAJ:MIN ..." line of @dir/io.stat, or -1 */
static long long io_stat(const char *dir, unsigned int maj, unsigned int min,
			 const char *key)
{
	char buf[16384], *line, *tok, *save = NULL, *tsave;
	size_t klen = strlen(key);
	unsigned int ma, mi;
	int n;

	if (read_file(dir, "io.stat", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%u:%u%n", &ma, &mi, &n) != 2 ||
		    ma != maj || mi != min)
			continue;
		tsave = NULL;
		for (tok = strtok_r(line + n, " ", &tsave); tok;
		     tok = strtok_r(NULL, " ", &tsave))
			if (!strncmp(tok, key, klen) && tok[klen] == '=')
				return strtoll(tok + klen + 1, NULL, 10);
	}
	return -1;
}

/* Whether the io controller is on cgroup v2, whose root is @v2 */
static int io_on_v2(const char *v2)
{
	int hier, num;

	return !blkio_row(&hier, &num) && !hier &&
	       list_has(v2, "cgroup.controllers", "io");
}

/* Wait, up to @ms, until the io controller is on cgroup v2 */
static int wait_io_on_v2(const char *v2, int ms)
{
	int waited;

	for (waited = 0; waited < ms; waited += 10) {
		if (io_on_v2(v2))
			return 0;
		sleep_ms(10);
	}
	return -ETIMEDOUT;
}

/* Whether this task is in the root cgroup of cgroup v2 */
static int in_v2_root(void)
{
	char line[PATH_MAX + 64];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int ret = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "0::", 3)) {
			ret = !strcmp(line + 3, "/\n");
			break;
		}
	}
	fclose(f);
	return ret;
}

FIXTURE(blkio_rebind) {
	char v2[PATH_MAX];	/* the root of cgroup v2 */
	char v2mnt[64];		/* our own cgroup2 mount, if there was none */
	char mnt[64];		/* where v1 blkio is mounted, a round at a time */
	char child[96];
	char v2child[PATH_MAX + 16];
	int io_added;
	int loop, idx;
	unsigned int maj, min;
	int mounted, base;
	int ready;
};

/*
 * Leave the io controller on cgroup v2, as found: 0, or -ETIMEDOUT if it
 * does not get back there.  Also after a failure or a skip in setup,
 * whose teardown the harness skips.
 */
static int blkio_rebind_cleanup(FIXTURE_DATA(blkio_rebind) * self)
{
	int ret = 0;

	if (self->loop >= 0)
		loop_del(self->loop, self->idx);
	self->loop = -1;
	if (self->child[0])
		rmdir(self->child);
	self->child[0] = '\0';
	if (self->v2child[0])
		rmdir(self->v2child);
	self->v2child[0] = '\0';
	if (self->io_added)
		write_file(self->v2, "cgroup.subtree_control", "-io");
	self->io_added = 0;
	if (self->mounted) {
		wait_v1_cgroups(self->base, REBIND_MS);
		umount(self->mnt);
		ret = wait_io_on_v2(self->v2, REBIND_MS);
	}
	self->mounted = 0;
	if (self->mnt[0])
		rmdir(self->mnt);
	self->mnt[0] = '\0';
	if (self->v2mnt[0]) {
		umount(self->v2mnt);
		rmdir(self->v2mnt);
	}
	self->v2mnt[0] = '\0';
	return ret;
}

/*
 * A private mount namespace, the root of cgroup v2 (mounted there if it
 * is not mounted), and why the case cannot run without disturbing the
 * host, or NULL if it can.
 */
static const char *blkio_rebind_prepare(FIXTURE_DATA(blkio_rebind) * self)
{
	static char why[1024];
	int v1_blkio = 0, hier, num;
	struct mntent *m;
	FILE *f;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return "cannot make a private mount namespace";
	f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return "cannot read /proc/self/mounts";
	while ((m = getmntent(f))) {
		if (!self->v2[0] && !strcmp(m->mnt_type, "cgroup2"))
			snprintf(self->v2, sizeof(self->v2), "%s", m->mnt_dir);
		if (!strcmp(m->mnt_type, "cgroup") && hasmntopt(m, "blkio"))
			v1_blkio = 1;
	}
	endmntent(f);
	if (v1_blkio)
		return "cgroup v1 blkio is mounted: the host uses it";
	if (!self->v2[0]) {
		snprintf(self->v2mnt, sizeof(self->v2mnt),
			 "/tmp/blkio-v2.XXXXXX");
		if (!mkdtemp(self->v2mnt)) {
			self->v2mnt[0] = '\0';
			return "cannot make a mount point for cgroup2";
		}
		if (mount("none", self->v2mnt, "cgroup2", 0, NULL)) {
			rmdir(self->v2mnt);
			self->v2mnt[0] = '\0';
			return "cannot mount cgroup2";
		}
		snprintf(self->v2, sizeof(self->v2), "%s", self->v2mnt);
	}
	if (blkio_row(&hier, &num))
		return "no blkio controller in /proc/cgroups";
	/* The hierarchy of an earlier case may still be going away */
	if (hier && wait_io_on_v2(self->v2, REBIND_MS)) {
		snprintf(why, sizeof(why),
			 "blkio stays on cgroup v1 hierarchy %d", hier);
		return why;
	}
	if (!list_has(self->v2, "cgroup.controllers", "io"))
		return "the io controller is not available on cgroup v2";
	/*
	 * A cgroup can enable only what its parent enables: if the root does
	 * not enable io, no cgroup does and io has no css but the root's.
	 */
	if (list_has(self->v2, "cgroup.subtree_control", "io")) {
		snprintf(why, sizeof(why),
			 "io is enabled in %.900s/cgroup.subtree_control: cgroup v2 uses it",
			 self->v2);
		return why;
	}
	if (!in_v2_root())
		return "not in the root cgroup of cgroup v2";
	return NULL;
}

FIXTURE_SETUP(blkio_rebind)
{
	const char *why;
	int ret;

	self->loop = -1;
	self->mounted = 0;
	self->ready = 0;
	self->v2[0] = '\0';
	self->v2mnt[0] = '\0';
	self->mnt[0] = '\0';
	self->child[0] = '\0';
	self->v2child[0] = '\0';
	self->io_added = 0;
	if (access("/dev/loop-control", W_OK))
		SKIP(return, "no /dev/loop-control (CONFIG_BLK_DEV_LOOP)");
	why = blkio_rebind_prepare(self);
	if (why) {
		blkio_rebind_cleanup(self);
		SKIP(return, "%s", why);
	}
	snprintf(self->mnt, sizeof(self->mnt), "/tmp/blkio-rebind.XXXXXX");
	if (!mkdtemp(self->mnt)) {
		ret = -errno;
		self->mnt[0] = '\0';
		blkio_rebind_cleanup(self);
		ASSERT_EQ(0, ret) TH_LOG("mkdtemp: %s", strerror(-ret));
	}
	self->ready = 1;
}

FIXTURE_TEARDOWN(blkio_rebind)
{
	int ret = blkio_rebind_cleanup(self);

	EXPECT_EQ(0, ret) TH_LOG("the io controller is not back on cgroup v2");
}

/*
 * On cgroup v2: I/O from a child with io enabled and from the root; the
 * child goes (loop device first: its workers hold the child, see
 * loop_del()) before anything reads its iostat, io is disabled again, and
 * the root's io.stat counts all of the I/O.
 */
static int rebind_v2_io(struct __test_metadata *_metadata,
			FIXTURE_DATA(blkio_rebind) * self, int round)
{
	long long rb = -1, wb = -1;
	int ret;

	ret = io_on_v2(self->v2);
	EXPECT_EQ(1, ret) TH_LOG("round %d: io is not on cgroup v2", round);
	if (ret != 1)
		return -1;
	ret = write_file(self->v2, "cgroup.subtree_control", "+io");
	EXPECT_EQ(0, ret) TH_LOG("round %d: enabling io in %s: %s", round,
				 self->v2, strerror(-ret));
	if (ret)
		return -1;
	self->io_added = 1;
	snprintf(self->v2child, sizeof(self->v2child), "%s/kst-rebind",
		 self->v2);
	ret = mkdir(self->v2child, 0755) ? -errno : 0;
	EXPECT_EQ(0, ret) TH_LOG("round %d: mkdir %s: %s", round,
				 self->v2child, strerror(-ret));
	if (ret) {
		self->v2child[0] = '\0';
		return -1;
	}
	self->loop = loop_new(&self->idx, &self->maj, &self->min);
	EXPECT_LE(0, self->loop) TH_LOG("round %d: no loop device", round);
	if (self->loop < 0)
		return -1;
	ret = io_in_cgroup(self->v2child, self->maj, self->min, 1);
	EXPECT_EQ(0, ret) TH_LOG("round %d: I/O from %s to %u:%u failed",
				 round, self->v2child, self->maj, self->min);
	if (!ret) {
		ret = io_in_cgroup(NULL, self->maj, self->min, 1);
		EXPECT_EQ(0, ret)
			TH_LOG("round %d: I/O from the v2 root to %u:%u failed",
			       round, self->maj, self->min);
	}
	if (!ret) {
		/* The root's io.stat: the disk's own counters, both tasks */
		wb = io_stat(self->v2, self->maj, self->min, "wbytes");
		rb = io_stat(self->v2, self->maj, self->min, "rbytes");
		EXPECT_LE(2 * IO_BYTES, wb)
			TH_LOG("round %d: %s/io.stat: %u:%u wbytes=%lld",
			       round, self->v2, self->maj, self->min, wb);
		EXPECT_LE(2 * IO_BYTES, rb)
			TH_LOG("round %d: %s/io.stat: %u:%u rbytes=%lld",
			       round, self->v2, self->maj, self->min, rb);
		if (wb < 2 * IO_BYTES || rb < 2 * IO_BYTES)
			ret = -1;
	}
	loop_del(self->loop, self->idx);
	self->loop = -1;
	if (rmdir(self->v2child)) {
		ret = -errno;
		EXPECT_EQ(0, ret) TH_LOG("round %d: rmdir %s: %s", round,
					 self->v2child, strerror(-ret));
		return -1;
	}
	self->v2child[0] = '\0';
	if (write_file(self->v2, "cgroup.subtree_control", "-io")) {
		EXPECT_EQ(0, 1) TH_LOG("round %d: disabling io in %s", round,
				       self->v2);
		return -1;
	}
	self->io_added = 0;
	return ret ? -1 : 0;
}

/*
 * Bind io to a new v1 blkio hierarchy: 0, or 1 if the first round finds
 * no cgroup v1 blkio with blk-throttle, else -1.
 */
static int rebind_to_v1(struct __test_metadata *_metadata,
			FIXTURE_DATA(blkio_rebind) * self, int round)
{
	char path[PATH_MAX];
	int ret = mount_v1(self->mnt);

	if (!round && (ret == -ENOENT || ret == -ENODEV || ret == -EINVAL ||
		       ret == -EPERM))
		return 1;
	EXPECT_EQ(0, ret) TH_LOG("round %d: mounting cgroup v1 blkio: %s",
				 round, strerror(-ret));
	if (ret)
		return -1;
	self->mounted = 1;
	self->base = v1_blkio_cgroups();
	EXPECT_LE(1, self->base)
		TH_LOG("round %d: blkio is not on the v1 hierarchy", round);
	if (self->base < 1)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", self->mnt, throttle_stats[0]);
	if (!round && access(path, F_OK))
		return 1;
	return 0;
}

/*
 * On cgroup v1: I/O from a child, counted by blk-throttle (which
 * count_some_io() checks), and reset_stats in the child and in the root.
 * What the reset leaves is the other cases' business: this one passes
 * whether or not blk-throttle resets its counters.
 */
static int rebind_v1_io(struct __test_metadata *_metadata,
			FIXTURE_DATA(blkio_rebind) * self, int round)
{
	int ret;

	snprintf(self->child, sizeof(self->child), "%s/kst-rebind", self->mnt);
	ret = mkdir(self->child, 0755) ? -errno : 0;
	EXPECT_EQ(0, ret) TH_LOG("round %d: mkdir %s: %s", round, self->child,
				 strerror(-ret));
	if (ret) {
		self->child[0] = '\0';
		return -1;
	}
	self->loop = loop_new(&self->idx, &self->maj, &self->min);
	EXPECT_LE(0, self->loop) TH_LOG("round %d: no loop device", round);
	if (self->loop < 0)
		return -1;
	ret = count_some_io(_metadata, self->child, self->mnt, self->maj,
			    self->min);
	EXPECT_EQ(0, ret) TH_LOG("round %d: the child's I/O was not counted",
				 round);
	if (ret)
		return -1;
	ret = write_file(self->child, "blkio.reset_stats", "1");
	EXPECT_EQ(0, ret) TH_LOG("round %d: child blkio.reset_stats: %s",
				 round, strerror(-ret));
	if (ret)
		return -1;
	ret = write_file(self->mnt, "blkio.reset_stats", "1");
	EXPECT_EQ(0, ret) TH_LOG("round %d: root blkio.reset_stats: %s",
				 round, strerror(-ret));
	if (ret)
		return -1;
	return 0;
}

/*
 * Give io back to cgroup v2: delete the loop device (its workers hold the
 * child, see loop_del()), remove the child, unmount once it has gone, and
 * wait for the hierarchy to let go of io.  How long that last wait took,
 * from the unmount, goes to @ms.
 */
static int rebind_to_v2(struct __test_metadata *_metadata,
			FIXTURE_DATA(blkio_rebind) * self, int round, long *ms)
{
	long t;
	int ret;

	loop_del(self->loop, self->idx);
	self->loop = -1;
	ret = rmdir(self->child) ? -errno : 0;
	EXPECT_EQ(0, ret) TH_LOG("round %d: rmdir %s: %s", round, self->child,
				 strerror(-ret));
	if (ret)
		return -1;
	self->child[0] = '\0';
	/* Unmounted with a cgroup left, the hierarchy would stay */
	ret = wait_v1_cgroups(self->base, REBIND_MS);
	EXPECT_EQ(0, ret)
		TH_LOG("round %d: the removed v1 cgroup stays after %d ms",
		       round, REBIND_MS);
	if (ret)
		return -1;
	t = now_ms();
	ret = umount(self->mnt) ? -errno : 0;
	EXPECT_EQ(0, ret) TH_LOG("round %d: umount %s: %s", round, self->mnt,
				 strerror(-ret));
	if (ret)
		return -1;
	self->mounted = 0;
	ret = wait_io_on_v2(self->v2, REBIND_MS);
	*ms = now_ms() - t;
	EXPECT_EQ(0, ret)
		TH_LOG("round %d: io is not back on cgroup v2 %d ms after the unmount",
		       round, REBIND_MS);
	return ret ? -1 : 0;
}

/*
 * ROUND_TRIPS times: I/O and the root's io.stat on v2, mount v1 blkio,
 * I/O and reset_stats on v1, unmount and wait for io to be back on v2.
 * Failures are EXPECTs and the case returns: the teardown cleans up.
 */
TEST_F_TIMEOUT(blkio_rebind, rebind, 60)
{
	long start, to_v1, to_v2;
	int round, ret;

	/* 5.10's harness runs the test after a skip in setup */
	if (!self->ready)
		SKIP(return, "setup skipped");
	for (round = 0; round < ROUND_TRIPS; round++) {
		start = now_ms();
		if (rebind_v2_io(_metadata, self, round))
			return;
		to_v1 = now_ms();
		ret = rebind_to_v1(_metadata, self, round);
		if (ret > 0)
			SKIP(return, "no cgroup v1 blkio with blk-throttle");
		if (ret)
			return;
		to_v1 = now_ms() - to_v1;
		if (rebind_v1_io(_metadata, self, round) ||
		    rebind_to_v2(_metadata, self, round, &to_v2))
			return;
		TH_LOG("round %d: io to v1 in %ld ms, back to v2 in %ld ms, round trip %ld ms",
		       round, to_v1, to_v2, now_ms() - start);
	}
}

TEST_HARNESS_MAIN
