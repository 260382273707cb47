// SPDX-License-Identifier: GPL-2.0
/*
 * Delete a live NVMe over Fabrics controller through its delete_controller
 * attribute in sysfs, also with bad input written to that attribute while
 * the deletion is under way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "nvme_util.h"

#define BAD_ROUNDS	10
#define BAD_BUDGET_MS	80000
#define START_MS	5000
#define BIG_INPUT	4096

static char big_input[BIG_INPUT];

/* Concurrent writers of bad_input_during_delete, one per input */
static const struct input {
	const char *name;
	const char *buf;
	size_t len;
} inputs[] = {
	{ "\"1\"", "1", 1 },
	{ "\"0\"", "0", 1 },
	{ "\"garbage\"", "garbage", 7 },
	{ "\"\"", "", 0 },
	{ "4 KiB of 'x'", big_input, BIG_INPUT },
	{ "\"1\\n\"", "1\n", 2 },
};

#define NR_WRITERS	ARRAY_SIZE(inputs)

/* What one writer saw, by answer */
struct writer_res {
	int ready;
	int attempts, ok, ebusy, enoent, enodev, einval, other, other_err;
};

static struct {
	int go;
	int target;
	int del_ret;		/* bytes written, or -errno */
	struct writer_res w[NR_WRITERS];
} *sh;

static int job_delete(void *arg)
{
	int inst = *(int *)arg, ret;

	ret = ctrl_write(inst, "1", 1, NULL);
	sh->del_ret = ret ? ret : 1;
	return 0;
}

static int job_inspect(void *arg)
{
	int inst = *(int *)arg;

	if (!ctrl_exists(inst))
		return 1;
	ctrl_describe(inst, &nu->info);
	return 0;
}

/* Write one input to delete_controller until the controller is gone */
static int job_writer(void *arg)
{
	unsigned int idx = *(unsigned int *)arg;
	const struct input *in = &inputs[idx];
	struct writer_res *w = &sh->w[idx];
	long long deadline = now_ms() + START_MS;
	int ret;

	__atomic_store_n(&w->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&sh->go, __ATOMIC_SEQ_CST)) {
		if (now_ms() >= deadline)
			return 2;
		sched_yield();
	}
	deadline = now_ms() + DELETE_MS;
	do {
		ret = ctrl_write(sh->target, in->buf, in->len, NULL);
		w->attempts++;
		if (!ret)
			w->ok++;
		else if (ret == -EBUSY)
			w->ebusy++;
		else if (ret == -ENOENT)
			w->enoent++;
		else if (ret == -ENODEV)
			w->enodev++;
		else if (ret == -EINVAL)
			w->einval++;
		else if (!w->other++)
			w->other_err = -ret;
		sched_yield();
	} while (ctrl_exists(sh->target) && now_ms() < deadline);
	return 0;
}

/* Connect; the instance, or -1 after a failed EXPECT */
static int connect_ctrl(struct __test_metadata *_metadata, const char *when)
{
	int st = job_run(job_connect, NULL, CONNECT_MS);

	if (st)
		TH_LOG("%s: %s", when, conn_str(st));
	EXPECT_EQ(0, st);
	return st ? -1 : nu->conn.instance;
}

static bool expect_gone(struct __test_metadata *_metadata, const char *when)
{
	int st = job_run(job_gone, NULL, GONE_MS + GRACE_MS);

	if (st == 1)
		TH_LOG("%s: after %d ms, %s", when, GONE_MS,
		       ctrl_info_str(&nu->info));
	else if (st)
		TH_LOG("%s: looking for leftover controllers: the child %s",
		       when, job_str(st));
	EXPECT_EQ(0, st);
	return !st;
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

/* A controller that is up can be deleted, and goes away */
TEST_F_TIMEOUT(nvme_del, delete_live, 60)
{
	int inst, st;

	inst = connect_ctrl(_metadata, "delete_live");
	if (inst < 0)
		return;
	st = job_run(job_inspect, &inst, DELETE_MS);
	if (st)
		TH_LOG("nvme%d of the connect reply is not in " SYS_NVME ": the child %s",
		       inst, job_str(st));
	EXPECT_EQ(0, st);
	if (st)
		return;
	EXPECT_TRUE(nu->info.ours);
	EXPECT_STREQ("live", nu->info.state);
	EXPECT_TRUE(nu->info.has_delete);

	st = job_run(job_delete, &inst, DELETE_MS);
	if (st)
		TH_LOG("writing 1 to nvme%d/delete_controller: the child %s",
		       inst, job_str(st));
	else if (sh->del_ret < 0)
		TH_LOG("writing 1 to nvme%d/delete_controller: %s", inst,
		       strerror(-sh->del_ret));
	EXPECT_EQ(0, st);
	EXPECT_EQ(1, sh->del_ret);
	expect_gone(_metadata, "after delete_controller");
}

static int bad_input_round(struct __test_metadata *_metadata, int round,
			   struct writer_res *tot)
{
	int st[NR_WRITERS], inst, accepted = 0;
	pid_t pids[NR_WRITERS];
	long long deadline;
	unsigned int i;
	bool ok = true;
	char when[32];

	snprintf(when, sizeof(when), "round %d", round);
	inst = connect_ctrl(_metadata, when);
	if (inst < 0)
		return -1;

	memset(sh, 0, sizeof(*sh));
	sh->target = inst;
	for (i = 0; i < NR_WRITERS; i++)
		pids[i] = job_start(job_writer, &i);
	/* Start them together, "1" and the bad ones */
	deadline = now_ms() + START_MS;
	for (i = 0; i < NR_WRITERS; i++)
		while (pids[i] > 0 &&
		       !__atomic_load_n(&sh->w[i].ready, __ATOMIC_SEQ_CST) &&
		       now_ms() < deadline)
			sleep_ms(1);
	__atomic_store_n(&sh->go, 1, __ATOMIC_SEQ_CST);
	deadline = now_ms() + START_MS + DELETE_MS + GRACE_MS;
	for (i = 0; i < NR_WRITERS; i++)
		st[i] = job_wait(pids[i], deadline);

	for (i = 0; i < NR_WRITERS; i++) {
		struct writer_res *w = &sh->w[i];

		if (st[i]) {
			TH_LOG("%s: the writer of %s to nvme%d/delete_controller %s",
			       when, inputs[i].name, inst, job_str(st[i]));
			ok = false;
			continue;
		}
		if (w->other) {
			TH_LOG("%s: writing %s to nvme%d/delete_controller: %s",
			       when, inputs[i].name, inst,
			       strerror(w->other_err));
			ok = false;
		}
		if (inputs[i].len)
			accepted += w->ok;
		tot->attempts += w->attempts;
		tot->ok += w->ok;
		tot->ebusy += w->ebusy;
		tot->enoent += w->enoent;
		tot->enodev += w->enodev;
		tot->einval += w->einval;
	}
	if (ok && !accepted) {
		TH_LOG("%s: no write to delete_controller of the live nvme%d was accepted",
		       when, inst);
		ok = false;
	}
	EXPECT_TRUE(ok);
	if (!expect_gone(_metadata, when))
		ok = false;
	return ok ? 0 : -1;
}

/*
 * Write "1" to delete_controller and, at the same time, other input to the
 * same attribute: every write returns in time with success, EBUSY,
 * ENOENT, ENODEV or EINVAL, and the controller goes away.
 */
TEST_F_TIMEOUT(nvme_del, bad_input_during_delete, 120)
{
	struct writer_res tot = { 0 };
	long long t0 = now_ms();
	int i;

	for (i = 0; i < BAD_ROUNDS; i++) {
		if (now_ms() - t0 > BAD_BUDGET_MS) {
			TH_LOG("stopping after %d rounds in %d s", i,
			       BAD_BUDGET_MS / 1000);
			break;
		}
		if (bad_input_round(_metadata, i, &tot))
			break;
	}
	ksft_print_msg("bad_input_during_delete: %d rounds, %d writes, %d accepted\n",
		       i, tot.attempts, tot.ok);
	ksft_print_msg("bad_input_during_delete: %d EBUSY, %d ENOENT, %d ENODEV, %d EINVAL\n",
		       tot.ebusy, tot.enoent, tot.enodev, tot.einval);
}

int main(int argc, char **argv)
{
	nu_init();
	sh = shm_alloc(sizeof(*sh));
	if (!sh) {
		ksft_print_header();
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	}
	memset(big_input, 'x', sizeof(big_input));
	return test_harness_run(argc, argv);
}
