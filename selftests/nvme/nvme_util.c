// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the nvme selftests, see nvme_util.h.
 *
 * Our objects are told apart from anyone else's by names made from our
 * pid: the subsystem, the port's traddr, the backing file and the hostnqn
 * of our host controllers.  The hostnqn, unlike subsysnqn, can be read
 * as soon as a controller shows up in sysfs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "../kselftest.h"
#include "nvme_util.h"

#ifndef ARRAY_SIZE	/* not in 5.10's kselftest.h */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* In linux/magic.h only since v5.17 */
#define CONFIGFS_MAGIC	0x62656570

#define CFS_ROOT	"/sys/kernel/config"
#define NVMET_DIR	CFS_ROOT "/nvmet"
#define FABRICS_DEV	"/dev/nvme-fabrics"
#define BACKING_SIZE	(16 << 20)
#define SETUP_MS	30000
#define CLEANUP_MS	60000
#define PROBE_NO_LOOP	2

struct nu_shared *nu;
static pid_t main_pid;
static char subnqn[64], traddr[64], hostnqn[96], hostid[40];
static char backing[PATH_MAX];

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void *shm_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int write_str(const char *path, const void *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : (size_t)n == len ? 0 : -EIO;
}

/* Read a small text file, without its trailing newline: 0 or -errno */
int read_str(const char *path, char *buf, size_t size)
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

/* ---- children with deadlines ---- */

/*
 * A child stuck in the kernel must not hold the test's output open, or
 * the kselftest runner would wait for it.
 */
pid_t job_start(int (*fn)(void *arg), void *arg)
{
	pid_t pid;
	int fd, i;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid)
		return pid;
	fd = open("/dev/null", O_RDWR);
	for (i = 0; i < 3 && fd >= 0; i++)
		dup2(fd, i);
	for (i = 3; i < 256; i++)
		close(i);
	_exit(fn(arg) & 0xff);
}

/*
 * Wait for a child until @deadline: its exit code, JOB_SIGNALED plus the
 * signal that ended it, or JOB_HUNG (then it is sent SIGKILL and left
 * behind: a task stuck in the kernel may never end).
 */
int job_wait(pid_t pid, long long deadline)
{
	int status;
	pid_t r;

	if (pid < 0)
		return JOB_LOST;
	while ((r = waitpid(pid, &status, WNOHANG)) != pid) {
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
	return WIFSIGNALED(status) ? JOB_SIGNALED + WTERMSIG(status) : JOB_LOST;
}

int job_run(int (*fn)(void *arg), void *arg, int timeout_ms)
{
	return job_wait(job_start(fn, arg), now_ms() + timeout_ms);
}

const char *job_str(int st)
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
static int fail(const char *fmt, ...)
{
	va_list ap;

	if (!nu->msg[0]) {
		va_start(ap, fmt);
		vsnprintf(nu->msg, sizeof(nu->msg), fmt, ap);
		va_end(ap);
	}
	return 1;
}

/* ---- host controllers ---- */

static void ctrl_path(char *buf, size_t len, int inst, const char *attr)
{
	snprintf(buf, len, SYS_NVME "/nvme%d%s%s", inst, attr ? "/" : "",
		 attr ? attr : "");
}

bool ctrl_exists(int inst)
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

/* How many controllers of ours there are; the first one goes in *@inst */
int find_ours(int *inst)
{
	struct dirent *de;
	int n, cnt = 0;
	char c;
	DIR *d;

	d = opendir(SYS_NVME);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "nvme%d%c", &n, &c) != 1 || n < 0 ||
		    !ctrl_is_ours(n))
			continue;
		if (!cnt++)
			*inst = n;
	}
	closedir(d);
	return cnt;
}

void ctrl_describe(int inst, struct ctrl_info *ci)
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

const char *ctrl_info_str(const struct ctrl_info *ci)
{
	static char buf[160];

	snprintf(buf, sizeof(buf),
		 "nvme%d is still there: state \"%s\", delete_controller %s%s",
		 ci->instance, ci->state,
		 ci->has_delete ? "present" : "missing",
		 !strcmp(ci->state, "live") && !ci->has_delete ?
		 " (live without delete_controller: the delete was lost)" : "");
	return buf;
}

/* Write to delete_controller: 0 (written, maybe short) or -errno */
int ctrl_write(int inst, const char *buf, size_t len, bool *opened)
{
	char path[64];
	ssize_t n;
	int fd;

	ctrl_path(path, sizeof(path), inst, "delete_controller");
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

/*
 * Write the options to /dev/nvme-fabrics, read back "instance=N,...".
 * @arg: the subsystem NQN to connect to, or NULL for ours.
 */
int job_connect(void *arg)
{
	struct conn_res *c = &nu->conn;
	char opts[512];
	ssize_t n, len;
	int fd;

	memset(c, 0, sizeof(*c));
	c->instance = -1;
	len = snprintf(opts, sizeof(opts),
		       "transport=loop,traddr=%s,nqn=%s,hostnqn=%s,hostid=%s",
		       traddr, arg ? (const char *)arg : subnqn, hostnqn,
		       hostid);
	fd = open(FABRICS_DEV, O_RDWR | O_CLOEXEC);
	c->stage = 1;
	if (fd < 0)
		goto err;
	c->stage = 2;
	n = write(fd, opts, len);
	if (n != len)
		goto err_close;
	c->stage = 3;
	n = read(fd, c->reply, sizeof(c->reply) - 1);
	if (n <= 0)
		goto err_close;
	close(fd);
	c->reply[n] = '\0';
	c->reply[strcspn(c->reply, "\n")] = '\0';
	c->stage = 4;
	errno = EPROTO;
	if (sscanf(c->reply, "instance=%d", &c->instance) != 1 ||
	    c->instance < 0)
		goto err;
	c->stage = 0;
	return 0;
err_close:
	if (n >= 0)
		errno = EIO;
	close(fd);
err:
	c->err = errno;
	return 1;
}

/* Describe a connect child that did not return 0 */
const char *conn_str(int st)
{
	static const char * const step[] = {
		"", "open of " FABRICS_DEV, "write to " FABRICS_DEV,
		"read of " FABRICS_DEV, "reply from " FABRICS_DEV,
	};
	static char buf[256];
	struct conn_res *c = &nu->conn;

	if (st != 1 || c->stage < 1 || c->stage > 4)
		snprintf(buf, sizeof(buf), "the connect %s", job_str(st));
	else
		snprintf(buf, sizeof(buf), "connect: %s failed: %s%s%s%s",
			 step[c->stage], strerror(c->err),
			 c->stage == 4 ? " (\"" : "",
			 c->stage == 4 ? c->reply : "",
			 c->stage == 4 ? "\")" : "");
	return buf;
}

/* Wait until no controller of ours is left; describe one that is */
int job_gone(void *arg)
{
	long long deadline = now_ms() + GONE_MS;
	int inst;

	(void)arg;
	while (find_ours(&inst)) {
		if (now_ms() >= deadline) {
			ctrl_describe(inst, &nu->info);
			return 1;
		}
		sleep_ms(2);
	}
	return 0;
}

const char *nu_subnqn(void)
{
	return subnqn;
}

const char *nu_hostnqn(void)
{
	return hostnqn;
}

/* ---- the nvmet target in configfs (all in children) ---- */

static int cfs_set(const char *dir, const char *attr, const char *val)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	ret = write_str(path, val, strlen(val));
	return ret ? fail("writing \"%s\" to %s: %s", val, path,
			  strerror(-ret)) : 0;
}

static int cfs_mkdir(const char *path)
{
	return mkdir(path, 0755) ? fail("mkdir %s: %s", path,
					strerror(errno)) : 0;
}

/* Make a port with an unused id */
static int make_port(char *port, size_t len)
{
	unsigned int i;

	for (i = 0; i < 64; i++) {
		snprintf(port, len, NVMET_DIR "/ports/%u",
			 1024 + ((unsigned int)main_pid + i) % 60000);
		if (!mkdir(port, 0755))
			return 0;
		if (errno != EEXIST)
			break;
	}
	return fail("mkdir %s: %s", port, strerror(errno));
}

/* A loop port that takes a subsystem link: is there a loop transport? */
static int job_probe(void *arg)
{
	char sub[128], port[128], link[256];
	int ret;

	(void)arg;
	snprintf(sub, sizeof(sub), NVMET_DIR "/subsystems/%s-probe", subnqn);
	if (cfs_mkdir(sub))
		return 1;
	ret = make_port(port, sizeof(port));
	if (ret)
		goto out_sub;
	snprintf(link, sizeof(link), "%s/addr_trtype", port);
	ret = write_str(link, "loop", 4);
	if (!ret) {
		snprintf(link, sizeof(link), "%s/subsystems/%s-probe", port,
			 subnqn);
		/* Linking enables the port, which needs the transport */
		ret = symlink(sub, link) ? -errno : unlink(link) ? -errno : 0;
	}
	ret = ret == -EINVAL ? PROBE_NO_LOOP :
	      ret ? fail("loop port %s: %s", port, strerror(-ret)) : 0;
	if (rmdir(port) && !ret)
		ret = fail("rmdir %s: %s", port, strerror(errno));
out_sub:
	if (rmdir(sub) && !ret)
		ret = fail("rmdir %s: %s", sub, strerror(errno));
	return ret;
}

static int job_setup(void *arg)
{
	char sub[128], ns[160], port[128], link[256];

	(void)arg;
	snprintf(sub, sizeof(sub), NVMET_DIR "/subsystems/%s", subnqn);
	snprintf(ns, sizeof(ns), "%s/namespaces/1", sub);
	/* buffered_io: files on tmpfs may not take O_DIRECT */
	if (cfs_mkdir(sub) || cfs_set(sub, "attr_allow_any_host", "1") ||
	    cfs_mkdir(ns) || cfs_set(ns, "device_path", backing) ||
	    cfs_set(ns, "buffered_io", "1") || cfs_set(ns, "enable", "1") ||
	    make_port(port, sizeof(port)) ||
	    cfs_set(port, "addr_trtype", "loop") ||
	    cfs_set(port, "addr_traddr", traddr))
		return 1;
	snprintf(link, sizeof(link), "%s/subsystems/%s", port, subnqn);
	if (symlink(sub, link))
		return fail("symlink %s: %s", link, strerror(errno));
	return 0;
}

/*
 * Remove everything of ours, found by name, so that this also cleans up
 * after a test that was killed: host controllers, the port with our
 * traddr, the namespace and the subsystem.
 */
static int job_cleanup(void *arg)
{
	char path[PATH_MAX], buf[256];
	struct dirent *de;
	int inst;
	DIR *d;

	(void)arg;
	d = opendir(SYS_NVME);
	while (d && (de = readdir(d))) {
		if (sscanf(de->d_name, "nvme%d", &inst) == 1 &&
		    ctrl_is_ours(inst))
			ctrl_write(inst, "1", 1, NULL);
	}
	if (d)
		closedir(d);
	/* One without delete_controller goes with the port */
	job_gone(NULL);

	d = opendir(NVMET_DIR "/ports");
	while (d && (de = readdir(d))) {
		snprintf(path, sizeof(path), NVMET_DIR "/ports/%s/addr_traddr",
			 de->d_name);
		if (de->d_name[0] == '.' || read_str(path, buf, sizeof(buf)) ||
		    strcmp(buf, traddr))
			continue;
		snprintf(path, sizeof(path), NVMET_DIR "/ports/%s/subsystems/%s",
			 de->d_name, subnqn);
		if (unlink(path) && errno != ENOENT)
			fail("unlink %s: %s", path, strerror(errno));
		snprintf(path, sizeof(path), NVMET_DIR "/ports/%s", de->d_name);
		if (rmdir(path))
			fail("rmdir %s: %s", path, strerror(errno));
	}
	if (d)
		closedir(d);
	if (job_gone(NULL))
		fail("%s", ctrl_info_str(&nu->info));

	snprintf(path, sizeof(path), NVMET_DIR "/subsystems/%s/namespaces/1",
		 subnqn);
	if (!access(path, F_OK) &&
	    (cfs_set(path, "enable", "0") || rmdir(path)))
		fail("rmdir %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), NVMET_DIR "/subsystems/%s", subnqn);
	if (!access(path, F_OK) && rmdir(path))
		fail("rmdir %s: %s", path, strerror(errno));
	return nu->msg[0] ? 1 : 0;
}

/* Remove what is ours; 0, or -1 with the reason printed */
int nu_cleanup(void)
{
	int st;

	nu->msg[0] = '\0';
	st = job_run(job_cleanup, NULL, CLEANUP_MS);
	if (st)
		ksft_print_msg("cleanup: %s\n",
			       st == 1 ? nu->msg : job_str(st));
	if (unlink(backing) && errno != ENOENT && !st) {
		ksft_print_msg("cleanup: unlink %s: %s\n", backing,
			       strerror(errno));
		st = 1;
	}
	return st ? -1 : 0;
}

/* The target: a 16 MiB sparse file as namespace 1, on a loop port */
int nu_setup(void)
{
	int fd, st;

	if (nu_cleanup())
		return -1;
	fd = open(backing, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, BACKING_SIZE)) {
		ksft_print_msg("creating %s: %s\n", backing, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	nu->msg[0] = '\0';
	st = job_run(job_setup, NULL, SETUP_MS);
	if (st) {
		ksft_print_msg("nvmet setup: %s\n",
			       st == 1 ? nu->msg : job_str(st));
		return -1;
	}
	return 0;
}

/* ---- kernel log ---- */

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		ksft_print_msg("no /dev/kmsg (%s): not checking the kernel log\n",
			       strerror(errno));
	else
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Count, and print the first ten of, the kernel's error reports */
int kmsg_splats(int fd)
{
	static const char * const bad[] = {
		"BUG:", "WARNING:", "Oops", "general protection", "UBSAN:",
		"KASAN:", "list_add corruption", "list_del corruption",
	};
	char rec[8192], *msg;
	unsigned int i;
	int found = 0;
	ssize_t n;

	while (fd >= 0) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* records were overwritten */
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
				ksft_print_msg("kernel log: %s\n", msg);
			break;
		}
	}
	return found;
}

/* ---- prerequisites ---- */

static void skip(const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ksft_print_header();
	ksft_exit_skip("%s\n", why);
}

/* Safety net for a test killed by its timeout: runs in the main process */
static void remove_leftovers(void)
{
	if (getpid() == main_pid)
		nu_cleanup();
}

/*
 * Names, shared memory, and the prerequisites: a missing one skips the
 * program (the harness would exit 0 if every test skipped).
 */
void nu_init(void)
{
	struct statfs sfs;
	int fd, st;

	main_pid = getpid();
	snprintf(subnqn, sizeof(subnqn), "kst-nvme-%d", main_pid);
	snprintf(traddr, sizeof(traddr), "kst-nvme-%d", main_pid);
	snprintf(hostnqn, sizeof(hostnqn),
		 "nqn.2014-08.org.kernel:kst-nvme-host-%d", main_pid);
	/* One hostid per hostnqn: v6.x refuses a hostnqn with another id */
	snprintf(hostid, sizeof(hostid), "6b73742d-6e76-4d65-8000-%012x",
		 (unsigned int)main_pid);
	snprintf(backing, sizeof(backing), "/tmp/kst-nvme-%d.img", main_pid);

	if (geteuid())
		skip("must be run as root");
	if ((statfs(CFS_ROOT, &sfs) || sfs.f_type != CONFIGFS_MAGIC) &&
	    mount("configfs", CFS_ROOT, "configfs", 0, NULL))
		skip("cannot mount configfs on " CFS_ROOT ": %s (CONFIG_CONFIGFS_FS)",
		     strerror(errno));
	if (access(NVMET_DIR, F_OK))
		skip("no " NVMET_DIR " (CONFIG_NVME_TARGET)");
	fd = open(FABRICS_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		skip("cannot open " FABRICS_DEV ": %s (CONFIG_NVME_FABRICS)",
		     strerror(errno));
	close(fd);

	nu = shm_alloc(sizeof(*nu));
	if (!nu) {
		ksft_print_header();
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	}
	st = job_run(job_probe, NULL, SETUP_MS);
	if (st == PROBE_NO_LOOP)
		skip("nvmet has no loop transport (CONFIG_NVME_TARGET_LOOP)");
	if (st) {
		ksft_print_header();
		ksft_exit_fail_msg("probing the nvmet loop transport: %s\n",
				   st == 1 ? nu->msg : job_str(st));
	}
	atexit(remove_leftovers);
}
