/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared body of nvme_delete_ctrl.c and nvme_delete_race.c, which build it
 * into two programs: the race runs on its own, since on a kernel without
 * the fix it can oops and take any other test down with it.
 *
 * Deleting an NVMe over Fabrics controller through sysfs, also while it is
 * still being set up.
 *
 * A write to /sys/class/nvme/nvmeN/delete_controller must not tear down a
 * controller whose initialisation is not complete: the kernel answers
 * EBUSY until the controller has been started once.  Without that, a write
 * while the controller is new removes the attribute and deletes nothing,
 * and a write while it is connecting deletes a controller that the connect
 * is still setting up: the connect fails, or the kernel oopses.
 *
 * The controllers come from the nvmet loop transport: an nvmet subsystem
 * with one namespace on a loop device, exported on a loop port, set up
 * through configfs and connected through /dev/nvme-fabrics.  Everything
 * that can block in the nvme code runs in a child process with a time
 * limit, so that a wedged kernel makes the test fail instead of hang.
 * Our controllers are told apart by their hostnqn, which, unlike
 * subsysnqn, can be read as soon as the controller is visible.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/loop.h>
#include <linux/magic.h>

#include "kselftest_harness.h"

/* In linux/magic.h only since v5.17 */
#ifndef CONFIGFS_MAGIC
#define CONFIGFS_MAGIC	0x62656570
#endif

#define CFS_ROOT	"/sys/kernel/config"
#define NVMET_DIR	CFS_ROOT "/nvmet"
#define SYS_NVME	"/sys/class/nvme"
#define FABRICS_DEV	"/dev/nvme-fabrics"

#define BACKING_SIZE	(16 << 20)
#define PORT_BASE	1024u
#define PORT_SPAN	60000u
#define PORT_TRIES	64u

/* Time limits, in ms */
#define ITER_MS		10000	/* one racing connect and delete, whole */
#define CONNECT_MS	20000
#define DELETE_MS	10000
#define GONE_MS		10000
#define GRACE_MS	2000	/* on top of a child's own limit */
#define START_MS	5000
#define SETUP_MS	30000
#define CLEANUP_MS	60000

#define RACE_ITERS	100
#define RACE_BUDGET_MS	300000
#define RACE_TIMEOUT_S	360
#define BAD_ROUNDS	10
#define BAD_BUDGET_MS	80000
#define PROGRESS_EVERY	25

#define MSG_LEN		256
#define KMSG_REC_SIZE	8192
#define BIG_INPUT	4096

/* Exit codes of children that are not plain results */
#define JOB_HUNG	-1	/* did not end in time */
#define JOB_LOST	-2	/* could not be started or waited for */
#define JOB_SIGNALED	1000	/* + the signal that ended it */
#define PROBE_NO_LOOP	2

enum { CONN_OPEN = 1, CONN_WRITE, CONN_READ, CONN_PARSE };
enum { RACE_RUNNING, RACE_GONE, RACE_NO_CTRL, RACE_STUCK };

/* A controller that is there, as sysfs shows it */
struct ctrl_info {
	int instance;
	int ours;
	int has_delete;
	char state[32];
};

struct conn_res {
	int stage;		/* 0, or the CONN_* step that failed */
	int err;
	int instance;
	int cntlid;
	char reply[128];
};

struct race_res {
	int ready;		/* set by the racer */
	int connect_done;	/* set by the parent */
	int target;		/* instance the racer went for */
	int outcome;
	int ok;
	int ebusy;
	int enoent;
	int enodev;
	int other;
	int other_err;
	struct ctrl_info left;	/* what was still there at the end */
};

struct writer_res {
	int ready;
	int attempts;
	int ok;
	int ebusy;
	int enoent;
	int enodev;
	int einval;
	int other;
	int other_err;
};

struct input {
	const char *name;
	const char *buf;
	size_t len;
};

static char big_input[BIG_INPUT];

/* Concurrent writers of bad_input_during_delete, one per input */
static const struct input inputs[] = {
	{ "\"1\"", "1", 1 },
	{ "\"0\"", "0", 1 },
	{ "\"garbage\"", "garbage", 7 },
	{ "\"\"", "", 0 },
	{ "4 KiB of 'x'", big_input, BIG_INPUT },
	{ "\"1\\n\"", "1\n", 2 },
};

#define NR_WRITERS	ARRAY_SIZE(inputs)

/* Shared with the children: results come back through here */
struct shm {
	int err;			/* first error of setup or cleanup */
	char msg[MSG_LEN];
	struct conn_res conn;
	struct race_res race;
	struct ctrl_info info;
	int del_ret;			/* bytes written, or -errno */
	int go;
	int target;
	struct writer_res w[NR_WRITERS];
};

static struct shm *sh;
static pid_t main_pid;
static char subnqn[64];
static char hostnqn[96];
static char hostid[40];
static char traddr[32];

struct race_stats {
	int iters;
	int window;		/* iterations that met EBUSY first */
	int ebusy;
	int enoent;
	int enodev;
};

/* ---- helpers ---- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	nanosleep(&ts, NULL);
}

static struct shm *shm_new(void)
{
	void *p = mmap(NULL, sizeof(struct shm), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int write_buf(const char *path, const void *buf, size_t len)
{
	int fd, ret = 0;
	ssize_t n;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

/* Read a small text file, without its trailing newline */
static int read_str(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* ---- child processes ---- */

/*
 * A child must not keep the test's output open: one that is stuck in the
 * kernel would keep the kselftest runner waiting for the end of it.
 */
static void quiet_child(void)
{
	int fd, i;

	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
#ifdef __NR_close_range
	if (!syscall(__NR_close_range, 3, ~0U, 0))
		return;
#endif
	for (i = 3; i < 256; i++)
		close(i);
}

static pid_t job_start(int (*fn)(void *arg), void *arg)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		quiet_child();
		_exit(fn(arg) & 0xff);
	}
	return pid;
}

/*
 * Wait for a child until @deadline.  Returns its exit code, JOB_SIGNALED
 * plus the signal that ended it, or JOB_HUNG.  A hung child gets SIGKILL
 * and is left behind: a task stuck in the kernel may never end.
 */
static int job_wait(pid_t pid, long long deadline)
{
	int status;
	pid_t r;

	if (pid < 0)
		return JOB_LOST;
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return JOB_LOST;
		if (now_ms() >= deadline) {
			kill(pid, SIGKILL);
			return JOB_HUNG;
		}
		sleep_ms(1);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return JOB_SIGNALED + WTERMSIG(status);
	return JOB_LOST;
}

static int job_run(int (*fn)(void *arg), void *arg, int timeout)
{
	return job_wait(job_start(fn, arg), now_ms() + timeout);
}

static const char *job_str(int st)
{
	static char buf[96];

	if (st == JOB_HUNG)
		return "did not finish in time";
	if (st == JOB_LOST)
		return "could not be started or waited for";
	if (st >= JOB_SIGNALED)
		snprintf(buf, sizeof(buf),
			 "was killed by signal %d (%s); a kernel oops does that",
			 st - JOB_SIGNALED, strsignal(st - JOB_SIGNALED));
	else
		snprintf(buf, sizeof(buf), "failed (exit code %d)", st);
	return buf;
}

/* Record the first error of a setup or cleanup child; returns 1 */
static int job_fail(int err, const char *fmt, ...)
{
	va_list ap;

	if (sh->err)
		return 1;
	sh->err = err ? err : EIO;
	va_start(ap, fmt);
	vsnprintf(sh->msg, sizeof(sh->msg), fmt, ap);
	va_end(ap);
	return 1;
}

/* ---- host controllers in sysfs ---- */

static void ctrl_path(char *buf, size_t len, int inst, const char *attr)
{
	if (attr)
		snprintf(buf, len, SYS_NVME "/nvme%d/%s", inst, attr);
	else
		snprintf(buf, len, SYS_NVME "/nvme%d", inst);
}

static bool ctrl_exists(int inst)
{
	char path[64];

	ctrl_path(path, sizeof(path), inst, NULL);
	return !access(path, F_OK);
}

static bool ctrl_is_ours(int inst)
{
	char path[64], nqn[256];

	ctrl_path(path, sizeof(path), inst, "hostnqn");
	return !read_str(path, nqn, sizeof(nqn)) && !strcmp(nqn, hostnqn);
}

/* How many controllers of ours there are; the first is put in *@inst */
static int find_ours(int *inst)
{
	struct dirent *de;
	int n, cnt = 0;
	char c;
	DIR *d;

	d = opendir(SYS_NVME);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "nvme%d%c", &n, &c) != 1 || n < 0)
			continue;
		if (!ctrl_is_ours(n))
			continue;
		if (!cnt++)
			*inst = n;
	}
	closedir(d);
	return cnt;
}

static void ctrl_describe(int inst, struct ctrl_info *ci)
{
	char path[64];

	ci->instance = inst;
	ci->ours = ctrl_is_ours(inst);
	ctrl_path(path, sizeof(path), inst, "state");
	if (read_str(path, ci->state, sizeof(ci->state)))
		snprintf(ci->state, sizeof(ci->state), "(unreadable)");
	ctrl_path(path, sizeof(path), inst, "delete_controller");
	ci->has_delete = !access(path, F_OK);
}

/* Open and write a controller attribute: 0 (written, maybe short), -errno */
static int ctrl_write(int inst, const char *attr, const void *buf,
		      size_t len, bool *opened)
{
	char path[64];
	ssize_t n;
	int fd;

	ctrl_path(path, sizeof(path), inst, attr);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (opened)
		*opened = true;
	n = write(fd, buf, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : 0;
}

/* ---- nvmet in configfs (all in children) ---- */

static int cfs_set(const char *dir, const char *attr, const char *val)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	ret = write_buf(path, val, strlen(val));
	if (ret)
		return job_fail(-ret, "writing \"%s\" to %s: %s", val, path,
				strerror(-ret));
	return 0;
}

/* Make a port with an unused id */
static int make_port(char *port, size_t len)
{
	unsigned int i, id;

	for (i = 0; i < PORT_TRIES; i++) {
		id = PORT_BASE + ((unsigned int)main_pid + i) % PORT_SPAN;
		snprintf(port, len, NVMET_DIR "/ports/%u", id);
		if (!mkdir(port, 0755))
			return 0;
		if (errno != EEXIST)
			return job_fail(errno, "mkdir %s: %s", port,
					strerror(errno));
	}
	return job_fail(EEXIST, "no free nvmet port id");
}

/* Does the nvmet loop transport exist?  Links a subsystem to a loop port */
static int job_probe(void *arg)
{
	char sub[128], port[128], link[256];
	int ret;

	(void)arg;

	snprintf(sub, sizeof(sub), NVMET_DIR "/subsystems/kst-nvme-probe-%d",
		 main_pid);
	if (mkdir(sub, 0755))
		return job_fail(errno, "mkdir %s: %s", sub, strerror(errno));
	ret = make_port(port, sizeof(port));
	if (ret)
		goto out_sub;
	snprintf(link, sizeof(link), "%s/addr_trtype", port);
	ret = write_buf(link, "loop", 4);
	if (ret) {
		ret = ret == -EINVAL ? PROBE_NO_LOOP :
		      job_fail(-ret, "writing loop to %s: %s", link,
			       strerror(-ret));
		goto out_port;
	}
	snprintf(link, sizeof(link), "%s/subsystems/kst-nvme-probe-%d", port,
		 main_pid);
	/* Linking enables the port, which needs the transport */
	if (symlink(sub, link)) {
		ret = errno == EINVAL ? PROBE_NO_LOOP :
		      job_fail(errno, "symlink %s: %s", link, strerror(errno));
		goto out_port;
	}
	if (unlink(link))
		ret = job_fail(errno, "unlink %s: %s", link, strerror(errno));
out_port:
	if (rmdir(port) && !ret)
		ret = job_fail(errno, "rmdir %s: %s", port, strerror(errno));
out_sub:
	if (rmdir(sub) && !ret)
		ret = job_fail(errno, "rmdir %s: %s", sub, strerror(errno));
	return ret;
}

static int job_cfs_setup(void *arg)
{
	char sub[128], ns[128], port[128], link[256];
	const char *dev = arg;

	snprintf(sub, sizeof(sub), NVMET_DIR "/subsystems/%s", subnqn);
	if (mkdir(sub, 0755))
		return job_fail(errno, "mkdir %s: %s", sub, strerror(errno));
	if (cfs_set(sub, "attr_allow_any_host", "1"))
		return 1;
	snprintf(ns, sizeof(ns), NVMET_DIR "/subsystems/%s/namespaces/1",
		 subnqn);
	if (mkdir(ns, 0755))
		return job_fail(errno, "mkdir %s: %s", ns, strerror(errno));
	if (cfs_set(ns, "device_path", dev) || cfs_set(ns, "enable", "1"))
		return 1;
	if (make_port(port, sizeof(port)))
		return 1;
	/* Our own traddr: the loop host picks the port by it */
	if (cfs_set(port, "addr_trtype", "loop") ||
	    cfs_set(port, "addr_traddr", traddr))
		return 1;
	snprintf(link, sizeof(link), "%s/subsystems/%s", port, subnqn);
	if (symlink(sub, link))
		return job_fail(errno, "symlink %s: %s", link, strerror(errno));
	return 0;
}

static void wait_none_of_ours(int timeout)
{
	long long deadline = now_ms() + timeout;
	int inst;

	while (find_ours(&inst) && now_ms() < deadline)
		sleep_ms(5);
}

/*
 * Remove everything of ours, found by name, so that it also cleans up
 * after a test that was killed: host controllers, our port (the one with
 * our traddr), the namespace and the subsystem.
 */
static int job_cleanup(void *arg)
{
	char path[PATH_MAX], sub[128], buf[256];
	struct dirent *de;
	int inst, n;
	DIR *d;

	(void)arg;

	sh->info.instance = -1;
	if (find_ours(&inst)) {
		d = opendir(SYS_NVME);
		while (d && (de = readdir(d))) {
			char c;

			if (sscanf(de->d_name, "nvme%d%c", &n, &c) == 1 &&
			    n >= 0 && ctrl_is_ours(n))
				ctrl_write(n, "delete_controller", "1", 1, NULL);
		}
		if (d)
			closedir(d);
		/* One without delete_controller goes with the port */
		wait_none_of_ours(GONE_MS);
	}

	d = opendir(NVMET_DIR "/ports");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), NVMET_DIR "/ports/%s/addr_traddr",
			 de->d_name);
		if (read_str(path, buf, sizeof(buf)) || strcmp(buf, traddr))
			continue;
		snprintf(path, sizeof(path), NVMET_DIR "/ports/%s/subsystems/%s",
			 de->d_name, subnqn);
		if (unlink(path) && errno != ENOENT)
			job_fail(errno, "unlink %s: %s", path, strerror(errno));
		snprintf(path, sizeof(path), NVMET_DIR "/ports/%s", de->d_name);
		if (rmdir(path))
			job_fail(errno, "rmdir %s: %s", path, strerror(errno));
	}
	if (d)
		closedir(d);

	wait_none_of_ours(GONE_MS);
	if (find_ours(&inst)) {
		ctrl_describe(inst, &sh->info);
		job_fail(EBUSY, "nvme%d (state %s) is left over", inst,
			 sh->info.state);
	}

	snprintf(sub, sizeof(sub), NVMET_DIR "/subsystems/%s", subnqn);
	if (access(sub, F_OK))
		return sh->err ? 1 : 0;
	snprintf(path, sizeof(path), "%s/namespaces", sub);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/namespaces/%s", sub,
			 de->d_name);
		cfs_set(path, "enable", "0");
		if (rmdir(path))
			job_fail(errno, "rmdir %s: %s", path, strerror(errno));
	}
	if (d)
		closedir(d);
	if (rmdir(sub))
		job_fail(errno, "rmdir %s: %s", sub, strerror(errno));
	return sh->err ? 1 : 0;
}

/* ---- connect and delete (in children) ---- */

/* Write the options to /dev/nvme-fabrics, read back "instance=N,cntlid=M" */
static int job_connect(void *arg)
{
	struct conn_res *c = &sh->conn;
	char opts[512];
	ssize_t n, len;
	int fd;

	(void)arg;

	c->instance = -1;
	c->cntlid = -1;
	len = snprintf(opts, sizeof(opts),
		       "transport=loop,traddr=%s,nqn=%s,hostnqn=%s,hostid=%s",
		       traddr, subnqn, hostnqn, hostid);
	fd = open(FABRICS_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		c->err = errno;
		c->stage = CONN_OPEN;
		return 1;
	}
	n = write(fd, opts, len);
	if (n != len) {
		c->err = n < 0 ? errno : EIO;
		c->stage = CONN_WRITE;
		close(fd);
		return 1;
	}
	n = read(fd, c->reply, sizeof(c->reply) - 1);
	if (n <= 0) {
		c->err = n < 0 ? errno : EIO;
		c->stage = CONN_READ;
		close(fd);
		return 1;
	}
	c->reply[n] = '\0';
	c->reply[strcspn(c->reply, "\n")] = '\0';
	close(fd);
	if (sscanf(c->reply, "instance=%d,cntlid=%d", &c->instance,
		   &c->cntlid) != 2 || c->instance < 0) {
		c->err = EPROTO;
		c->stage = CONN_PARSE;
		return 1;
	}
	return 0;
}

#ifndef NVME_DELETE_RACE
static int job_inspect(void *arg)
{
	int inst = *(int *)arg;

	sh->info.instance = -1;
	if (!ctrl_exists(inst))
		return 1;
	ctrl_describe(inst, &sh->info);
	return 0;
}
#endif

#ifndef NVME_DELETE_RACE
static int job_delete(void *arg)
{
	int inst = *(int *)arg;
	char path[64];
	ssize_t n;
	int fd;

	ctrl_path(path, sizeof(path), inst, "delete_controller");
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		sh->del_ret = -errno;
		return 0;
	}
	n = write(fd, "1", 1);
	sh->del_ret = n < 0 ? -errno : n;
	close(fd);
	return 0;
}
#endif

#ifndef NVME_DELETE_RACE
/* Wait until no controller of ours is left; describe one that is */
static int job_gone(void *arg)
{
	long long deadline = now_ms() + GONE_MS;
	int inst;

	(void)arg;

	sh->info.instance = -1;
	while (find_ours(&inst)) {
		if (now_ms() >= deadline) {
			ctrl_describe(inst, &sh->info);
			return 1;
		}
		sleep_ms(2);
	}
	return 0;
}
#endif

#ifdef NVME_DELETE_RACE
/*
 * The racer: find our controller as soon as it shows up and write "1" to
 * its delete_controller until a write is accepted, then wait for it to go.
 * EBUSY means "not started yet": try again at once.  ENOENT before the
 * attribute was ever opened means it is not there yet; after that, like
 * ENODEV, that it went away.
 */
static int job_racer(void *arg)
{
	long long deadline = *(long long *)arg;
	struct race_res *r = &sh->race;
	bool opened = false, stop = false;
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
		ret = ctrl_write(r->target, "delete_controller", "1", 1,
				 &opened);
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

/* Write one input to delete_controller until the controller is gone */
#endif

#ifndef NVME_DELETE_RACE
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
		ret = ctrl_write(sh->target, "delete_controller", in->buf,
				 in->len, NULL);
		w->attempts++;
		if (!ret) {
			w->ok++;
		} else if (ret == -EBUSY) {
			w->ebusy++;
		} else if (ret == -ENOENT) {
			w->enoent++;
		} else if (ret == -ENODEV) {
			w->enodev++;
		} else if (ret == -EINVAL) {
			w->einval++;
		} else {
			if (!w->other++)
				w->other_err = -ret;
		}
		sched_yield();
	} while (ctrl_exists(sh->target) && now_ms() < deadline);
	return 0;
}

/* ---- checks in the test process ---- */
#endif

static void log_connect(struct __test_metadata *_metadata, const char *when,
			int st)
{
	static const char * const stage[] = {
		[CONN_OPEN] = "open", [CONN_WRITE] = "write",
		[CONN_READ] = "read", [CONN_PARSE] = "reply",
	};
	struct conn_res *c = &sh->conn;

	if (st != 1 || c->stage < CONN_OPEN || c->stage > CONN_PARSE)
		TH_LOG("%s: the connect %s", when, job_str(st));
	else if (c->stage == CONN_PARSE)
		TH_LOG("%s: connect: unexpected reply \"%s\" from "
		       FABRICS_DEV, when, c->reply);
	else
		TH_LOG("%s: connect: %s of " FABRICS_DEV " failed: %s", when,
		       stage[c->stage], strerror(c->err));
}

#ifndef NVME_DELETE_RACE
/* Connect; returns the instance, or -1 after a failed EXPECT */
static int connect_ctrl(struct __test_metadata *_metadata, const char *when)
{
	int st;

	memset(&sh->conn, 0, sizeof(sh->conn));
	st = job_run(job_connect, NULL, CONNECT_MS);
	if (st)
		log_connect(_metadata, when, st);
	EXPECT_EQ(0, st);
	return st ? -1 : sh->conn.instance;
}
#endif

static void log_left(struct __test_metadata *_metadata, const char *when,
		     const struct ctrl_info *ci, int ms)
{
	TH_LOG("%s: nvme%d is still there after %d ms: state \"%s\", delete_controller %s%s",
	       when, ci->instance, ms, ci->state,
	       ci->has_delete ? "present" : "missing",
	       !strcmp(ci->state, "live") && !ci->has_delete ?
	       " (alive without delete_controller: the delete was lost)" : "");
}

#ifndef NVME_DELETE_RACE
static bool expect_gone(struct __test_metadata *_metadata, const char *when)
{
	int st;

	st = job_run(job_gone, NULL, GONE_MS + GRACE_MS);
	if (st == 1)
		log_left(_metadata, when, &sh->info, GONE_MS);
	else if (st)
		TH_LOG("%s: looking for leftover controllers: the child %s",
		       when, job_str(st));
	EXPECT_EQ(0, st);
	return !st;
}
#endif

/* ---- kernel log ---- */

static void expect_no_splat(struct __test_metadata *_metadata, int fd)
{
	static const char * const bad[] = {
		"BUG:", "WARNING:", "Oops", "general protection", "UBSAN:",
		"KASAN:", "list_add corruption", "list_del corruption",
	};
	char rec[KMSG_REC_SIZE], *msg;
	unsigned int i;
	int found = 0;
	ssize_t n;

	if (fd < 0)
		return;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		msg[strcspn(msg, "\n")] = '\0';
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			if (!strstr(msg, bad[i]))
				continue;
			if (found++ < 10)
				TH_LOG("kernel log: %s", msg);
			break;
		}
	}
	EXPECT_EQ(0, found);
}

/* ---- loop device ---- */

struct nvme_env {
	int kmsg;
	int loop_fd;
	char dir[64];		/* temporary dir: backing file, device node */
	char dev[128];		/* the loop device node, for nvmet */
};

/* Device number of /dev/loopN; the minor depends on loop.max_part */
static dev_t loop_devt(int n)
{
	unsigned int maj = 7, min = n;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/loop%d/dev", n);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%u:%u", &maj, &min) != 2) {
			maj = 7;
			min = n;
		}
		fclose(f);
	}
	return makedev(maj, min);
}

/* A node for loop device @n: /dev/loopN if it is right, else our own */
static int loop_node(struct nvme_env *env, int n)
{
	dev_t devt = loop_devt(n);
	struct stat st;

	snprintf(env->dev, sizeof(env->dev), "/dev/loop%d", n);
	if (!stat(env->dev, &st) && S_ISBLK(st.st_mode) && st.st_rdev == devt)
		return 0;
	snprintf(env->dev, sizeof(env->dev), "%s/loop%d", env->dir, n);
	if (mknod(env->dev, S_IFBLK | 0600, devt) && errno != EEXIST)
		return -errno;
	return 0;
}

static int loop_attach(struct __test_metadata *_metadata,
		       struct nvme_env *env)
{
	struct loop_info64 info;
	int bfd, ctl, fd = -1, n, i, err = 0;
	char path[128];

	snprintf(path, sizeof(path), "%s/backing", env->dir);
	bfd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (bfd < 0) {
		TH_LOG("creating %s: %s", path, strerror(errno));
		return -1;
	}
	/* The loop device keeps the file; nothing is left behind */
	unlink(path);
	if (ftruncate(bfd, BACKING_SIZE)) {
		TH_LOG("ftruncate %s: %s", path, strerror(errno));
		close(bfd);
		return -1;
	}
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		TH_LOG("open /dev/loop-control: %s", strerror(errno));
		close(bfd);
		return -1;
	}
	/* Someone else may take the free device first: try a few times */
	for (i = 0; i < 16 && fd < 0; i++) {
		n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			err = errno;
			break;
		}
		err = -loop_node(env, n);
		if (err)
			break;
		fd = open(env->dev, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			err = errno;
			break;
		}
		if (!ioctl(fd, LOOP_SET_FD, bfd))
			break;
		err = errno;
		close(fd);
		fd = -1;
		if (err != EBUSY)
			break;
	}
	close(ctl);
	if (fd >= 0) {
		memset(&info, 0, sizeof(info));
		info.lo_flags = LO_FLAGS_AUTOCLEAR;
		snprintf((char *)info.lo_file_name, sizeof(info.lo_file_name),
			 "%s", subnqn);
		if (ioctl(fd, LOOP_SET_STATUS64, &info)) {
			err = errno;
			ioctl(fd, LOOP_CLR_FD, 0);
			close(fd);
			fd = -1;
		}
	}
	close(bfd);
	if (fd < 0) {
		TH_LOG("setting up a loop device: %s", strerror(err));
		return -1;
	}
	env->loop_fd = fd;
	return 0;
}

static void loop_detach(struct nvme_env *env)
{
	if (env->loop_fd < 0)
		return;
	/* Detaches now, or at the last close thanks to autoclear */
	ioctl(env->loop_fd, LOOP_CLR_FD, 0);
	close(env->loop_fd);
	env->loop_fd = -1;
}

/* ---- fixture ---- */

FIXTURE(nvme_del) {
	struct nvme_env env;
};

/* Returns 0 when everything of ours is gone */
static int env_cleanup(struct __test_metadata *_metadata,
		       struct nvme_env *env)
{
	char path[PATH_MAX];
	struct dirent *de;
	int st = 0;
	DIR *d;

	if (sh) {
		sh->err = 0;
		sh->msg[0] = '\0';
		st = job_run(job_cleanup, NULL, CLEANUP_MS);
		if (st == 1)
			TH_LOG("cleanup: %s", sh->msg);
		else if (st)
			TH_LOG("cleanup: the child %s", job_str(st));
	}
	loop_detach(env);
	if (env->dir[0]) {
		d = opendir(env->dir);
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", env->dir,
				 de->d_name);
			unlink(path);
		}
		if (d)
			closedir(d);
		rmdir(env->dir);
		env->dir[0] = '\0';
	}
	return st;
}

static int env_init(struct __test_metadata *_metadata, struct nvme_env *env)
{
	int st;

	sh = shm_new();
	if (!sh) {
		TH_LOG("mmap: %s", strerror(errno));
		return -1;
	}
	env->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (env->kmsg < 0)
		TH_LOG("no /dev/kmsg (%s): not checking the kernel log",
		       strerror(errno));
	else
		lseek(env->kmsg, 0, SEEK_END);

	/* Leftovers of a test that was killed */
	st = job_run(job_cleanup, NULL, CLEANUP_MS);
	if (st != 0 && st != 1) {
		TH_LOG("removing leftovers: the child %s", job_str(st));
		return -1;
	}

	snprintf(env->dir, sizeof(env->dir), "/tmp/kst-nvme-XXXXXX");
	if (!mkdtemp(env->dir)) {
		TH_LOG("mkdtemp: %s", strerror(errno));
		env->dir[0] = '\0';
		return -1;
	}
	if (loop_attach(_metadata, env))
		return -1;

	sh->err = 0;
	sh->msg[0] = '\0';
	st = job_run(job_cfs_setup, env->dev, SETUP_MS);
	if (st) {
		if (st == 1)
			TH_LOG("nvmet setup: %s", sh->msg);
		else
			TH_LOG("nvmet setup: the child %s", job_str(st));
		return -1;
	}
	return 0;
}

FIXTURE_SETUP(nvme_del)
{
	struct nvme_env *env = &self->env;
	int ret;

	env->kmsg = -1;
	env->loop_fd = -1;
	env->dir[0] = '\0';
	ret = env_init(_metadata, env);
	/* Teardown does not run after a failed setup: clean up here */
	if (ret)
		env_cleanup(_metadata, env);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(nvme_del)
{
	struct nvme_env *env = &self->env;

	EXPECT_EQ(0, env_cleanup(_metadata, env));
	expect_no_splat(_metadata, env->kmsg);
	if (env->kmsg >= 0)
		close(env->kmsg);
	env->kmsg = -1;
}

/* ---- tests (EXPECT_* only, so that the teardown always runs) ---- */

#ifndef NVME_DELETE_RACE
/* A controller that is up can be deleted, and goes away */
TEST_F_TIMEOUT(nvme_del, delete_live, 60)
{
	int inst, st;

	inst = connect_ctrl(_metadata, "delete_live");
	if (inst < 0)
		return;
	st = job_run(job_inspect, &inst, DELETE_MS);
	if (st)
		TH_LOG("nvme%d of the connect reply: not in " SYS_NVME ", the child %s",
		       inst, job_str(st));
	EXPECT_EQ(0, st);
	if (st)
		return;
	EXPECT_TRUE(sh->info.ours);
	EXPECT_STREQ("live", sh->info.state);
	EXPECT_TRUE(sh->info.has_delete);

	st = job_run(job_delete, &inst, DELETE_MS);
	if (st)
		TH_LOG("writing 1 to nvme%d/delete_controller: the child %s",
		       inst, job_str(st));
	EXPECT_EQ(0, st);
	if (st)
		return;
	if (sh->del_ret < 0)
		TH_LOG("writing 1 to nvme%d/delete_controller: %s", inst,
		       strerror(-sh->del_ret));
	EXPECT_EQ(1, sh->del_ret);
	expect_gone(_metadata, "after delete_controller");
}
#endif

#ifdef NVME_DELETE_RACE
/* One connect with a racer that deletes the controller as soon as it can */
static int race_once(struct __test_metadata *_metadata, int iter,
		     struct race_stats *rs)
{
	struct race_res *r = &sh->race;
	long long deadline;
	pid_t racer;
	int cst, rst;
	bool ok = true;

	memset(r, 0, sizeof(*r));
	memset(&sh->conn, 0, sizeof(sh->conn));
	deadline = now_ms() + ITER_MS;
	racer = job_start(job_racer, &deadline);
	if (racer < 0) {
		TH_LOG("iteration %d: fork: %s", iter, strerror(errno));
		EXPECT_LE(0, racer);
		return -1;
	}
	while (!__atomic_load_n(&r->ready, __ATOMIC_SEQ_CST) &&
	       now_ms() < deadline)
		sleep_ms(1);
	cst = job_wait(job_start(job_connect, NULL), deadline);
	__atomic_store_n(&r->connect_done, 1, __ATOMIC_SEQ_CST);
	rst = job_wait(racer, deadline + GRACE_MS);

	rs->iters++;
	rs->ebusy += r->ebusy;
	rs->enoent += r->enoent;
	rs->enodev += r->enodev;
	if (r->ebusy)
		rs->window++;

	if (cst) {
		char when[32];

		snprintf(when, sizeof(when), "iteration %d", iter);
		log_connect(_metadata, when, cst);
		ok = false;
	}
	if (rst) {
		TH_LOG("iteration %d: the process writing nvme%d/delete_controller %s",
		       iter, r->target, job_str(rst));
		ok = false;
	} else if (r->outcome == RACE_STUCK) {
		char when[64];

		snprintf(when, sizeof(when),
			 "iteration %d (delete writes: %d ok, %d EBUSY)", iter,
			 r->ok, r->ebusy);
		if (r->left.instance >= 0)
			log_left(_metadata, when, &r->left, ITER_MS);
		else if (r->target < 0)
			TH_LOG("%s: no controller of ours showed up in %d ms",
			       when, ITER_MS);
		else
			TH_LOG("%s: nvme%d went away only at the %d ms limit",
			       when, r->target, ITER_MS);
		ok = false;
	} else if (r->outcome == RACE_NO_CTRL && !cst) {
		TH_LOG("iteration %d: nvme%d of the connect never showed up",
		       iter, sh->conn.instance);
		ok = false;
	}
	if (r->other) {
		TH_LOG("iteration %d: writing 1 to nvme%d/delete_controller: %s",
		       iter, r->target, strerror(r->other_err));
		ok = false;
	}
	if (ok && r->target != sh->conn.instance) {
		TH_LOG("iteration %d: the connect made nvme%d, the racer deleted nvme%d",
		       iter, sh->conn.instance, r->target);
		ok = false;
	}
	EXPECT_EQ(0, cst);
	EXPECT_EQ(0, rst);
	EXPECT_EQ(0, r->other);
	EXPECT_TRUE(ok);
	return ok ? 0 : -1;
}

/*
 * Delete the controller while it is being set up: the write is refused
 * with EBUSY until it has started, every connect succeeds, every
 * controller is gone at the end of its iteration.
 */
TEST_F_TIMEOUT(nvme_del, delete_during_setup, RACE_TIMEOUT_S)
{
	struct race_stats rs = { 0 };
	long long t0 = now_ms();
	int i;

	for (i = 0; i < RACE_ITERS; i++) {
		if (now_ms() - t0 > RACE_BUDGET_MS) {
			TH_LOG("only %d of %d iterations in %d s", i,
			       RACE_ITERS, RACE_BUDGET_MS / 1000);
			EXPECT_EQ(RACE_ITERS, i);
			break;
		}
		if (race_once(_metadata, i, &rs)) {
			TH_LOG("stopping after the failed iteration %d", i);
			break;
		}
		if ((i + 1) % PROGRESS_EVERY == 0)
			ksft_print_msg("delete_during_setup: %d/%d iterations, %d EBUSY so far\n",
				       i + 1, RACE_ITERS, rs.ebusy);
	}
	ksft_print_msg("delete_during_setup: %d iterations, %d met EBUSY first\n",
		       rs.iters, rs.window);
	ksft_print_msg("delete_during_setup: %d EBUSY, %d ENOENT, %d ENODEV\n",
		       rs.ebusy, rs.enoent, rs.enodev);
}
#endif

#ifndef NVME_DELETE_RACE
static int bad_input_round(struct __test_metadata *_metadata, int round,
			   struct writer_res *tot)
{
	pid_t pids[NR_WRITERS];
	int st[NR_WRITERS], inst, accepted = 0;
	long long deadline;
	unsigned int i;
	bool ok = true;
	char when[32];

	snprintf(when, sizeof(when), "round %d", round);
	inst = connect_ctrl(_metadata, when);
	if (inst < 0)
		return -1;

	memset(sh->w, 0, sizeof(sh->w));
	sh->go = 0;
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
	deadline = now_ms() + DELETE_MS + GRACE_MS;
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
		tot->other += w->other;
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
#endif

/* ---- prerequisites and main ---- */

static void skip(const char *why)
{
	ksft_print_header();
	ksft_exit_skip("%s\n", why);
}

static void check_prerequisites(void)
{
	struct statfs sfs;
	char why[160];
	int fd, st;

	if (geteuid())
		skip("must be run as root");
	if (access("/dev/loop-control", F_OK))
		skip("no /dev/loop-control (CONFIG_BLK_DEV_LOOP)");
	if ((statfs(CFS_ROOT, &sfs) || sfs.f_type != CONFIGFS_MAGIC) &&
	    mount("configfs", CFS_ROOT, "configfs", 0, NULL)) {
		snprintf(why, sizeof(why),
			 "cannot mount configfs on " CFS_ROOT ": %s (CONFIG_CONFIGFS_FS)",
			 strerror(errno));
		skip(why);
	}
	if (access(NVMET_DIR, F_OK))
		skip("no " NVMET_DIR " (CONFIG_NVME_TARGET)");
	fd = open(FABRICS_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, sizeof(why),
			 "cannot open " FABRICS_DEV ": %s (CONFIG_NVME_FABRICS)",
			 strerror(errno));
		skip(why);
	}
	close(fd);

	sh = shm_new();
	if (!sh) {
		ksft_print_header();
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	}
	st = job_run(job_probe, NULL, SETUP_MS);
	if (st == PROBE_NO_LOOP)
		skip("nvmet has no loop transport (CONFIG_NVME_TARGET_LOOP)");
	if (st) {
		ksft_print_header();
		ksft_exit_fail_msg("probing the nvmet loop transport: %s\n",
				   st == 1 ? sh->msg : job_str(st));
	}
}

/* Safety net for a test killed by its timeout: runs in the main process */
static void remove_leftovers(void)
{
	int st;

	if (getpid() != main_pid || !sh)
		return;
	sh->err = 0;
	st = job_run(job_cleanup, NULL, CLEANUP_MS);
	if (st == 1)
		ksft_print_msg("removing leftovers: %s\n", sh->msg);
	else if (st)
		ksft_print_msg("removing leftovers: the child %s\n",
			       job_str(st));
}

int main(int argc, char **argv)
{
	main_pid = getpid();
	snprintf(subnqn, sizeof(subnqn), "kst-nvme-%d", main_pid);
	snprintf(traddr, sizeof(traddr), "kst-nvme-%d", main_pid);
	snprintf(hostnqn, sizeof(hostnqn),
		 "nqn.2014-08.org.kernel:kst-nvme-host-%d", main_pid);
	/* One hostid per hostnqn: v6.x+ refuses a hostnqn with another's id */
	snprintf(hostid, sizeof(hostid), "6b73742d-6e76-4d65-8000-%012x",
		 (unsigned int)main_pid);
	memset(big_input, 'x', sizeof(big_input));

	/* The harness exits 0 when every test skips: skip the binary here */
	check_prerequisites();
	atexit(remove_leftovers);
	return test_harness_run(argc, argv);
}
