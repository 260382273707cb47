// SPDX-License-Identifier: GPL-2.0
/*
 * io.latency: the first configuration of a disk, done by many cgroups at
 * once, and bad input.
 *
 * blk-iolatency registers its rq_qos on a disk when io.latency is first
 * written for that disk.  Commit 4eb44d10766a ("block: remove init_mutex
 * and open-code blk_iolatency_try_init") dropped the global mutex that used
 * to serialise that first write; the disk's rq_qos_mutex, taken by
 * blkg_conf_open_bdev(), serialises it since.  This test guards behaviour
 * upstream already has: NR_CHILDREN cgroups, released together by a
 * barrier, configure a disk that has no latency rq_qos yet; every write
 * succeeds (rq_qos_add() refuses a second latency rq_qos with -EBUSY, so a
 * double initialisation would fail a write) and every cgroup reads back its
 * own target.  The disk is a loop device that is deleted with
 * LOOP_CTL_REMOVE and re-created every cycle: only del_gendisk() takes the
 * rq_qos away, so each cycle configures a disk for the first time.  Each
 * child reads from the disk before it is configured (see read_one_block()).
 * Kernels that set the rq_qos up with the queue (5.10) must give the same
 * results.
 *
 * Malformed input must fail with the documented error and leave every
 * cgroup's configuration as it was.  That includes a target whose
 * nanoseconds do not fit in 64 bits, which was accepted and wrapped around
 * to a short target until "blk-iolatency: refuse an io.latency target that
 * overflows"; the largest target that fits must still be taken as given.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <linux/loop.h>
#include <mntent.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../kselftest.h"
#include "cgroup_util.h"

#define NR_CHILDREN	8
#define NR_CYCLES	20
#define BACKING_SIZE	(1024 * 1024)
/* A block device number no driver registers (majors end at 4095). */
#define NO_SUCH_DEV	"4095:1048575"
/* Where to look for a free loop device number of our own. */
#define LOOP_FIRST	64
/* The largest target whose nanoseconds fit in 64 bits: U64_MAX / 1000. */
#define MAX_TARGET	"18446744073709551"

static char root[PATH_MAX];
static char mnt_dir[PATH_MAX];
static bool mounted, root_io_added;
static char *parent;
static char *child[NR_CHILDREN];
static int loop_ctl = -1, backing = -1;

struct loopdev {
	int idx;
	int fd;
	unsigned int major, minor;
};

/*
 * The cgroup2 mount, or a private one.  cg_find_unified_root() is not used:
 * its arguments differ between kernel versions and this file is shared with
 * the 5.10 series.
 */
static int setup_cgroup2_root(void)
{
	struct mntent *m;
	FILE *f;

	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return -1;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(root, sizeof(root), "%s", m->mnt_dir);
			endmntent(f);
			return 0;
		}
	}
	endmntent(f);

	/* Not mounted: mount it in a mount namespace of our own. */
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	snprintf(mnt_dir, sizeof(mnt_dir), "/tmp/test_iolatency.XXXXXX");
	if (!mkdtemp(mnt_dir))
		return -1;
	if (mount("none", mnt_dir, "cgroup2", 0, NULL)) {
		rmdir(mnt_dir);
		return -1;
	}
	mounted = true;
	snprintf(root, sizeof(root), "%s", mnt_dir);
	return 0;
}

/* True if the space-separated list in @control holds @word. */
static bool cg_list_has(const char *cgroup, const char *control,
			const char *word)
{
	char buf[4096], *tok, *save;

	if (cg_read(cgroup, control, buf, sizeof(buf)))
		return false;
	for (tok = strtok_r(buf, "\n ", &save); tok;
	     tok = strtok_r(NULL, "\n ", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

static void cleanup(void)
{
	if (parent) {
		rmdir(parent);
		free(parent);
		parent = NULL;
	}
	if (root_io_added)
		cg_write(root, "cgroup.subtree_control", "-io");
	if (mounted) {
		umount(mnt_dir);
		rmdir(mnt_dir);
	}
	if (backing >= 0)
		close(backing);
	if (loop_ctl >= 0)
		close(loop_ctl);
}

static void setup(void)
{
	char path[] = "/tmp/test_iolatency_backing.XXXXXX";
	char *probe;
	bool has_file;

	if (getuid())
		ksft_exit_skip("needs root\n");
	if (setup_cgroup2_root())
		ksft_exit_skip("no cgroup2 hierarchy: %s\n", strerror(errno));
	if (!cg_list_has(root, "cgroup.controllers", "io"))
		ksft_exit_skip("the io controller is not available on cgroup2\n");

	loop_ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (loop_ctl < 0) {
		cleanup();
		ksft_exit_skip("no /dev/loop-control: %s\n", strerror(errno));
	}
	backing = mkostemp(path, O_CLOEXEC);
	if (backing < 0 || unlink(path) || ftruncate(backing, BACKING_SIZE)) {
		cleanup();
		ksft_exit_fail_msg("backing file: %s\n", strerror(errno));
	}

	if (!cg_list_has(root, "cgroup.subtree_control", "io")) {
		if (cg_write(root, "cgroup.subtree_control", "+io")) {
			cleanup();
			ksft_exit_fail_msg("enabling io in %s: %s\n", root,
					   strerror(errno));
		}
		root_io_added = true;
	}
	parent = cg_name(root, "test_iolatency");
	if (!parent || cg_create(parent) ||
	    cg_write(parent, "cgroup.subtree_control", "+io")) {
		ksft_print_msg("creating %s: %s\n", parent ? parent : "cgroup",
			       strerror(errno));
		cleanup();
		ksft_exit_fail();
	}

	probe = cg_control(parent, "io.latency");
	has_file = probe && !access(probe, F_OK);
	free(probe);
	if (!has_file) {
		cleanup();
		ksft_exit_skip("no io.latency (CONFIG_BLK_CGROUP_IOLATENCY)\n");
	}
}

static int loop_create(struct loopdev *lo)
{
	char path[64];
	struct stat st;
	int idx;

	/*
	 * A loop device of our own (not LOOP_CTL_GET_FREE, which may hand
	 * out someone else's idle device, which we then would delete).
	 */
	lo->fd = -1;
	lo->idx = -1;
	for (idx = LOOP_FIRST; idx < LOOP_FIRST + 1024; idx++) {
		lo->idx = ioctl(loop_ctl, LOOP_CTL_ADD, idx);
		if (lo->idx >= 0 || errno != EEXIST)
			break;
	}
	if (lo->idx < 0) {
		ksft_print_msg("LOOP_CTL_ADD: %s\n", strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/loop%d", lo->idx);
	lo->fd = open(path, O_RDWR | O_CLOEXEC);
	if (lo->fd < 0) {
		ksft_print_msg("open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (ioctl(lo->fd, LOOP_SET_FD, backing)) {
		ksft_print_msg("LOOP_SET_FD %s: %s\n", path, strerror(errno));
		close(lo->fd);
		lo->fd = -1;
		return -1;
	}
	if (fstat(lo->fd, &st) || !S_ISBLK(st.st_mode)) {
		ksft_print_msg("%s is not a block device\n", path);
		return -1;
	}
	lo->major = major(st.st_rdev);
	lo->minor = minor(st.st_rdev);
	return 0;
}

/* Detach the backing file and delete the disk (del_gendisk()). */
static int loop_delete(struct loopdev *lo)
{
	int ret = 0;

	if (lo->idx < 0)
		return 0;
	if (lo->fd >= 0) {
		if (ioctl(lo->fd, LOOP_CLR_FD)) {
			ksft_print_msg("LOOP_CLR_FD loop%d: %s\n", lo->idx,
				       strerror(errno));
			ret = -1;
		}
		close(lo->fd);
		lo->fd = -1;
	}
	if (ioctl(loop_ctl, LOOP_CTL_REMOVE, lo->idx) < 0) {
		ksft_print_msg("LOOP_CTL_REMOVE loop%d: %s\n", lo->idx,
			       strerror(errno));
		ret = -1;
	}
	lo->idx = -1;
	return ret;
}

static int children_create(void)
{
	int i;

	for (i = 0; i < NR_CHILDREN; i++) {
		child[i] = cg_name_indexed(parent, "child", i);
		if (!child[i] || cg_create(child[i])) {
			ksft_print_msg("creating child %d: %s\n", i,
				       strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int children_destroy(void)
{
	int i, ret = 0;

	for (i = 0; i < NR_CHILDREN; i++) {
		if (!child[i])
			continue;
		if (rmdir(child[i]) && errno != ENOENT) {
			ksft_print_msg("rmdir %s: %s\n", child[i],
				       strerror(errno));
			ret = -1;
		}
		free(child[i]);
		child[i] = NULL;
	}
	return ret;
}

/*
 * Read one block of the disk with O_DIRECT from a task in @cgroup, so that
 * the I/O path creates the cgroup's blkg on the disk before io.latency is
 * written.  If the write had to create it, blkg_conf_prep() would allocate
 * (radix_tree_preload(GFP_KERNEL)) under q->blkcg_mutex, which
 * blkcg_activate_policy() takes with the queue frozen: on v7.3-rc7 lockdep
 * reports that as a possible circular dependency (fs_reclaim ->
 * q_usage_counter(io) -> blkcg_mutex), whatever the test checks.
 */
static int read_one_block(const char *cgroup, void *arg)
{
	const char *path = arg;
	void *buf;
	int fd, ret = EXIT_FAILURE;

	if (posix_memalign(&buf, 4096, 4096))
		return EXIT_FAILURE;
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, buf, 4096, 0) == 4096)
			ret = EXIT_SUCCESS;
		close(fd);
	}
	free(buf);
	return ret;
}

static int children_do_io(const struct loopdev *lo)
{
	char path[64];
	int i;

	snprintf(path, sizeof(path), "/dev/loop%d", lo->idx);
	for (i = 0; i < NR_CHILDREN; i++) {
		/* cg_run() forks: the child would print our buffer again */
		fflush(stdout);
		if (cg_run(child[i], read_one_block, path)) {
			ksft_print_msg("reading %s from %s failed\n", path,
				       child[i]);
			return -1;
		}
	}
	return 0;
}

static unsigned int target_of(int cycle, int i)
{
	return 1000 + 100 * cycle + i;
}

/* Every child reads back exactly its own target (0: none configured). */
static int check_targets(const struct loopdev *lo, const unsigned int *want)
{
	char buf[256], exp[64];
	int i, ret = 0;

	for (i = 0; i < NR_CHILDREN; i++) {
		if (want[i])
			snprintf(exp, sizeof(exp), "%u:%u target=%u\n",
				 lo->major, lo->minor, want[i]);
		else
			exp[0] = '\0';
		if (cg_read(child[i], "io.latency", buf, sizeof(buf))) {
			ksft_print_msg("reading %s/io.latency: %s\n", child[i],
				       strerror(errno));
			return -1;
		}
		if (strcmp(buf, exp)) {
			ksft_print_msg("%s/io.latency: '%s', want '%s'\n",
				       child[i], buf, exp);
			ret = -1;
		}
	}
	return ret;
}

struct writer {
	pthread_barrier_t *barrier;
	int fd;
	char buf[64];
	int err;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	size_t len = strlen(w->buf);
	ssize_t ret;

	pthread_barrier_wait(w->barrier);
	ret = write(w->fd, w->buf, len);
	if (ret < 0)
		w->err = errno;
	else if ((size_t)ret != len)
		w->err = EIO;
	return NULL;
}

/* One cycle: a new disk, NR_CHILDREN first writes at once, teardown. */
static int first_config_cycle(int cycle)
{
	struct writer w[NR_CHILDREN];
	pthread_t th[NR_CHILDREN];
	unsigned int want[NR_CHILDREN];
	pthread_barrier_t barrier;
	struct loopdev lo = { .idx = -1, .fd = -1 };
	int i, started = 0, ret = -1;

	if (pthread_barrier_init(&barrier, NULL, NR_CHILDREN))
		return -1;
	for (i = 0; i < NR_CHILDREN; i++)
		w[i].fd = -1;
	if (loop_create(&lo) || children_create() || children_do_io(&lo))
		goto out;

	for (i = 0; i < NR_CHILDREN; i++) {
		char *f = cg_control(child[i], "io.latency");

		want[i] = target_of(cycle, i);
		w[i].barrier = &barrier;
		w[i].err = 0;
		w[i].fd = f ? open(f, O_WRONLY | O_CLOEXEC) : -1;
		free(f);
		if (w[i].fd < 0) {
			ksft_print_msg("opening %s/io.latency: %s\n", child[i],
				       strerror(errno));
			goto out;
		}
		snprintf(w[i].buf, sizeof(w[i].buf), "%u:%u target=%u",
			 lo.major, lo.minor, want[i]);
	}
	for (started = 0; started < NR_CHILDREN; started++) {
		errno = pthread_create(&th[started], NULL, writer_fn,
				       &w[started]);
		if (errno) {
			ksft_print_msg("pthread_create: %s\n", strerror(errno));
			break;
		}
	}
	if (started < NR_CHILDREN) {
		/* The barrier would never open: nothing to recover here. */
		ksft_exit_fail_msg("started %d of %d writers\n", started,
				   NR_CHILDREN);
	}
	for (i = 0; i < NR_CHILDREN; i++)
		pthread_join(th[i], NULL);

	ret = 0;
	for (i = 0; i < NR_CHILDREN; i++) {
		if (w[i].err) {
			ksft_print_msg("cycle %d: writing '%s' to %s: %s\n",
				       cycle, w[i].buf, child[i],
				       strerror(w[i].err));
			ret = -1;
		}
	}
	if (check_targets(&lo, want))
		ret = -1;
out:
	for (i = 0; i < NR_CHILDREN; i++)
		if (w[i].fd >= 0)
			close(w[i].fd);
	if (children_destroy())
		ret = -1;
	if (loop_delete(&lo))
		ret = -1;
	pthread_barrier_destroy(&barrier);
	return ret;
}

static void test_first_config_concurrent(void)
{
	int cycle;

	for (cycle = 0; cycle < NR_CYCLES; cycle++) {
		if (first_config_cycle(cycle)) {
			ksft_test_result_fail("first_config_concurrent (cycle %d of %d)\n",
					      cycle + 1, NR_CYCLES);
			return;
		}
	}
	ksft_test_result_pass("first_config_concurrent\n");
}

/*
 * Write @body (after "MAJ:MIN " of the disk unless @dev is given) to the
 * first child and expect it to fail with @err.
 */
static int expect_reject(const struct loopdev *lo, const char *dev,
			 const char *body, int err)
{
	char buf[128];

	if (dev)
		snprintf(buf, sizeof(buf), "%s %s", dev, body);
	else
		snprintf(buf, sizeof(buf), "%u:%u %s", lo->major, lo->minor,
			 body);
	if (!cg_write(child[0], "io.latency", buf)) {
		ksft_print_msg("'%s' was accepted\n", buf);
		return -1;
	}
	if (errno != err) {
		ksft_print_msg("'%s' failed with %s, want %s\n", buf,
			       strerror(errno), strerror(err));
		return -1;
	}
	return 0;
}

/*
 * Malformed writes fail with @err: first on a disk no cgroup has configured
 * yet (nothing may be left configured, and the first valid configuration
 * must still work), then on a configured disk (nothing may change).
 */
static void test_bad_input(const char *name, const char *dev,
			   const char *const *bodies, int err)
{
	struct loopdev lo = { .idx = -1, .fd = -1 };
	unsigned int want[NR_CHILDREN] = { 0 };
	const char *const *b;
	int i, ret = -1;

	if (loop_create(&lo) || children_create() || children_do_io(&lo))
		goto out;

	for (b = bodies; *b; b++)
		if (expect_reject(&lo, dev, *b, err))
			goto out;
	if (check_targets(&lo, want))
		goto out;

	for (i = 0; i < NR_CHILDREN; i++) {
		char buf[64];

		want[i] = target_of(0, i);
		snprintf(buf, sizeof(buf), "%u:%u target=%u", lo.major,
			 lo.minor, want[i]);
		if (cg_write(child[i], "io.latency", buf)) {
			ksft_print_msg("writing '%s' to %s: %s\n", buf,
				       child[i], strerror(errno));
			goto out;
		}
	}
	for (b = bodies; *b; b++)
		if (expect_reject(&lo, dev, *b, err))
			goto out;
	if (check_targets(&lo, want))
		goto out;
	ret = 0;
out:
	if (children_destroy())
		ret = -1;
	if (loop_delete(&lo))
		ret = -1;
	ksft_test_result(!ret, "%s\n", name);
}

/* Write "MAJ:MIN @body" to the first child; 0 if it was accepted. */
static int write_first(const struct loopdev *lo, const char *body)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%u:%u %s", lo->major, lo->minor, body);
	if (cg_write(child[0], "io.latency", buf)) {
		ksft_print_msg("writing '%s' to %s: %s\n", buf, child[0],
			       strerror(errno));
		return -1;
	}
	return 0;
}

/* The first child's io.latency is exactly @want. */
static int read_first(const struct loopdev *lo, const char *want)
{
	char buf[256], exp[128];

	exp[0] = '\0';
	if (want)
		snprintf(exp, sizeof(exp), "%u:%u target=%s\n", lo->major,
			 lo->minor, want);
	if (cg_read(child[0], "io.latency", buf, sizeof(buf))) {
		ksft_print_msg("reading %s/io.latency: %s\n", child[0],
			       strerror(errno));
		return -1;
	}
	if (strcmp(buf, exp)) {
		ksft_print_msg("%s/io.latency: '%s', want '%s'\n", child[0],
			       buf, exp);
		return -1;
	}
	return 0;
}

/*
 * The largest target is taken and read back as given; "max" and 0 remove
 * the target.
 */
static void test_target_edges(void)
{
	struct loopdev lo = { .idx = -1, .fd = -1 };
	int ret = -1;

	if (loop_create(&lo) || children_create() || children_do_io(&lo))
		goto out;
	if (write_first(&lo, "target=" MAX_TARGET) ||
	    read_first(&lo, MAX_TARGET) ||
	    write_first(&lo, "target=max") || read_first(&lo, NULL) ||
	    write_first(&lo, "target=1") || read_first(&lo, "1") ||
	    write_first(&lo, "target=0") || read_first(&lo, NULL))
		goto out;
	ret = 0;
out:
	if (children_destroy())
		ret = -1;
	if (loop_delete(&lo))
		ret = -1;
	ksft_test_result(!ret, "target_edges\n");
}

static const char *const unknown_key[] = {
	"latency=500",
	"target=500 bogus=1",
	NULL
};

static const char *const missing_equals[] = {
	"target500",
	"target",
	NULL
};

/* Microseconds whose nanoseconds overflow 64 bits, or above U64_MAX. */
static const char *const out_of_range[] = {
	"target=18446744073709552",	/* wrapped to 384 ns */
	"target=18446744073709551616",	/* U64_MAX + 1 */
	"target=99999999999999999999999",
	"target=1 target=18446744073709552",
	NULL
};

static const char *const unknown_device[] = {
	"target=500",
	NULL
};

int main(void)
{
	char sys[64];

	ksft_print_header();
	setup();
	ksft_set_plan(6);

	test_first_config_concurrent();
	test_bad_input("bad_input_unknown_key", NULL, unknown_key, EINVAL);
	test_bad_input("bad_input_missing_equals", NULL, missing_equals,
		       EINVAL);
	test_bad_input("bad_input_out_of_range", NULL, out_of_range, ERANGE);
	test_target_edges();
	snprintf(sys, sizeof(sys), "/sys/dev/block/%s", NO_SUCH_DEV);
	if (!access(sys, F_OK))
		ksft_test_result_skip("bad_input_unknown_device: %s exists\n",
				      NO_SUCH_DEV);
	else
		test_bad_input("bad_input_unknown_device", NO_SUCH_DEV,
			       unknown_device, ENODEV);

	cleanup();
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}
