// SPDX-License-Identifier: GPL-2.0
/*
 * NFSv4 OPEN, OPEN_CONFIRM, CLOSE, LOCK, LOCKU and LOCKT against a real
 * knfsd on this host, with NFSv4.0 and with NFSv4.2.
 *
 * The client settles a conflict between two processes on one inode by
 * itself: no LOCKT goes out, and it reports the holder's pid.  Only the
 * server can see a conflict between two superblocks, and then the pid is
 * 0.  So the tests take locks in this process ("A") through one mount and
 * test them from a child ("B") either through the same mount or through a
 * second mount of the same export made with nosharecache.  knfsd hands out
 * no delegations here, so every lock goes to the server.
 *
 * Each test case runs in a child with a deadline, on soft mounts, so that
 * a server that stops answering fails the case instead of hanging the run;
 * the cases after it then fail at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "knfsd.h"

/*
 * A case takes a second or two.  On a soft mount, an RPC to a server that
 * does not answer fails after about 15 s; the first case that is late
 * marks the server as not answering, and the cases after it fail at once.
 */
#define CHILD_MS	20000	/* B */
#define CASE_MS		40000	/* A, with all its B */

struct variant {
	const char *vers;
	bool open_confirm;	/* NFSv4.0 confirms a new open owner */
};

static const struct variant variants[] = {
	{ "4.0", true },
	{ "4.2", false },
};

struct ctx {
	const struct variant *v;
	char same[64];		/* the mount A locks through */
	char other[64];		/* the same export, nosharecache */
	pid_t a;		/* the process that runs the test case */
};

struct range {
	short type;		/* F_WRLCK or F_UNLCK */
	off_t start, len;
};

static int setlk(int fd, short type, off_t start, off_t len)
{
	struct flock fl = {
		.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len,
	};

	return fcntl(fd, F_SETLK, &fl) ? -errno : 0;
}

/* F_GETLK for a write lock on [start, start + len); 0 or -errno. */
static int getlk(int fd, off_t start, off_t len, struct flock *fl)
{
	memset(fl, 0, sizeof(*fl));
	fl->l_type = F_WRLCK;
	fl->l_whence = SEEK_SET;
	fl->l_start = start;
	fl->l_len = len;
	return fcntl(fd, F_GETLK, fl) ? -errno : 0;
}

/*
 * F_GETLK of [start, start + len) must find "want": the conflicting lock's
 * range and holder, or F_UNLCK.
 */
static bool getlk_is(int fd, off_t start, off_t len, const struct range *want, pid_t pid)
{
	struct flock fl;
	int ret;

	ret = getlk(fd, start, len, &fl);
	if (ret) {
		ksft_print_msg("F_GETLK [%lld,+%lld): %s\n", (long long)start,
			       (long long)len, strerror(-ret));
		return false;
	}
	if (fl.l_type != want->type ||
	    (want->type != F_UNLCK &&
	     (fl.l_start != want->start || fl.l_len != want->len || fl.l_pid != pid))) {
		ksft_print_msg("F_GETLK [%lld,+%lld): type %d [%lld,+%lld) pid %d\n",
			       (long long)start, (long long)len, fl.l_type,
			       (long long)fl.l_start, (long long)fl.l_len, fl.l_pid);
		ksft_print_msg("  expected type %d [%lld,+%lld) pid %d\n",
			       want->type, (long long)want->start, (long long)want->len,
			       want->type == F_UNLCK ? 0 : pid);
		return false;
	}
	return true;
}

static const struct range none = { F_UNLCK, 0, 0 };

/* What process B does, through a path; returns true for as expected. */
typedef bool (*step_fn)(int fd, const struct ctx *c);

struct b_args {
	const char *path;
	step_fn fn;
	const struct ctx *c;
};

static bool b_main(void *arg)
{
	struct b_args *b = arg;
	bool ok;
	int fd;

	fd = open(b->path, O_RDWR);
	if (fd < 0) {
		ksft_print_msg("B: open %s: %s\n", b->path, strerror(errno));
		return false;
	}
	ok = b->fn(fd, b->c);
	close(fd);
	return ok;
}

/* Open path in a child process B and run fn there, within a time limit. */
static bool as_b(const char *path, step_fn fn, const struct ctx *c)
{
	struct b_args b = { path, fn, c };

	return knfsd_child(CHILD_MS, "B", b_main, &b);
}

static bool a_setlk(int fd, short type, off_t start, off_t len)
{
	int ret = setlk(fd, type, start, len);

	if (ret)
		ksft_print_msg("A: F_SETLK type %d [%lld,+%lld): %s\n", type,
			       (long long)start, (long long)len, strerror(-ret));
	return ret == 0;
}

/* B, same mount: A's lock [0,100) is reported with A's pid. */
static bool b_sees_a(int fd, const struct ctx *c)
{
	const struct range a = { F_WRLCK, 0, 100 };

	return getlk_is(fd, 0, 100, &a, c->a) && getlk_is(fd, 50, 10, &a, c->a);
}

/* B: a conflicting F_SETLK fails with EAGAIN. */
static bool b_setlk_eagain(int fd, const struct ctx *c)
{
	int ret = setlk(fd, F_WRLCK, 50, 10);

	if (ret != -EAGAIN)
		ksft_print_msg("B: conflicting F_SETLK: %s, expected EAGAIN\n",
			       ret ? strerror(-ret) : "granted");
	return ret == -EAGAIN;
}

/* B: the whole range is free: lock it, and unlock it. */
static bool b_setlk_ok(int fd, const struct ctx *c)
{
	int ret = setlk(fd, F_WRLCK, 0, 100);

	if (ret) {
		ksft_print_msg("B: F_SETLK of a free range: %s\n", strerror(-ret));
		return false;
	}
	return getlk_is(fd, 0, 100, &none, 0) && setlk(fd, F_UNLCK, 0, 100) == 0;
}

/*
 * Each test runs on a fresh file of its own, which A opens through the
 * first mount as fd; same and other are its paths through the two mounts.
 */
typedef bool (*test_fn)(const struct ctx *c, int fd, const char *same, const char *other);

static bool test_getlk_holder(const struct ctx *c, int fd, const char *same, const char *other)
{
	return a_setlk(fd, F_WRLCK, 0, 100) && as_b(same, b_sees_a, c);
}

static bool test_setlk_conflict(const struct ctx *c, int fd, const char *same, const char *other)
{
	return a_setlk(fd, F_WRLCK, 0, 100) && as_b(same, b_setlk_eagain, c) &&
	       a_setlk(fd, F_UNLCK, 0, 100) && as_b(same, b_setlk_ok, c);
}

/* A holds [0,40) and [60,100) after unlocking the middle of [0,100). */
static bool b_sees_split(int fd, const struct ctx *c)
{
	const struct range lo = { F_WRLCK, 0, 40 }, hi = { F_WRLCK, 60, 40 };

	return getlk_is(fd, 40, 20, &none, 0) && getlk_is(fd, 30, 20, &lo, c->a) &&
	       getlk_is(fd, 55, 10, &hi, c->a);
}

/* ... as the server sees it: same ranges, pid 0. */
static bool b_server_sees_split(int fd, const struct ctx *c)
{
	const struct range lo = { F_WRLCK, 0, 40 }, hi = { F_WRLCK, 60, 40 };

	return getlk_is(fd, 40, 20, &none, 0) && getlk_is(fd, 30, 20, &lo, 0) &&
	       getlk_is(fd, 55, 10, &hi, 0);
}

/* A relocked the middle: one lock [0,100) again, on both sides. */
static bool b_sees_merged(int fd, const struct ctx *c)
{
	const struct range all = { F_WRLCK, 0, 100 };

	return getlk_is(fd, 0, 0, &all, c->a) && getlk_is(fd, 45, 10, &all, c->a);
}

static bool b_server_sees_merged(int fd, const struct ctx *c)
{
	const struct range all = { F_WRLCK, 0, 100 };

	return getlk_is(fd, 0, 0, &all, 0) && getlk_is(fd, 45, 10, &all, 0);
}

static bool test_split_merge(const struct ctx *c, int fd, const char *same, const char *other)
{
	return a_setlk(fd, F_WRLCK, 0, 100) && a_setlk(fd, F_UNLCK, 40, 20) &&
	       as_b(same, b_sees_split, c) && as_b(other, b_server_sees_split, c) &&
	       a_setlk(fd, F_WRLCK, 40, 20) &&
	       as_b(same, b_sees_merged, c) && as_b(other, b_server_sees_merged, c);
}

/* B: nothing is locked, locally or on the server. */
static bool b_sees_nothing(int fd, const struct ctx *c)
{
	return getlk_is(fd, 0, 0, &none, 0);
}

/* Closing any fd of the file drops A's locks, on the server too. */
static bool test_close_releases(const struct ctx *c, int fd, const char *same, const char *other)
{
	int fd2 = open(same, O_RDONLY);
	bool ok;

	if (fd2 < 0) {
		ksft_print_msg("A: open %s: %s\n", same, strerror(errno));
		return false;
	}
	ok = a_setlk(fd, F_WRLCK, 0, 100);
	if (close(fd2)) {
		ksft_print_msg("A: close: %s\n", strerror(errno));
		ok = false;
	}
	return ok && as_b(same, b_sees_nothing, c) && as_b(other, b_sees_nothing, c) &&
	       as_b(same, b_setlk_ok, c);
}

/* B, second superblock: the server reports A's lock, with pid 0. */
static bool b_server_conflict(int fd, const struct ctx *c)
{
	const struct range a = { F_WRLCK, 0, 100 };

	return getlk_is(fd, 0, 100, &a, 0) && b_setlk_eagain(fd, c);
}

static bool test_server_conflict(const struct ctx *c, int fd, const char *same, const char *other)
{
	return a_setlk(fd, F_WRLCK, 0, 100) && as_b(other, b_server_conflict, c) &&
	       a_setlk(fd, F_UNLCK, 0, 100) && as_b(other, b_setlk_ok, c);
}

static const char * const wire_ops[] = { "OPEN", "CLOSE", "LOCK", "LOCKU", "LOCKT" };
#define NR_WIRE_OPS	ARRAY_SIZE(wire_ops)

/*
 * The second mount's own counters show each operation on the wire: B's
 * open, F_GETLK, F_SETLK, unlock and close there.
 */
static bool test_ops_on_the_wire(const struct ctx *c, int fd, const char *same,
				 const char *other)
{
	long before[NR_WIRE_OPS], after, confirms;
	unsigned int i;
	bool ok;

	for (i = 0; i < NR_WIRE_OPS; i++)
		before[i] = knfsd_op_count(c->other, wire_ops[i]);
	ok = test_server_conflict(c, fd, same, other);
	for (i = 0; i < NR_WIRE_OPS; i++) {
		after = knfsd_op_count(c->other, wire_ops[i]);
		if (before[i] < 0 || after <= before[i]) {
			ksft_print_msg("%s: %ld calls before, %ld after\n", wire_ops[i],
				       before[i], after);
			ok = false;
		}
	}
	/* Only an open owner's first OPEN needs confirming. */
	confirms = knfsd_op_count(c->other, "OPEN_CONFIRM");
	if (c->v->open_confirm ? confirms <= 0 : confirms != 0) {
		ksft_print_msg("OPEN_CONFIRM: %ld calls with NFSv%s\n", confirms, c->v->vers);
		ok = false;
	}
	return ok;
}

static const struct {
	const char *name;
	test_fn fn;
} tests[] = {
	{ "getlk_holder", test_getlk_holder },
	{ "setlk_conflict", test_setlk_conflict },
	{ "split_merge", test_split_merge },
	{ "close_releases", test_close_releases },
	{ "server_conflict", test_server_conflict },
	{ "ops_on_the_wire", test_ops_on_the_wire },
};

#define NR_TESTS	ARRAY_SIZE(tests)
#define NR_VARIANTS	ARRAY_SIZE(variants)

struct a_args {
	struct ctx *c;
	unsigned int test;
};

/*
 * Process A: run a test on a fresh file named after it, created through
 * the first mount.
 */
static bool a_main(void *arg)
{
	struct a_args *a = arg;
	const char *name = tests[a->test].name;
	char same[128], other[128];
	bool ok;
	int fd;

	a->c->a = getpid();
	snprintf(same, sizeof(same), "%s/%s", a->c->same, name);
	snprintf(other, sizeof(other), "%s/%s", a->c->other, name);
	fd = open(same, O_RDWR | O_CREAT | O_TRUNC, 0666);
	if (fd < 0) {
		ksft_print_msg("A: open %s: %s\n", same, strerror(errno));
		return false;
	}
	ok = tests[a->test].fn(a->c, fd, same, other);
	close(fd);
	return ok;
}

static void run_variant(struct knfsd *k, const struct variant *v)
{
	struct ctx c = { .v = v };
	struct a_args a = { &c, 0 };
	char opts[64];
	bool ok;

	/* Under KNFSD_DIR, where the guardian looks for our NFS mounts */
	snprintf(c.same, sizeof(c.same), "%s/nfsv%s_a", KNFSD_DIR, v->vers);
	snprintf(c.other, sizeof(c.other), "%s/nfsv%s_b", KNFSD_DIR, v->vers);
	snprintf(opts, sizeof(opts), "vers=%s", v->vers);
	ok = !knfsd_late && !mkdir(c.same, 0755) && !mkdir(c.other, 0755) &&
	     !knfsd_mount(k, c.same, opts);
	if (ok) {
		snprintf(opts, sizeof(opts), "vers=%s,nosharecache", v->vers);
		ok = !knfsd_mount(k, c.other, opts);
		if (!ok)
			knfsd_umount(c.same);
	}
	if (!ok)
		ksft_print_msg("could not mount the export with NFSv%s%s\n", v->vers,
			       knfsd_late ? ": the server is not answering" : "");
	for (a.test = 0; a.test < NR_TESTS; a.test++) {
		if (ok && knfsd_late)
			ksft_print_msg("the server is not answering: not run\n");
		ksft_test_result(ok && !knfsd_late && knfsd_child(CASE_MS, "test case", a_main, &a),
				 "nfsv%s_%s\n", v->vers, tests[a.test].name);
		fflush(stdout);
	}
	if (ok && !knfsd_late) {
		knfsd_umount(c.other);
		knfsd_umount(c.same);
	}
}

int main(void)
{
	struct knfsd k = { .no_delegations = true };
	unsigned int i;
	int ret;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	ret = knfsd_isolate();
	if (!ret)
		ret = knfsd_start(&k);
	if (ret == KSFT_SKIP)
		ksft_exit_skip("no knfsd to test against\n");
	ksft_set_plan(NR_TESTS * NR_VARIANTS);
	if (ret || knfsd_export(&k) || knfsd_end_grace()) {
		knfsd_stop(&k);
		ksft_exit_fail_msg("could not set up knfsd\n");
	}
	for (i = 0; i < NR_VARIANTS; i++)
		run_variant(&k, &variants[i]);
	knfsd_stop(&k);
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}
