// SPDX-License-Identifier: GPL-2.0
/*
 * Read every attribute file in the sysfs directory of our nvme controllers,
 * as an unprivileged user, while controllers of the loop target are
 * connected and deleted.
 *
 * A controller's attributes are visible before its first identify, which
 * is what finds its subsystem.  Until then, model, serial, firmware_rev and
 * subsysnqn have no subsystem to show.  Every read must return a value or
 * an error, never text made up from a NULL pointer (the "(efault)" that
 * vsprintf prints for a field of a NULL struct), and never an empty one.
 * Every other connect goes to a subsystem that the port does not export:
 * its controller shows up and is removed again without ever having a
 * subsystem.  This is a program of its own so that
 * an oops takes no other test down with it.
 *
 * NVME_SYSFS_CONNECTS in the environment sets the number of connects
 * (at least 2: every other one is refused).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "nvme_util.h"

#define CONNECTS	100	/* unpatched: thousands of made-up values */
#define MIN_CONNECTS	2
#define MAX_CONNECTS	100000
#define BUDGET_MS	200000	/* for all the connects */
#define PROGRESS_EVERY	25
#define READERS		2
#define MAX_ATTRS	64
#define NOBODY		65534

/* What one reader saw of one attribute name, over all controllers */
struct attr_stat {
	char name[32];
	long reads, values, busy, gone, other, bogus;
	int other_err;
	char sample[48];	/* the first made-up value */
};

/* One reader's results; in shared memory */
static struct reader_res {
	int ready;
	int fatal;		/* could not drop its privileges: errno */
	long passes;
	struct attr_stat a[MAX_ATTRS];
} *rd;

static int *stop;
static int connects = CONNECTS;

static struct attr_stat *stat_of(struct reader_res *r, const char *name)
{
	int i;

	for (i = 0; i < MAX_ATTRS && r->a[i].name[0]; i++)
		if (!strcmp(r->a[i].name, name))
			return &r->a[i];
	if (i == MAX_ATTRS)
		return NULL;
	snprintf(r->a[i].name, sizeof(r->a[i].name), "%s", name);
	return &r->a[i];
}

/* Text that only a NULL or bad pointer given to vsprintf makes */
static bool made_up(const char *buf)
{
	return strstr(buf, "(efault)") || strstr(buf, "(null)") ||
	       strstr(buf, "(einval)");
}

/* The attributes that show the subsystem: never empty when they read */
static bool shows_subsys(const char *name)
{
	return !strcmp(name, "model") || !strcmp(name, "serial") ||
	       !strcmp(name, "firmware_rev") || !strcmp(name, "subsysnqn");
}

/* Cut the newline and the target's space padding; the new length */
static size_t trim(char *buf)
{
	size_t n = strcspn(buf, "\n");

	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return n;
}

static void read_attr(struct reader_res *r, int dfd, const char *name)
{
	struct attr_stat *st;
	char buf[4096];
	ssize_t n;
	int fd;

	/* Write-only attributes do not open for a reader: not a read */
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	st = stat_of(r, name);
	if (!st)
		return;
	st->reads++;
	if (n == -EBUSY) {
		st->busy++;
	} else if (n == -ENODEV || n == -ENOENT) {
		st->gone++;
	} else if (n < 0) {
		if (!st->other++)
			st->other_err = -n;
	} else {
		buf[n] = '\0';
		if (!made_up(buf) && (trim(buf) || !shows_subsys(name))) {
			st->values++;
		} else if (!st->bogus++) {
			trim(buf);
			snprintf(st->sample, sizeof(st->sample), "%.*s",
				 (int)sizeof(st->sample) - 1, buf);
		}
	}
}

/* Ours: its hostnqn, readable from the moment it shows up, is ours */
static bool is_ours(int dfd)
{
	char buf[256];
	ssize_t n;
	int fd;

	fd = openat(dfd, "hostnqn", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return !strcmp(buf, nu_hostnqn());
}

/* Read every attribute file of our controllers, as nobody, until told */
static int job_reader(void *arg)
{
	struct reader_res *r = arg;
	struct dirent *de, *ae;
	DIR *d, *cd;
	int n;

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY)) {
		r->fatal = errno;
		return 1;
	}
	__atomic_store_n(&r->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(stop, __ATOMIC_SEQ_CST)) {
		d = opendir(SYS_NVME);
		while (d && (de = readdir(d))) {
			if (sscanf(de->d_name, "nvme%d", &n) != 1)
				continue;
			cd = NULL;
			n = openat(dirfd(d), de->d_name,
				   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (n >= 0 && is_ours(n))
				cd = fdopendir(n);
			while (cd && (ae = readdir(cd)))
				if (ae->d_type == DT_REG)
					read_attr(r, dirfd(cd), ae->d_name);
			if (cd)
				closedir(cd);
			else if (n >= 0)
				close(n);
		}
		if (d)
			closedir(d);
		r->passes++;
	}
	return 0;
}

struct run_stats {
	int good, refused;
	long reads, busy, bogus;
};

/*
 * Connect to our subsystem and delete the controller, or connect to one
 * the port does not export, which must fail.  0 or -1, with TH_LOG.
 */
static int connect_once(struct __test_metadata *_metadata, int i,
			long long deadline, struct run_stats *rs)
{
	char none[96];
	int st, inst;

	if (i % 2) {
		snprintf(none, sizeof(none), "%s-unexported", nu_subnqn());
		st = job_wait(job_start(job_connect, none), deadline);
		/* Refused: the write of the options failed */
		if (st == 1 && nu->conn.stage == 2) {
			rs->refused++;
			/* Nothing of it may be left for the next connect */
			st = job_run(job_gone, NULL, GONE_MS + GRACE_MS);
			if (!st)
				return 0;
			TH_LOG("connect %d, refused: %s", i,
			       st == 1 ? ctrl_info_str(&nu->info) : job_str(st));
			return -1;
		}
		TH_LOG("connect %d to an unexported subsystem: %s", i,
		       st ? conn_str(st) : "it succeeded");
		return -1;
	}
	st = job_wait(job_start(job_connect, NULL), deadline);
	if (st) {
		TH_LOG("connect %d: %s", i, conn_str(st));
		return -1;
	}
	inst = nu->conn.instance;
	st = ctrl_write(inst, "1", 1, NULL);
	if (st) {
		TH_LOG("connect %d: writing 1 to nvme%d/delete_controller: %s",
		       i, inst, strerror(-st));
		return -1;
	}
	st = job_run(job_gone, NULL, GONE_MS + GRACE_MS);
	if (st) {
		TH_LOG("connect %d: %s", i,
		       st == 1 ? ctrl_info_str(&nu->info) : job_str(st));
		return -1;
	}
	rs->good++;
	return 0;
}

FIXTURE(nvme_sysfs) {
	int kmsg;
};

FIXTURE_SETUP(nvme_sysfs)
{
	int ret;

	self->kmsg = kmsg_open();
	ret = nu_setup();
	/* The teardown does not run after a failed setup */
	if (ret)
		nu_cleanup();
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(nvme_sysfs)
{
	EXPECT_EQ(0, nu_cleanup());
	EXPECT_EQ(0, kmsg_splats(self->kmsg));
	if (self->kmsg >= 0)
		close(self->kmsg);
}

/*
 * Readers during the connects: no made-up value, no reader stuck, and at
 * least one read met a controller without a subsystem (EBUSY, or a made-up
 * value); otherwise nothing raced and the test fails.
 */
TEST_F_TIMEOUT(nvme_sysfs, read_during_connect, 360)
{
	long long t0 = now_ms(), deadline;
	struct run_stats rs = { 0 };
	pid_t readers[READERS];
	int i, j, st, done = 0;
	bool ok = true;

	ksft_print_msg("read_during_connect: %d connects, %d readers\n",
		       connects, READERS);
	memset(rd, 0, sizeof(*rd) * READERS);
	*stop = 0;
	for (j = 0; j < READERS; j++)
		readers[j] = job_start(job_reader, &rd[j]);
	for (j = 0; j < READERS; j++) {
		deadline = now_ms() + GONE_MS;
		while (readers[j] > 0 && !rd[j].fatal &&
		       !__atomic_load_n(&rd[j].ready, __ATOMIC_SEQ_CST) &&
		       now_ms() < deadline)
			sleep_ms(1);
		if (!__atomic_load_n(&rd[j].ready, __ATOMIC_SEQ_CST)) {
			TH_LOG("reader %d did not start", j);
			ok = false;
		}
	}
	for (i = 0; i < connects && ok; i++, done++) {
		if (now_ms() - t0 > BUDGET_MS) {
			TH_LOG("only %d of %d connects in %d s: lower NVME_SYSFS_CONNECTS",
			       i, connects, BUDGET_MS / 1000);
			ok = false;
			break;
		}
		ok = !connect_once(_metadata, i, now_ms() + CONNECT_MS, &rs);
		if ((i + 1) % PROGRESS_EVERY == 0)
			ksft_print_msg("read_during_connect: %d/%d connects\n",
				       i + 1, connects);
	}
	__atomic_store_n(stop, 1, __ATOMIC_SEQ_CST);
	for (j = 0; j < READERS; j++) {
		st = job_wait(readers[j], now_ms() + GONE_MS);
		if (st) {
			TH_LOG("reader %d %s%s%s", j, job_str(st),
			       rd[j].fatal ? ": setresuid: " : "",
			       rd[j].fatal ? strerror(rd[j].fatal) : "");
			ok = false;
		}
	}
	ksft_print_msg("%d connects: %d deleted, %d refused\n",
		       done, rs.good, rs.refused);
	for (j = 0; j < READERS; j++) {
		struct attr_stat *a;

		ksft_print_msg("reader %d: %ld passes\n", j, rd[j].passes);
		for (a = rd[j].a; a < rd[j].a + MAX_ATTRS && a->name[0]; a++) {
			rs.reads += a->reads;
			rs.busy += a->busy;
			rs.bogus += a->bogus;
			if (a->bogus)
				TH_LOG("reader %d: %s: %ld of %ld reads made up \"%s\"",
				       j, a->name, a->bogus, a->reads, a->sample);
			if (a->other)
				ksft_print_msg("reader %d: %s: %ld reads failed: %s (first)\n",
					       j, a->name, a->other,
					       strerror(a->other_err));
		}
	}
	ksft_print_msg("read_during_connect: %ld reads, %ld EBUSY, %ld made up\n",
		       rs.reads, rs.busy, rs.bogus);
	EXPECT_TRUE(ok);
	EXPECT_EQ(0, rs.bogus);
	/* Only if every connect ran: else it failed already */
	if (ok && !rs.busy && !rs.bogus)
		TH_LOG("no read in %d connects met a controller without a subsystem",
		       done);
	EXPECT_LT(0, rs.busy + rs.bogus);
}

/* What a live controller's subsystem attributes show: pins behaviour */
static struct live_res {
	int err[4];
	char val[4][300];
} *live;

static const char * const live_attrs[] = {
	"model", "serial", "firmware_rev", "subsysnqn",
};

static int job_read_live(void *arg)
{
	char path[96];
	unsigned int i;

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return 2;
	for (i = 0; i < ARRAY_SIZE(live_attrs); i++) {
		snprintf(path, sizeof(path), SYS_NVME "/nvme%d/%s",
			 *(int *)arg, live_attrs[i]);
		live->err[i] = read_str(path, live->val[i],
					sizeof(live->val[i]));
		trim(live->val[i]);
	}
	return 0;
}

/*
 * Once the connect has returned, the four attributes show the subsystem
 * to anyone: the loop target's model "Linux", a serial and a firmware
 * revision, and our subsystem's NQN.
 */
TEST_F_TIMEOUT(nvme_sysfs, values_once_live, 60)
{
	unsigned int i;
	int st, inst;

	memset(live, 0, sizeof(*live));
	/* EXPECT and return: 5.10's ASSERT would skip the teardown */
	st = job_run(job_connect, NULL, CONNECT_MS);
	EXPECT_EQ(0, st) TH_LOG("%s", conn_str(st));
	if (st)
		return;
	inst = nu->conn.instance;
	st = job_run(job_read_live, &inst, GONE_MS);
	EXPECT_EQ(0, st) TH_LOG("the reader %s", job_str(st));
	for (i = 0; !st && i < ARRAY_SIZE(live_attrs); i++) {
		EXPECT_EQ(0, live->err[i])
			TH_LOG("nvme%d/%s: %s", inst, live_attrs[i],
			       strerror(-live->err[i]));
		if (live->err[i])
			continue;
		ksft_print_msg("nvme%d/%s: \"%s\"\n", inst, live_attrs[i],
			       live->val[i]);
		EXPECT_FALSE(made_up(live->val[i]));
		EXPECT_NE('\0', live->val[i][0]);
	}
	if (!st && !live->err[0])
		EXPECT_STREQ("Linux", live->val[0]);
	if (!st && !live->err[3])
		EXPECT_STREQ(nu_subnqn(), live->val[3]);
}

int main(int argc, char **argv)
{
	const char *env = getenv("NVME_SYSFS_CONNECTS");
	char *end;
	long n;

	nu_init();
	if (env) {
		errno = 0;
		n = strtol(env, &end, 10);
		if (errno || end == env || *end || n < MIN_CONNECTS ||
		    n > MAX_CONNECTS) {
			ksft_print_header();
			ksft_exit_fail_msg("NVME_SYSFS_CONNECTS=\"%s\": not %d to %d\n",
					   env, MIN_CONNECTS, MAX_CONNECTS);
		}
		connects = n;
	}
	rd = shm_alloc(sizeof(*rd) * READERS);
	stop = shm_alloc(sizeof(*stop));
	live = shm_alloc(sizeof(*live));
	if (!rd || !stop || !live) {
		ksft_print_header();
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	}
	return test_harness_run(argc, argv);
}
