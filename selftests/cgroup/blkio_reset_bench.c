// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1 blkio: what a write to blkio.reset_stats costs with many blkgs.
 *
 * blkcg_reset_stats() walks the blkgs of the cgroup it is written in, with
 * the blkcg's lock held and IRQs off, and calls every policy's
 * ->pd_reset_stats_fn() for each.  A kernel that still clears the blkg's
 * iostat there (blkg_clear_stat(), a memset() on 5.10) does that once per
 * possible CPU, for every blkg.  To compare kernels, this program sets
 * up C child cgroups of a v1 blkio hierarchy, each with a blkg on each of
 * L loop devices of its own (C x L blkgs, 1,024 by default), and times R
 * rounds of writing "1" to blkio.reset_stats in every child, after one
 * round that is not timed (the first write on mainline prints a
 * deprecation notice).  It is a benchmark, not a test: the Makefile builds
 * and installs it, and kselftest does not run it.
 *
 * A write costs the same fixed part (syscall, kernfs, blkcg_pol_mutex,
 * the blkcg's lock with IRQs off) whatever the blkgs, and a part per blkg.
 * The baseline separates them: C more sibling cgroups, empty (no task
 * ever enters them, they have no limits and issue no I/O, so they have no
 * blkg; setup checks that), are timed the same way, and the difference
 * of the means, over the C x L blkgs, is net_ns_per_blkg.  The ratio of
 * two kernels' net_ns_per_blkg, one run on each, is the comparison.
 *
 * Each round is timed, and so are the R rounds as one interval: a round
 * with a coarse clock (refined-jiffies, in steps of a tick, as in a QEMU
 * TCG guest booted without tsc=reliable) can take 0 ns or a whole tick.
 * The program reports nothing, and fails, if either interval of R rounds
 * (the children's, the baseline's) is under 100 times the smallest step
 * the clock was seen to take (step_ns), or if the clocksource changed
 * while it timed.
 *
 * Usage: blkio_reset_bench [-c cgroups] [-l devices] [-r rounds] [-v]
 *        (defaults: -c 16 -l 64 -r 2000: in a QEMU TCG guest whose TSC
 *        could not be calibrated the clock moves by 4 ms ticks, and 2,000
 *        rounds in the empty cgroups take about a second there)
 *
 * Output, on stdout, one line of key=value pairs (-v: a line per round
 * before it, "round=N ns=N baseline_ns=N"):
 *
 *   blkio_reset_bench: cgroups=16 devices=64 blkgs=1024 rounds=2000
 *   total_ns=N mean_ns_per_round=N median_ns_per_round=N
 *   min_ns_per_round=N max_ns_per_round=N baseline_total_ns=N
 *   baseline_mean_ns_per_round=N baseline_median_ns_per_round=N
 *   net_ns_per_blkg=N res_ns=N step_ns=N clocksource=NAME
 *   possible_cpus=N setup_ms=N kernel=RELEASE
 *
 * (one line, wrapped here), where
 *
 *   total_ns             the R timed rounds in the children, as one interval
 *   mean_ns_per_round    total_ns / R
 *   median, min, max     of the R rounds timed one by one
 *   baseline_*           the same for the R rounds in the empty siblings
 *   net_ns_per_blkg      (mean_ns_per_round - baseline_mean_ns_per_round)
 *                        / blkgs, signed: the cost of a blkg in a reset
 *   res_ns               clock_getres(CLOCK_MONOTONIC), for the record:
 *                        it is the timers' resolution, not the clock's
 *                        (a tick without high-resolution timers, though
 *                        the tsc reads in ns; 1 ns with them, though a
 *                        jiffies clocksource moves by ticks)
 *   step_ns              the smallest step of CLOCK_MONOTONIC seen (which
 *                        includes the cost of reading it), the larger of
 *                        the values before the rounds and after
 *   clocksource          clocksource0/current_clocksource, or "unknown"
 *   possible_cpus        the CPUs an iostat clear walks, 0: unknown
 *   setup_ms             from the mount to the first round
 *   kernel               uname -r
 *
 * Exit status 0; 1 on a failure or a refusal, which stderr names; 4
 * (KSFT_SKIP) without cgroup v1 blkio, blk-throttle or loop devices.
 * Whatever happens after the mount, the program removes what it made
 * (loop devices, cgroups, the mount and its mount point) and says on
 * stderr what it could not.
 *
 * Each loop device is over a memfd of LOOP_BYTES (8 MiB) that nothing
 * writes: the memfd stays sparse but for, on 5.10, the one page the reads
 * (4 KiB at offset 0, always) make shmem allocate; mainline reads holes
 * as the zero page.  64 devices take little memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "../kselftest.h"
#include "blkio_v1_util.h"

#define NAME		"blkio_reset_bench"
/* Children, and as many empty siblings: 64,000 blkgs at most */
#define MAX_CGROUPS	1000
/* A mask of the devices fits in an unsigned long long (dev_mask()) */
#define MAX_DEVS	64
#define MAX_ROUNDS	10000
/* One O_DIRECT read per cgroup and device: the smallest that counts */
#define IO_SIZE		4096
/* Bound on a task's reads from one cgroup, L of them */
#define CHILD_MS	10000
/* An interval of R rounds must be this many clock steps at least */
#define MIN_STEPS	100
/* The children, and the empty siblings of the baseline */
#define CHILD		"cg"
#define EMPTY		"empty"
#define CLOCKSOURCE_DIR	"/sys/devices/system/clocksource/clocksource0"

#define bench_err(fmt, ...) \
	fprintf(stderr, NAME ": " fmt "\n", ##__VA_ARGS__)

struct bench_dev {
	int loop, idx;		/* loop_new()'s fd and device number */
	int fd;			/* for the I/O (O_DIRECT), or -1 */
	unsigned int maj, min;
};

/* R rounds of writes in C cgroups */
struct rounds {
	const char *kind;	/* CHILD or EMPTY */
	int *fd;		/* each cgroup's blkio.reset_stats, or -1 */
	long long *ns;		/* each round's time */
	long long total;	/* the R rounds', as one interval */
};

struct bench {
	int cgroups, devs, rounds, verbose;
	char mnt[64];
	char parent[96];
	int mounted, base;
	int made_cgroups;	/* children made, cg0 up to this */
	int made_empty;		/* empty siblings made, empty0 up to this */
	int made_devs;		/* loop devices made */
	struct bench_dev dev[MAX_DEVS];
	struct rounds run;	/* in the children */
	struct rounds baseline;	/* in the empty siblings */
};

/* The clock the rounds are timed with, as it was before and after */
struct clock_info {
	long long res_ns, step_ns;
	char source[64];
};

/*
 * SIGINT, SIGTERM and SIGHUP are blocked (main()), and the loops check
 * for one, so that the program stops where it is and still cleans up.
 */
static int stop(void)
{
	sigset_t pending;

	if (sigpending(&pending))
		return 0;
	return sigismember(&pending, SIGINT) ||
	       sigismember(&pending, SIGTERM) ||
	       sigismember(&pending, SIGHUP);
}

/* Cgroup @i of @kind, CHILD or EMPTY */
static void cg_path(const struct bench *b, const char *kind, int i,
		    char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s%d", b->parent, kind, i);
}

static int parse_opt(const char *arg, int max, int *val)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 1 || v > max)
		return -1;
	*val = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " NAME " [-c cgroups] [-l devices] [-r rounds] [-v]\n"
		"  -c  child cgroups, each reset every round, and as many empty ones\n"
		"      for the baseline (default 16, up to %d)\n"
		"  -l  loop devices, a blkg on each in every child (default 64, up to %d)\n"
		"  -r  rounds timed, in the children and in the empty ones (default 2000,\n"
		"      up to %d)\n"
		"  -v  also print each round's time\n",
		MAX_CGROUPS, MAX_DEVS, MAX_ROUNDS);
}

/*
 * Reap @pid within CHILD_MS, or kill it and give it as long again to go.
 * Its exit status, or -ETIMEDOUT.
 */
static int wait_child(pid_t pid)
{
	long deadline = now_ms() + CHILD_MS;
	int status, killed = 0;
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, &status, WNOHANG);
		if (ret == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (ret < 0 && errno != EINTR)
			return -1;
		if (now_ms() > deadline) {
			if (killed)
				return -ETIMEDOUT;
			kill(pid, SIGKILL);
			killed = 1;
			deadline = now_ms() + CHILD_MS;
		}
		sleep_ms(1);
	}
}

/*
 * From a task moved into child @i, read IO_SIZE with O_DIRECT from each
 * loop device, which is what makes a blkg for the cgroup and device when
 * there is none.  The task exits once done, so that nothing holds the
 * cgroup but its blkgs and the loop driver's workers.  0, or -1 after
 * saying why.
 */
static int io_from(const struct bench *b, int i, void *buf)
{
	char cg[PATH_MAX];
	pid_t pid;
	int d, ret;

	cg_path(b, CHILD, i, cg, sizeof(cg));
	pid = fork();
	if (pid < 0) {
		bench_err("fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		ret = write_file(cg, "cgroup.procs", "0");
		if (ret) {
			bench_err("moving a task into %s: %s", cg,
				  strerror(-ret));
			_exit(1);
		}
		for (d = 0; d < b->made_devs; d++) {
			errno = 0;
			if (pread(b->dev[d].fd, buf, IO_SIZE, 0) != IO_SIZE) {
				bench_err("O_DIRECT read of %u:%u from %s: %s",
					  b->dev[d].maj, b->dev[d].min, cg,
					  errno ? strerror(errno) : "short");
				_exit(1);
			}
		}
		_exit(0);
	}
	ret = wait_child(pid);
	if (ret == -ETIMEDOUT)
		bench_err("the task reading from %s did not end in %d ms, nor once killed",
			  cg, CHILD_MS);
	else if (ret)
		bench_err("I/O from %s failed", cg);
	return ret ? -1 : 0;
}

static int io_from_all(const struct bench *b, void *buf)
{
	int i;

	for (i = 0; i < b->cgroups && !stop(); i++)
		if (io_from(b, i, buf))
			return -1;
	return 0;
}

/*
 * In @mask, the devices with a line "MAJ:MIN [KEY] N" in @cg/@name where
 * N > 0 (with @key, lines with that key; without, lines with none), by
 * their index in b->dev.  -1 if the file cannot be read whole.
 */
static int dev_mask(const struct bench *b, const char *cg, const char *name,
		    const char *key, unsigned long long *mask)
{
	static char buf[32768];
	char k[16], *line, *save = NULL;
	unsigned long long v;
	unsigned int ma, mi;
	ssize_t len;
	int d, ok;

	len = read_file(cg, name, buf, sizeof(buf));
	if (len < 0 || len >= (ssize_t)sizeof(buf) - 1)
		return -1;
	*mask = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (key)
			ok = sscanf(line, "%u:%u %15s %llu", &ma, &mi, k,
				    &v) == 4 && !strcmp(k, key);
		else
			ok = sscanf(line, "%u:%u %llu", &ma, &mi, &v) == 3;
		if (!ok || !v)
			continue;
		for (d = 0; d < b->made_devs; d++)
			if (b->dev[d].maj == ma && b->dev[d].min == mi)
				*mask |= 1ULL << d;
	}
	return 0;
}

/*
 * Every child has a blkg with blk-throttle's data on every device, the
 * ones its limits are on, and blk-throttle counted I/O in each, so that
 * each reset has C x L blkgs with something to reset.  0, or -1 after
 * saying which cgroup falls short.
 */
static int check_blkgs(const struct bench *b)
{
	unsigned long long all, mask;
	char cg[PATH_MAX];
	int i;

	all = b->made_devs == 64 ? ~0ULL : (1ULL << b->made_devs) - 1;
	for (i = 0; i < b->cgroups; i++) {
		cg_path(b, CHILD, i, cg, sizeof(cg));
		if (dev_mask(b, cg, "blkio.throttle.read_bps_device", NULL,
			     &mask)) {
			bench_err("cannot read %s/blkio.throttle.read_bps_device",
				  cg);
			return -1;
		}
		if (mask != all) {
			bench_err("%s has a limit on %d of its %d blkgs (blkio.throttle.read_bps_device)",
				  cg, __builtin_popcountll(mask),
				  b->made_devs);
			return -1;
		}
		if (dev_mask(b, cg, "blkio.throttle.io_serviced", "Total",
			     &mask)) {
			bench_err("cannot read %s/blkio.throttle.io_serviced",
				  cg);
			return -1;
		}
		if (mask != all) {
			bench_err("blk-throttle counted I/O in %s on %d of its %d devices (blkio.throttle.io_serviced)",
				  cg, __builtin_popcountll(mask),
				  b->made_devs);
			return -1;
		}
	}
	return 0;
}

/*
 * No empty sibling has a blkg where blk-throttle shows one, which is on
 * every loop device here (the children's limits are on them): no line
 * "MAJ:MIN ..." in its blkio.throttle.io_serviced.  0, or -1 after saying
 * which has one.
 */
static int check_empty(const struct bench *b)
{
	static char buf[4096];
	char cg[PATH_MAX], *line, *save;
	unsigned int ma, mi;
	ssize_t len;
	int i;

	for (i = 0; i < b->cgroups; i++) {
		cg_path(b, EMPTY, i, cg, sizeof(cg));
		len = read_file(cg, "blkio.throttle.io_serviced", buf,
				sizeof(buf));
		if (len < 0) {
			bench_err("cannot read %s/blkio.throttle.io_serviced: %s",
				  cg, strerror(-len));
			return -1;
		}
		save = NULL;
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (sscanf(line, "%u:%u", &ma, &mi) == 2) {
				bench_err("%s, for the baseline, has a blkg on %u:%u (blkio.throttle.io_serviced)",
					  cg, ma, mi);
				return -1;
			}
		}
	}
	return 0;
}

/*
 * Open the blkio.reset_stats of every cgroup of @t, kept open for the
 * rounds, so that they time the writes and not path lookups and opens.
 * 0, or -1 after saying what failed.
 */
static int open_resets(const struct bench *b, struct rounds *t)
{
	char cg[PATH_MAX], path[PATH_MAX + 32];
	int i;

	for (i = 0; i < b->cgroups; i++) {
		cg_path(b, t->kind, i, cg, sizeof(cg));
		snprintf(path, sizeof(path), "%s/blkio.reset_stats", cg);
		t->fd[i] = open(path, O_WRONLY | O_CLOEXEC);
		if (t->fd[i] < 0) {
			bench_err("open %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * C x L blkgs with blk-throttle's data: children made, C empty siblings
 * made, loop devices made (each open for O_DIRECT reads too), I/O from
 * every child to every device (which makes the blkgs), a read limit far
 * above that I/O on every blkg, I/O again, which blk-throttle now counts.
 * 0, or -1 after saying what failed.
 *
 * The I/O comes first for the reason in test_blkio_v1.c (count_some_io()):
 * a limit write that had to make the blkg would allocate under
 * q->blkcg_mutex, which lockdep reports on v7.3-rc7.  On mainline
 * blk-throttle counts nothing until a limit activates it, hence the I/O
 * after the limits.  With the defaults, that is 64 loop devices, 1,024
 * limit writes and 2,048 reads of 4 KiB (1,024 twice) from 32 short-lived
 * tasks (one per child and pass), each bounded by wait_child();
 * setup_ms in the output says how long it took.
 */
static int setup(struct bench *b)
{
	char cg[PATH_MAX], path[PATH_MAX], limit[64];
	void *buf = NULL;
	int i, d, err, ret = -1;

	snprintf(b->parent, sizeof(b->parent), "%s/kst-bench", b->mnt);
	if (mkdir(b->parent, 0755)) {
		bench_err("mkdir %s: %s", b->parent, strerror(errno));
		b->parent[0] = '\0';
		return -1;
	}
	for (i = 0; i < b->cgroups && !stop(); i++) {
		cg_path(b, CHILD, i, cg, sizeof(cg));
		if (mkdir(cg, 0755)) {
			bench_err("mkdir %s: %s", cg, strerror(errno));
			return -1;
		}
		b->made_cgroups++;
	}
	for (i = 0; i < b->cgroups && !stop(); i++) {
		cg_path(b, EMPTY, i, cg, sizeof(cg));
		if (mkdir(cg, 0755)) {
			bench_err("mkdir %s: %s", cg, strerror(errno));
			return -1;
		}
		b->made_empty++;
	}
	for (d = 0; d < b->devs && !stop(); d++) {
		struct bench_dev *dev = &b->dev[d];

		dev->loop = loop_new(&dev->idx, &dev->maj, &dev->min);
		if (dev->loop < 0) {
			bench_err("no loop device of our own (%d made of %d)",
				  d, b->devs);
			return -1;
		}
		b->made_devs++;
		snprintf(path, sizeof(path), "/dev/loop%d", dev->idx);
		dev->fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
		if (dev->fd < 0) {
			bench_err("open %s with O_DIRECT: %s", path,
				  strerror(errno));
			return -1;
		}
	}
	if (posix_memalign(&buf, 4096, IO_SIZE)) {
		bench_err("no memory for the I/O buffer");
		return -1;
	}
	if (stop() || io_from_all(b, buf))
		goto out;
	for (i = 0; i < b->cgroups && !stop(); i++) {
		cg_path(b, CHILD, i, cg, sizeof(cg));
		for (d = 0; d < b->devs; d++) {
			snprintf(limit, sizeof(limit), "%u:%u " HUGE_BPS,
				 b->dev[d].maj, b->dev[d].min);
			err = write_file(cg, "blkio.throttle.read_bps_device",
					 limit);
			if (err) {
				bench_err("writing \"%s\" to %s/blkio.throttle.read_bps_device: %s",
					  limit, cg, strerror(-err));
				goto out;
			}
		}
	}
	if (stop() || io_from_all(b, buf) || stop() || check_blkgs(b) ||
	    check_empty(b))
		goto out;
	if (open_resets(b, &b->run) || open_resets(b, &b->baseline))
		goto out;
	ret = 0;
out:
	free(buf);
	return ret;
}

static long long ns_between(const struct timespec *a,
			    const struct timespec *z)
{
	return (z->tv_sec - a->tv_sec) * 1000000000LL +
	       (z->tv_nsec - a->tv_nsec);
}

/* "1" to the blkio.reset_stats of every cgroup of @t; round @r, -1: warm-up */
static int write_round(const struct bench *b, const struct rounds *t, int r)
{
	int i;

	for (i = 0; i < b->cgroups; i++) {
		if (pwrite(t->fd[i], "1", 1, 0) != 1) {
			if (r < 0)
				bench_err("warm-up round: writing 1 to %s/%s%d/blkio.reset_stats: %s",
					  b->parent, t->kind, i,
					  strerror(errno));
			else
				bench_err("round %d: writing 1 to %s/%s%d/blkio.reset_stats: %s",
					  r, b->parent, t->kind, i,
					  strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * A round not timed, then R rounds timed one by one and as one interval.
 * The clock is read between rounds only, so that the rounds' times add up
 * to the total; a round's time includes a clock read and a check for a
 * signal, the same in the children and in the baseline.  0, or -1 after
 * saying what failed or if stopped.
 */
static int time_rounds(const struct bench *b, struct rounds *t)
{
	struct timespec start, prev, now;
	int r;

	if (write_round(b, t, -1) || stop())
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &start);
	prev = start;
	for (r = 0; r < b->rounds; r++) {
		if (write_round(b, t, r) || stop())
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		t->ns[r] = ns_between(&prev, &now);
		prev = now;
	}
	t->total = ns_between(&start, &prev);
	return 0;
}

/*
 * The smallest step of CLOCK_MONOTONIC in a few, from one change of its
 * value to the next, in ns; -1 if it did not move.  A jiffies clocksource
 * moves a tick at a time; a fine one, by about the cost of a read.
 */
static long long clock_step(void)
{
	struct timespec a, z;
	long long d, step = -1;
	long spins;
	int i, j;

	for (i = 0; i < 5; i++) {
		/* j == 0 waits for a change, j == 1 times the next one */
		for (j = 0; j < 2; j++) {
			clock_gettime(CLOCK_MONOTONIC, &a);
			spins = 0;
			do {
				clock_gettime(CLOCK_MONOTONIC, &z);
				d = ns_between(&a, &z);
			} while (!d && ++spins < 100000000L);
			if (!d)
				return -1;
		}
		if (step < 0 || d < step)
			step = d;
	}
	return step;
}

static int clock_info(struct clock_info *c)
{
	struct timespec ts;
	ssize_t len;

	if (clock_getres(CLOCK_MONOTONIC, &ts)) {
		bench_err("clock_getres(CLOCK_MONOTONIC): %s", strerror(errno));
		return -1;
	}
	c->res_ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
	c->step_ns = clock_step();
	if (c->step_ns < 0) {
		bench_err("CLOCK_MONOTONIC does not move");
		return -1;
	}
	len = read_file(CLOCKSOURCE_DIR, "current_clocksource", c->source,
			sizeof(c->source));
	if (len > 0)
		c->source[strcspn(c->source, "\n ")] = '\0';
	if (len <= 0 || !c->source[0])
		snprintf(c->source, sizeof(c->source), "unknown");
	return 0;
}

/*
 * The rounds of @t took long enough for the clock @c to time them.  0, or
 * -1 after saying that they did not.
 */
static int enough_steps(const struct bench *b, const struct rounds *t,
			const struct clock_info *c)
{
	if (t->total >= MIN_STEPS * c->step_ns)
		return 0;
	bench_err("not reported: the %d rounds in %s/%s* took %lld ns, less than %d times the clock's step (res_ns=%lld step_ns=%lld clocksource=%s); boot with a finer clocksource (tsc=reliable) or raise -r",
		  b->rounds, b->parent, t->kind, t->total, MIN_STEPS,
		  c->res_ns, c->step_ns, c->source);
	return -1;
}

static int cmp_ll(const void *a, const void *z)
{
	long long x = *(const long long *)a, y = *(const long long *)z;

	return x < y ? -1 : x > y;
}

/* Sort the rounds' times; their median */
static long long median(const struct bench *b, struct rounds *t)
{
	int n = b->rounds;

	qsort(t->ns, n, sizeof(*t->ns), cmp_ll);
	return n % 2 ? t->ns[n / 2] : (t->ns[n / 2 - 1] + t->ns[n / 2]) / 2;
}

/* The number of possible CPUs, which clearing the iostat walks; 0: unknown */
static int possible_cpus(void)
{
	char buf[256], *p = buf;
	int n = 0, from, to, len;

	if (read_file("/sys/devices/system/cpu", "possible", buf,
		      sizeof(buf)) <= 0)
		return 0;
	while (sscanf(p, "%d%n", &from, &len) == 1) {
		p += len;
		to = from;
		if (*p == '-' && sscanf(p + 1, "%d%n", &to, &len) == 1)
			p += 1 + len;
		n += to - from + 1;
		if (*p != ',')
			break;
		p++;
	}
	return n;
}

static void report(struct bench *b, const struct clock_info *c,
		   long setup_ms)
{
	long long blkgs = (long long)b->cgroups * b->devs;
	long long mean, med, base_mean, base_med;
	struct utsname u;
	int r, n = b->rounds;

	if (b->verbose)
		for (r = 0; r < n; r++)
			printf(NAME ": round=%d ns=%lld baseline_ns=%lld\n",
			       r, b->run.ns[r], b->baseline.ns[r]);
	mean = b->run.total / n;
	base_mean = b->baseline.total / n;
	med = median(b, &b->run);
	base_med = median(b, &b->baseline);
	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	printf(NAME ": cgroups=%d devices=%d blkgs=%lld rounds=%d",
	       b->cgroups, b->devs, blkgs, n);
	printf(" total_ns=%lld mean_ns_per_round=%lld median_ns_per_round=%lld",
	       b->run.total, mean, med);
	printf(" min_ns_per_round=%lld max_ns_per_round=%lld",
	       b->run.ns[0], b->run.ns[n - 1]);
	printf(" baseline_total_ns=%lld baseline_mean_ns_per_round=%lld",
	       b->baseline.total, base_mean);
	printf(" baseline_median_ns_per_round=%lld net_ns_per_blkg=%lld",
	       base_med, (mean - base_mean) / blkgs);
	printf(" res_ns=%lld step_ns=%lld clocksource=%s possible_cpus=%d",
	       c->res_ns, c->step_ns, c->source, possible_cpus());
	printf(" setup_ms=%ld kernel=%s\n", setup_ms, u.release);
	fflush(stdout);
}

/*
 * Time the children and the baseline, and report them if the clock could
 * time them and did not change meanwhile.  0, or -1 after saying why not.
 */
static int bench(struct bench *b, long setup_ms)
{
	struct clock_info before, after;

	if (clock_info(&before))
		return -1;
	if (time_rounds(b, &b->run) || time_rounds(b, &b->baseline))
		return -1;
	if (clock_info(&after))
		return -1;
	if (strcmp(before.source, after.source)) {
		bench_err("not reported: the clocksource changed from %s to %s while the rounds were timed",
			  before.source, after.source);
		return -1;
	}
	if (after.res_ns > before.res_ns)
		before.res_ns = after.res_ns;
	if (after.step_ns > before.step_ns)
		before.step_ns = after.step_ns;
	if (enough_steps(b, &b->run, &before) ||
	    enough_steps(b, &b->baseline, &before))
		return -1;
	report(b, &before, setup_ms);
	return 0;
}

static void close_resets(const struct bench *b, const struct rounds *t)
{
	int i;

	for (i = 0; t->fd && i < b->cgroups; i++)
		if (t->fd[i] >= 0)
			close(t->fd[i]);
}

/*
 * Undo whatever setup() made, in an order that lets each step work: the
 * loop devices go first (their per-cgroup workers hold the cgroups, see
 * loop_del()), then the cgroups, then the hierarchy (umount_v1() waits
 * for the removed cgroups to be gone).  0, or -1 after saying what is
 * left behind.
 */
static int cleanup(struct bench *b)
{
	char cg[PATH_MAX], path[64];
	int i, d, ret = 0, err;

	close_resets(b, &b->run);
	close_resets(b, &b->baseline);
	for (d = b->made_devs - 1; d >= 0; d--) {
		if (b->dev[d].fd >= 0)
			close(b->dev[d].fd);
		loop_del(b->dev[d].loop, b->dev[d].idx);
		snprintf(path, sizeof(path), "/sys/block/loop%d",
			 b->dev[d].idx);
		if (!access(path, F_OK)) {
			bench_err("loop%d is still there after its deletion",
				  b->dev[d].idx);
			ret = -1;
		}
	}
	for (i = b->made_empty - 1; i >= 0; i--) {
		cg_path(b, EMPTY, i, cg, sizeof(cg));
		if (rmdir(cg)) {
			bench_err("rmdir %s: %s", cg, strerror(errno));
			ret = -1;
		}
	}
	for (i = b->made_cgroups - 1; i >= 0; i--) {
		cg_path(b, CHILD, i, cg, sizeof(cg));
		if (rmdir(cg)) {
			bench_err("rmdir %s: %s", cg, strerror(errno));
			ret = -1;
		}
	}
	if (b->parent[0] && rmdir(b->parent)) {
		bench_err("rmdir %s: %s", b->parent, strerror(errno));
		ret = -1;
	}
	if (b->mounted) {
		err = umount_v1(b->mnt, b->base);
		if (err) {
			bench_err("unmounting %s: %s (the hierarchy may stay, with removed cgroups)",
				  b->mnt, strerror(-err));
			ret = -1;
		}
	}
	if (b->mnt[0] && rmdir(b->mnt)) {
		bench_err("rmdir %s: %s", b->mnt, strerror(errno));
		ret = -1;
	}
	return ret;
}

/*
 * Mount v1 blkio on a directory of our own: 0, KSFT_SKIP after saying why
 * it is not available, or -1 after saying what failed.
 */
static int mount_blkio(struct bench *b)
{
	char path[PATH_MAX];
	int ret;

	snprintf(b->mnt, sizeof(b->mnt), "/tmp/blkio-bench.XXXXXX");
	if (!mkdtemp(b->mnt)) {
		bench_err("mkdtemp %s: %s", b->mnt, strerror(errno));
		b->mnt[0] = '\0';
		return -1;
	}
	ret = mount_v1(b->mnt);
	if (ret == -ENOENT || ret == -ENODEV || ret == -EINVAL) {
		bench_err("skip: no cgroup v1 blkio controller");
		return KSFT_SKIP;
	}
	if (ret == -EBUSY) {
		bench_err("skip: the io controller is in use on cgroup v2");
		return KSFT_SKIP;
	}
	if (ret) {
		bench_err("mounting cgroup v1 blkio on %s: %s", b->mnt,
			  strerror(-ret));
		return -1;
	}
	b->mounted = 1;
	b->base = v1_blkio_cgroups();
	snprintf(path, sizeof(path), "%s/blkio.throttle.read_bps_device",
		 b->mnt);
	if (access(path, F_OK)) {
		bench_err("skip: no blk-throttle (CONFIG_BLK_DEV_THROTTLING)");
		return KSFT_SKIP;
	}
	snprintf(path, sizeof(path), "%s/blkio.reset_stats", b->mnt);
	if (access(path, F_OK)) {
		bench_err("skip: no blkio.reset_stats");
		return KSFT_SKIP;
	}
	return 0;
}

/* Room for a descriptor per cgroup, with the devices' and some more */
static int enough_files(const struct bench *b)
{
	rlim_t want = 2 * b->cgroups + 2 * b->devs + 32;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur >= want)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		bench_err("%d cgroups need %llu open files, RLIMIT_NOFILE allows %llu",
			  2 * b->cgroups, (unsigned long long)want,
			  (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		bench_err("raising RLIMIT_NOFILE to %llu: %s",
			  (unsigned long long)want, strerror(errno));
		return -1;
	}
	return 0;
}

/* Room for the rounds of @t, its descriptors -1.  0, or -1 */
static int alloc_rounds(const struct bench *b, struct rounds *t,
			const char *kind)
{
	int i;

	t->kind = kind;
	t->fd = malloc(b->cgroups * sizeof(*t->fd));
	t->ns = calloc(b->rounds, sizeof(*t->ns));
	if (!t->fd || !t->ns)
		return -1;
	for (i = 0; i < b->cgroups; i++)
		t->fd[i] = -1;
	return 0;
}

static void free_rounds(struct rounds *t)
{
	free(t->fd);
	free(t->ns);
}

int main(int argc, char **argv)
{
	struct bench b = { .cgroups = 16, .devs = 64, .rounds = 2000 };
	int opt, i, ret = KSFT_FAIL;
	long start, setup_ms;
	sigset_t sigs;

	while ((opt = getopt(argc, argv, "c:l:r:vh")) != -1) {
		switch (opt) {
		case 'c':
			if (parse_opt(optarg, MAX_CGROUPS, &b.cgroups))
				goto bad_opt;
			break;
		case 'l':
			if (parse_opt(optarg, MAX_DEVS, &b.devs))
				goto bad_opt;
			break;
		case 'r':
			if (parse_opt(optarg, MAX_ROUNDS, &b.rounds))
				goto bad_opt;
			break;
		case 'v':
			b.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return KSFT_PASS;
		default:
			goto bad_opt;
		}
	}
	if (optind != argc)
		goto bad_opt;

	if (access("/dev/loop-control", W_OK)) {
		bench_err("skip: no /dev/loop-control (CONFIG_BLK_DEV_LOOP)");
		return KSFT_SKIP;
	}
	for (i = 0; i < MAX_DEVS; i++)
		b.dev[i].fd = -1;
	if (alloc_rounds(&b, &b.run, CHILD) ||
	    alloc_rounds(&b, &b.baseline, EMPTY)) {
		bench_err("no memory");
		goto out_free;
	}
	if (enough_files(&b))
		goto out_free;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	start = now_ms();
	ret = mount_blkio(&b);
	if (!ret) {
		ret = KSFT_FAIL;
		if (!setup(&b) && !stop()) {
			setup_ms = now_ms() - start;
			if (!bench(&b, setup_ms))
				ret = KSFT_PASS;
		}
	} else if (ret < 0) {
		ret = KSFT_FAIL;
	}
	if (stop())
		bench_err("interrupted");
	if (cleanup(&b))
		ret = KSFT_FAIL;
out_free:
	free_rounds(&b.run);
	free_rounds(&b.baseline);
	return ret;

bad_opt:
	usage(stderr);
	return KSFT_FAIL;
}
