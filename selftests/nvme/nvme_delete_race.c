// SPDX-License-Identifier: GPL-2.0
/*
 * Write delete_controller while the controller is still being set up.
 *
 * The kernel must refuse such a write with EBUSY until the controller has
 * been started once.  Without that, a write while the controller is new
 * removes the attribute and deletes nothing, and a write while it is
 * connecting deletes a controller that the connect is still setting up:
 * the connect fails, or the kernel oopses.  This is a program of its own
 * so that such an oops takes no other test down with it.
 *
 * NVME_RACE_ITERS in the environment sets the number of iterations.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "nvme_util.h"

#define RACE_ITERS	100	/* unpatched 5.10 oopses in the first few */
#define MAX_ITERS	100000
#define ITER_MS		10000	/* one connect and its racer, whole */
#define RACE_BUDGET_MS	300000
#define PROGRESS_EVERY	25

enum { RACE_RUNNING, RACE_GONE, RACE_NO_CTRL, RACE_STUCK };

/* What the racer saw in one iteration */
static struct race_res {
	int ready;		/* set by the racer */
	int connect_done;	/* set by the parent */
	int target;		/* the instance it went for */
	int outcome;
	int ok, ebusy, enoent, enodev, other, other_err;
	int early;		/* writes answered before the connect returned */
	struct ctrl_info left;	/* what was still there at the end */
} *r;

static int iters = RACE_ITERS;

/*
 * Find our controller as soon as it shows up and write "1" to its
 * delete_controller until a write is accepted, then wait for it to go.
 * EBUSY means "not started yet": try again at once.  ENOENT before the
 * attribute was ever opened means it is not there yet; after that, like
 * ENODEV, that it went away.
 */
static int job_racer(void *arg)
{
	long long deadline = *(long long *)arg;
	bool opened = false, stop = false, now;
	int inst, ret;

	r->target = -1;
	r->left.instance = -1;
	__atomic_store_n(&r->ready, 1, __ATOMIC_SEQ_CST);
	while (now_ms() < deadline) {
		if (r->target < 0) {
			bool done = __atomic_load_n(&r->connect_done,
						    __ATOMIC_SEQ_CST);

			if (find_ours(&inst)) {
				r->target = inst;
				continue;
			}
			if (done) {
				r->outcome = RACE_NO_CTRL;
				return 0;
			}
			sched_yield();
			continue;
		}
		if (!ctrl_exists(r->target)) {
			if (!find_ours(&inst)) {
				r->outcome = RACE_GONE;
				return 0;
			}
			r->target = inst;
			opened = false;
			stop = false;
			continue;
		}
		if (stop) {
			sleep_ms(1);
			continue;
		}
		now = false;
		ret = ctrl_write(r->target, "1", 1, &now);
		if (now && !__atomic_load_n(&r->connect_done, __ATOMIC_SEQ_CST))
			r->early++;
		opened |= now;
		if (!ret) {
			r->ok++;
			stop = true;
		} else if (ret == -EBUSY) {
			r->ebusy++;
			sched_yield();
		} else if (ret == -ENOENT && !opened) {
			sched_yield();
		} else if (ret == -ENOENT) {
			r->enoent++;
			stop = true;
		} else if (ret == -ENODEV) {
			r->enodev++;
			stop = true;
		} else {
			if (!r->other++)
				r->other_err = -ret;
			stop = true;
		}
	}
	inst = r->target;
	if ((inst >= 0 && ctrl_exists(inst)) || find_ours(&inst))
		ctrl_describe(inst, &r->left);
	r->outcome = RACE_STUCK;
	return 0;
}

struct race_stats {
	int iters;
	int ebusy_iters;	/* met EBUSY */
	int early_iters;	/* had a write answered during the connect */
	int ebusy, enoent, enodev;
};

/* One connect with a racer that deletes the controller as soon as it can */
static int race_once(struct __test_metadata *_metadata, int iter,
		     struct race_stats *rs)
{
	long long deadline;
	bool ok = true;
	int cst, rst;
	pid_t racer;

	memset(r, 0, sizeof(*r));
	memset(&nu->conn, 0, sizeof(nu->conn));
	deadline = now_ms() + ITER_MS;
	racer = job_start(job_racer, &deadline);
	while (racer > 0 && !__atomic_load_n(&r->ready, __ATOMIC_SEQ_CST) &&
	       now_ms() < deadline)
		sleep_ms(1);
	cst = job_wait(job_start(job_connect, NULL), deadline);
	__atomic_store_n(&r->connect_done, 1, __ATOMIC_SEQ_CST);
	rst = job_wait(racer, deadline + GRACE_MS);

	rs->iters++;
	rs->ebusy_iters += !!r->ebusy;
	rs->early_iters += !!r->early;
	rs->ebusy += r->ebusy;
	rs->enoent += r->enoent;
	rs->enodev += r->enodev;

	if (cst) {
		TH_LOG("iteration %d: %s", iter, conn_str(cst));
		ok = false;
	}
	if (rst) {
		TH_LOG("iteration %d: the process writing nvme%d/delete_controller %s",
		       iter, r->target, job_str(rst));
		ok = false;
	} else if (r->outcome == RACE_STUCK) {
		if (r->left.instance >= 0)
			TH_LOG("iteration %d (delete writes: %d ok, %d EBUSY): after %d ms, %s",
			       iter, r->ok, r->ebusy, ITER_MS,
			       ctrl_info_str(&r->left));
		else
			TH_LOG("iteration %d: no controller of ours showed up in %d ms",
			       iter, ITER_MS);
		ok = false;
	} else if (r->outcome == RACE_NO_CTRL && !cst) {
		TH_LOG("iteration %d: nvme%d of the connect never showed up",
		       iter, nu->conn.instance);
		ok = false;
	}
	if (r->other) {
		TH_LOG("iteration %d: writing 1 to nvme%d/delete_controller: %s",
		       iter, r->target, strerror(r->other_err));
		ok = false;
	}
	if (ok && r->target != nu->conn.instance) {
		TH_LOG("iteration %d: the connect made nvme%d, the racer deleted nvme%d",
		       iter, nu->conn.instance, r->target);
		ok = false;
	}
	EXPECT_TRUE(ok);
	return ok ? 0 : -1;
}

FIXTURE(nvme_del) {
	int kmsg;
};

FIXTURE_SETUP(nvme_del)
{
	int ret;

	self->kmsg = kmsg_open();
	ret = nu_setup();
	/* The teardown does not run after a failed setup */
	if (ret)
		nu_cleanup();
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(nvme_del)
{
	EXPECT_EQ(0, nu_cleanup());
	EXPECT_EQ(0, kmsg_splats(self->kmsg));
	if (self->kmsg >= 0)
		close(self->kmsg);
}

/*
 * Delete the controller while it is being set up: every connect succeeds,
 * every controller is gone at the end of its iteration, and at least one
 * write met the setup window (an EBUSY, or a write answered before the
 * connect returned); otherwise nothing was raced and the test fails.
 */
TEST_F_TIMEOUT(nvme_del, delete_during_setup, 360)
{
	struct race_stats rs = { 0 };
	long long t0 = now_ms();
	int i;

	ksft_print_msg("delete_during_setup: %d iterations\n", iters);
	for (i = 0; i < iters; i++) {
		if (now_ms() - t0 > RACE_BUDGET_MS) {
			TH_LOG("only %d of %d iterations in %d s: lower NVME_RACE_ITERS",
			       i, iters, RACE_BUDGET_MS / 1000);
			EXPECT_EQ(iters, i);
			break;
		}
		if (race_once(_metadata, i, &rs)) {
			TH_LOG("stopping after the failed iteration %d", i);
			break;
		}
		if ((i + 1) % PROGRESS_EVERY == 0)
			ksft_print_msg("delete_during_setup: %d/%d iterations, %d EBUSY so far\n",
				       i + 1, iters, rs.ebusy);
	}
	ksft_print_msg("delete_during_setup: %d iterations, %d met EBUSY, %d wrote early\n",
		       rs.iters, rs.ebusy_iters, rs.early_iters);
	ksft_print_msg("delete_during_setup: %d EBUSY, %d ENOENT, %d ENODEV\n",
		       rs.ebusy, rs.enoent, rs.enodev);
	/* Only if every iteration ran and passed: else it failed already */
	if (i == iters && !rs.ebusy_iters && !rs.early_iters)
		TH_LOG("in %d iterations, no write met the setup window: nothing raced",
		       rs.iters);
	EXPECT_LT(0, rs.ebusy_iters + rs.early_iters);
}

int main(int argc, char **argv)
{
	const char *env = getenv("NVME_RACE_ITERS");
	char *end;
	long n;

	if (env) {
		errno = 0;
		n = strtol(env, &end, 10);
		if (errno || end == env || *end || n < 1 || n > MAX_ITERS) {
			ksft_print_header();
			ksft_exit_fail_msg("NVME_RACE_ITERS=\"%s\": not a number from 1 to %d\n",
					   env, MAX_ITERS);
		}
		iters = n;
	}
	nu_init();
	r = shm_alloc(sizeof(*r));
	if (!r) {
		ksft_print_header();
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	}
	return test_harness_run(argc, argv);
}
