/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A real knfsd for the NFS selftests, run with the daemons of nfs-utils and
 * rpcbind, and NFSv4 client mounts of it over 127.0.0.1 (or another of the
 * host's addresses).
 *
 *   knfsd_isolate()     private mount and network namespaces, and a guardian
 *   knfsd_start()       rpcbind, nfsdcld, rpc.mountd, rpc.nfsd (NFSv4, k->v3)
 *   knfsd_export()      a fresh tmpfs, exported to 127.0.0.1, or k->clients
 *   knfsd_export_sub()  a directory of it, exported on its own, ro or rw
 *   knfsd_end_grace()   end the NFSv4 grace period
 *   knfsd_mount()       mount the export with mount(2), soft, within a deadline
 *   knfsd_mount_via()   the same through another of the host's addresses
 *   knfsd_mount_path()  any exported path, NFSv3 too, with mount(2) flags
 *   knfsd_umount()      unmount, within a deadline
 *   knfsd_stop()        stop knfsd and the daemons, restore fs.leases-enable
 *   knfsd_stats_line()  a line of a mount's block in /proc/self/mountstats
 *   knfsd_op_count()    the count of an NFS operation on a mount, from there
 *
 * The helpers that not every test calls are static inline.
 *
 * Isolation: knfsd, its daemons, its export table, /var/lib/nfs, /run, the
 * nfsd and rpc_pipefs mounts and the NFS mounts all live in a mount and a
 * network namespace of the test's own, which vanish with it.  Where
 * /var/lib/nfs is missing, our tmpfs goes on /var/lib, so that nothing is
 * created on the host.  The only global setting a test changes is
 * fs.leases-enable (and what a test's knfsd_cleanup_hook undoes).
 * knfsd_isolate() splits the test in two: the worker runs the tests; the
 * guardian, the process the test runner started, waits for it.  However
 * the worker ends (exit, SIGKILL, its deadline), the guardian kills what
 * it left running, unmounts its NFS mounts, stops its knfsd, restores
 * fs.leases-enable and runs the test's knfsd_cleanup_hook.
 * On SIGTERM, SIGINT or SIGHUP the guardian kills the worker and does the
 * same.  If the guardian itself is SIGKILLed, the worker still restores
 * fs.leases-enable in knfsd_stop().
 *
 * Every wait is bounded, by its own limit and by the worker's deadline,
 * KNFSD_RUN_MS after knfsd_isolate().  Every call on an NFS mount runs in
 * a child with a deadline (knfsd_child()), on a soft mount; once one is
 * late (knfsd_late), the server is taken as not answering.
 *
 * A missing program or kernel feature is a missing prerequisite
 * (KSFT_SKIP); anything else that goes wrong is a failure.
 *
 * Ending the grace period early needs client recovery tracking, and in a
 * network namespace other than the host's only nfsdcld can provide it (the
 * legacy and usermode-helper tracking refuse one).  knfsd waits only about
 * 1 s for nfsdcld to open the pipe it makes as it starts, so knfsd_start()
 * starts rpc.nfsd only once nfsdcld watches for that pipe.  Should knfsd
 * still start without tracking, knfsd_end_grace() waits out the grace
 * period, cut to 10 s.  NFSv2 and v3 stay off: they would start lockd,
 * whose own grace period holds back every NFSv4 LOCK with NFS4ERR_GRACE.
 * A test that takes no locks may turn NFSv3 on with k->v3.
 */
#ifndef KNFSD_H
#define KNFSD_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "kselftest.h"

/* kselftest.h has it only since v5.18 */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(arr)	(sizeof(arr) / sizeof((arr)[0]))
#endif

#ifndef __NR_pidfd_open
#define __NR_pidfd_open	434
#endif

#define KNFSD_VAR		"/var/lib/nfs"
#define KNFSD_PIPEFS		KNFSD_VAR "/rpc_pipefs"
#define KNFSD_PROC		"/proc/fs/nfsd"
#define KNFSD_LEASES		"/proc/sys/fs/leases-enable"
/* On our tmpfs on /run: the log, the exports and the NFS mount points */
#define KNFSD_DIR		"/run/knfsd"
#define KNFSD_ADDR		"127.0.0.1"
/* Soft: an RPC to a dead server fails after about 15 s */
#define KNFSD_MOUNT_OPTS	"soft,timeo=50,retrans=1"

/*
 * Time limits, in ms.  The guardian ends at most RUN + OVERRUN + KILL +
 * 3 * STEP + 2 * KILL (CLEANUP) = 160 + 20 + 3 + 30 = 213 s after
 * knfsd_isolate(), within the settings timeout of 270 s.
 */
#define KNFSD_RUN_MS		160000	/* the worker's deadline */
#define KNFSD_OVERRUN_MS	20000	/* its kills and reaps after that */
#define KNFSD_CLEANUP_MS	30000	/* the guardian's, after the worker */
#define KNFSD_STEP_MS		8000	/* one step of it */
#define KNFSD_DAEMON_MS		10000	/* a daemon is up */
#define KNFSD_NFSD_MS		60000	/* rpc.nfsd */
#define KNFSD_TOOL_MS		20000	/* exportfs, mount, umount */
#define KNFSD_GRACE_MS		20000	/* the grace period ends */
#define KNFSD_STOP_MS		10000	/* a daemon ends after SIGTERM */
#define KNFSD_KILL_MS		3000	/* a process ends after SIGKILL */

struct knfsd {
	/* Set before knfsd_start() */
	bool no_delegations;	/* every lock and open then goes on the wire */
	const char *clients;	/* exportfs's client; NULL: KNFSD_ADDR */
	bool v3;		/* serve NFSv3 too (lockd: no NFSv4 LOCK) */

	char export[64];
	pid_t rpcbind, nfsdcld, mountd;
	bool started;
	int fsid;
};

static long long knfsd_end;	/* CLOCK_MONOTONIC, ms: our deadline */
static bool knfsd_late;		/* a knfsd_child() missed its deadline */
static bool knfsd_grouped;	/* in a knfsd_child(): it leads our group */
static char knfsd_leases[8];	/* fs.leases-enable as we found it */
static pid_t knfsd_worker;	/* in the guardian, until it is reaped */
/* A test's own cleanup of global state, also run by the guardian */
static void (*knfsd_cleanup_hook)(void);

static long long knfsd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* ms, or what is left to our deadline if that is less */
static int knfsd_left(int ms)
{
	long long left = knfsd_end - knfsd_now();

	return left < 0 ? 0 : left < ms ? left : ms;
}

/* Bounded polling, for states that raise no event we could wait on. */
static bool knfsd_poll(bool (*ready)(void *), void *arg, int ms)
{
	const struct timespec step = { 0, 10 * 1000 * 1000 };
	long long end = knfsd_now() + knfsd_left(ms);

	while (!ready(arg)) {
		if (knfsd_now() >= end)
			return false;
		nanosleep(&step, NULL);
	}
	return true;
}

/* Has the child ended within ms?  It is left to be reaped. */
static bool knfsd_exited(pid_t pid, int ms)
{
	struct pollfd pfd = { .events = POLLIN };
	long long end = knfsd_now() + ms;
	int ret;

	pfd.fd = syscall(__NR_pidfd_open, pid, 0);
	if (pfd.fd < 0)
		return false;
	do
		ret = poll(&pfd, 1, end > knfsd_now() ? end - knfsd_now() : 0);
	while (ret < 0 && errno == EINTR);
	close(pfd.fd);
	return ret > 0;
}

/* Reap a child that ends within ms; its status, or -1. */
static int knfsd_wait_pid(pid_t pid, int ms)
{
	int status;

	if (knfsd_exited(pid, ms) && waitpid(pid, &status, 0) == pid)
		return status;
	return -1;
}

static void knfsd_kill(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	if (knfsd_wait_pid(*pid, knfsd_left(KNFSD_STOP_MS)) == -1) {
		kill(*pid, SIGKILL);
		knfsd_wait_pid(*pid, KNFSD_KILL_MS);
	}
	*pid = 0;
}

/*
 * Run fn(arg) in a child, for at most ms; false if it fails or is late.
 * The child leads a process group, so that a late one goes with all its
 * own children; in it, knfsd_child() nests without a group of its own.
 */
static bool knfsd_child(int ms, const char *what, bool (*fn)(void *), void *arg)
{
	bool grouped = knfsd_grouped;
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ksft_print_msg("fork: %s\n", strerror(errno));
		return false;
	}
	if (pid == 0) {
		if (!grouped)
			setpgid(0, 0);
		knfsd_grouped = true;
		status = fn(arg) ? 0 : knfsd_late ? 2 : 1;
		fflush(stdout);
		_exit(status);
	}
	if (!grouped)
		setpgid(pid, pid);
	status = knfsd_wait_pid(pid, knfsd_left(ms));
	if (status == -1) {
		ksft_print_msg("%s did not finish in time\n", what);
		knfsd_late = true;
		kill(grouped ? pid : -pid, SIGKILL);
		knfsd_wait_pid(pid, KNFSD_KILL_MS);
		return false;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
		knfsd_late = true;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int knfsd_write(const char *path, const char *val)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int knfsd_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* The number of running nfsd threads; 0 if knfsd is down. */
static int knfsd_threads(void)
{
	char buf[32];

	if (knfsd_read(KNFSD_PROC "/threads", buf, sizeof(buf)))
		return 0;
	return atoi(buf);
}

static void knfsd_guardian_signal(int sig)
{
	if (knfsd_worker > 0)
		kill(knfsd_worker, SIGKILL);
}

/* SIGKILL and reap our children (the worker's orphans), for at most ms. */
static void knfsd_kill_children(int ms)
{
	long long end = knfsd_now() + ms;
	char path[64], buf[512], *p;
	struct dirent *de;
	bool found;
	pid_t pid;
	DIR *d;

	do {
		found = false;
		d = opendir("/proc");
		while (d && (de = readdir(d))) {
			pid = atoi(de->d_name);
			snprintf(path, sizeof(path), "/proc/%d/stat", pid);
			if (pid <= 0 || knfsd_read(path, buf, sizeof(buf)))
				continue;
			p = strrchr(buf, ')');
			if (!p || atoi(p + 4) != getpid())
				continue;
			found = true;
			kill(pid, SIGKILL);
			knfsd_wait_pid(pid, end > knfsd_now() ? end - knfsd_now() : 0);
		}
		if (d)
			closedir(d);
	} while (found && knfsd_now() < end);
}

/* Lazily unmount the NFS mounts under dir ("KNFSD_DIR/"): only ours. */
static bool knfsd_detach(void *dir_slash)
{
	char line[512], dir[PATH_MAX], type[32];
	FILE *f;

	f = fopen("/proc/self/mounts", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %4095s %31s", dir, type) == 2 &&
		    (!strcmp(type, "nfs4") || !strcmp(type, "nfs")) &&
		    !strncmp(dir, dir_slash, strlen(dir_slash)))
			umount2(dir, MNT_DETACH);
	fclose(f);
	return true;
}

/* Stop our knfsd, also a half-started one (listeners, no threads). */
static bool knfsd_threads_0(void *threads)
{
	return !knfsd_write(threads, "0");
}

/*
 * Undo whatever the worker left, once it has ended.  The unmounts (which
 * may send DESTROY_SESSION) and the write to threads (which waits for the
 * nfsd threads) run in children with deadlines.
 */
static void knfsd_guardian_cleanup(void)
{
	knfsd_end = knfsd_now() + KNFSD_CLEANUP_MS;
	knfsd_kill_children(KNFSD_STEP_MS);
	knfsd_child(KNFSD_STEP_MS, "unmounting", knfsd_detach, KNFSD_DIR "/");
	knfsd_child(KNFSD_STEP_MS, "stopping knfsd", knfsd_threads_0, KNFSD_PROC "/threads");
	if (knfsd_write(KNFSD_LEASES, knfsd_leases))
		ksft_print_msg("cannot restore %s\n", KNFSD_LEASES);
	if (knfsd_cleanup_hook)
		knfsd_cleanup_hook();
}

static bool knfsd_have(const char *prog)
{
	static const char * const dirs[] = {
		"/usr/sbin", "/sbin", "/usr/bin", "/bin",
	};
	char path[PATH_MAX];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], prog);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

/*
 * A fresh tmpfs on dir; where dir is missing, on its parent (which it then
 * hides in our mount namespace), with dir made in it.
 */
static int knfsd_tmpfs(const char *dir)
{
	char on[32];

	snprintf(on, sizeof(on), "%s", dir);
	if (access(dir, F_OK))
		*strrchr(on, '/') = '\0';
	if (mount("tmpfs", on, "tmpfs", 0, "mode=0755") ||
	    (strcmp(on, dir) && mkdir(dir, 0755))) {
		ksft_print_msg("tmpfs on %s: %s\n", on, strerror(errno));
		return -1;
	}
	return 0;
}

static int knfsd_lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, ret = -1;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd >= 0 && !ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (ret)
		ksft_print_msg("cannot bring lo up: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Mount our own nfsd and rpc_pipefs, both per network namespace. */
static int knfsd_mount_fs(void)
{
	static const char * const dirs[] = {
		KNFSD_DIR, KNFSD_PIPEFS, KNFSD_VAR "/nfsdcld", "/run/rpcbind",
	};
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (mkdir(dirs[i], 0755)) {
			ksft_print_msg("mkdir %s: %s\n", dirs[i], strerror(errno));
			return -1;
		}
	}
	/* It loads nfsd.ko if need be; /proc/fs/nfsd is always there. */
	if (mount("nfsd", KNFSD_PROC, "nfsd", 0, NULL)) {
		err = errno;
		ksft_print_msg("mount nfsd: %s\n", strerror(err));
		return err == ENODEV ? KSFT_SKIP : -1;
	}
	if (mount("rpc_pipefs", KNFSD_PIPEFS, "rpc_pipefs", 0, NULL)) {
		ksft_print_msg("mount rpc_pipefs: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Enter private mount and network namespaces, with our own tmpfs on
 * /var/lib/nfs and /run and our own nfsd and rpc_pipefs, and split in
 * two.  Returns in the worker, which runs the tests: 0; or, before the
 * split, KSFT_SKIP or -1.  The guardian does not return: it waits for the
 * worker, cleans up after it and exits with its status.
 */
static int knfsd_isolate(void)
{
	static const char * const progs[] = {
		"rpcbind", "nfsdcld", "rpc.mountd", "rpc.nfsd", "exportfs",
	};
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa = { .sa_handler = knfsd_guardian_signal };
	sigset_t block, old;
	unsigned int i;
	int status, err;
	pid_t pid;

	knfsd_end = knfsd_now() + KNFSD_RUN_MS;
	for (i = 0; i < ARRAY_SIZE(progs); i++) {
		if (!knfsd_have(progs[i])) {
			ksft_print_msg("%s is not installed (nfs-kernel-server, rpcbind)\n",
				       progs[i]);
			return KSFT_SKIP;
		}
	}
	if (knfsd_read(KNFSD_LEASES, knfsd_leases, sizeof(knfsd_leases))) {
		ksft_print_msg("no %s: a kernel without sysctl support\n", KNFSD_LEASES);
		return KSFT_SKIP;
	}
	err = syscall(__NR_pidfd_open, getpid(), 0);
	if (err < 0) {
		ksft_print_msg("pidfd_open: %s (since v5.3)\n", strerror(errno));
		return KSFT_SKIP;
	}
	close(err);
	if (unshare(CLONE_NEWNS | CLONE_NEWNET)) {
		err = errno;
		ksft_print_msg("unshare: %s\n", strerror(err));
		return err == EINVAL ? KSFT_SKIP : -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		ksft_print_msg("making / private: %s\n", strerror(errno));
		return -1;
	}
	if (knfsd_tmpfs(KNFSD_VAR) || knfsd_tmpfs("/run") || knfsd_lo_up())
		return -1;
	err = knfsd_mount_fs();
	if (err)
		return err;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		ksft_print_msg("PR_SET_CHILD_SUBREAPER: %s\n", strerror(errno));
		return -1;
	}

	/* No signal between the fork and knfsd_worker, nor after the reap */
	sigemptyset(&block);
	for (i = 0; i < ARRAY_SIZE(sigs); i++) {
		sigaddset(&block, sigs[i]);
		sigaction(sigs[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(stdout);
	pid = fork();
	if (pid <= 0) {
		if (pid < 0)
			ksft_print_msg("fork: %s\n", strerror(errno));
		sa.sa_handler = SIG_DFL;
		for (i = 0; i < ARRAY_SIZE(sigs); i++)
			sigaction(sigs[i], &sa, NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return pid;
	}
	knfsd_worker = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	ksft_print_msg("knfsd worker: pid %d\n", pid);
	fflush(stdout);
	if (!knfsd_exited(pid, knfsd_end + KNFSD_OVERRUN_MS - knfsd_now())) {
		ksft_print_msg("the worker is past its deadline: killing it\n");
		kill(pid, SIGKILL);
	}
	sigprocmask(SIG_BLOCK, &block, NULL);
	knfsd_worker = 0;
	status = knfsd_wait_pid(pid, KNFSD_KILL_MS);
	knfsd_guardian_cleanup();
	if (status == -1 || WIFSIGNALED(status)) {
		ksft_print_msg("the worker was killed (status 0x%x)\n", status);
		exit(KSFT_FAIL);
	}
	exit(WEXITSTATUS(status));
}

static void knfsd_print_log(void)
{
	char line[512];
	FILE *f;

	f = fopen(KNFSD_DIR "/log", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		ksft_print_msg("knfsd log: %s", line);
	fclose(f);
}

/* Start argv with its output appended to our log; its pid, or -1. */
static pid_t knfsd_spawn(char *const argv[])
{
	pid_t pid;
	int fd;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		fd = open(KNFSD_DIR "/log", O_WRONLY | O_APPEND | O_CREAT, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		ksft_print_msg("fork: %s\n", strerror(errno));
	return pid;
}

/* Run argv to its end, within ms; true if it exited with status 0. */
static bool knfsd_run(int ms, char *const argv[])
{
	pid_t pid = knfsd_spawn(argv);
	int status;

	if (pid < 0)
		return false;
	status = knfsd_wait_pid(pid, knfsd_left(ms));
	if (status == -1) {
		ksft_print_msg("%s did not finish in time\n", argv[0]);
		knfsd_kill(&pid);
		return false;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		ksft_print_msg("%s failed (status 0x%x)\n", argv[0], status);
		return false;
	}
	return true;
}

struct knfsd_fd_wait {
	pid_t *pid;		/* set to 0 if it dies */
	const char *suffix;	/* how the path of one of its fds must end */
};

/* Has the process an fd open on such a path, or has it died? */
static bool knfsd_fd_open_or_dead(void *arg)
{
	struct knfsd_fd_wait *w = arg;
	char dir[64], link[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	bool found = false;
	ssize_t n;
	DIR *d;

	if (waitpid(*w->pid, NULL, WNOHANG) == *w->pid) {
		*w->pid = 0;
		return true;
	}
	snprintf(dir, sizeof(dir), "/proc/%d/fd", *w->pid);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = n >= (ssize_t)strlen(w->suffix) &&
			!strcmp(target + n - strlen(w->suffix), w->suffix);
	}
	closedir(d);
	return found;
}

/* rpcbind drops root once its sockets are up (or dies if it cannot). */
static bool knfsd_not_root_or_dead(void *arg)
{
	pid_t *pid = arg;
	char path[64], line[256];
	bool done = false;
	FILE *f;

	if (waitpid(*pid, NULL, WNOHANG) == *pid) {
		*pid = 0;
		return true;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", *pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Uid:", 4))
			done = atoi(line + 4) != 0;
	fclose(f);
	return done;
}

/* Start pid's daemon and wait until it has an fd on a path ending so. */
static bool knfsd_daemon(pid_t *pid, char *const argv[], const char *suffix)
{
	struct knfsd_fd_wait up = { pid, suffix };

	*pid = knfsd_spawn(argv);
	if (*pid > 0 && knfsd_poll(knfsd_fd_open_or_dead, &up, KNFSD_DAEMON_MS) && *pid)
		return true;
	ksft_print_msg("%s did not come up\n", argv[0]);
	return false;
}

/*
 * In the worker.  The export, its tmpfs and the mounts of nfsd and
 * rpc_pipefs go with the namespaces.
 */
static void knfsd_stop(struct knfsd *k)
{
	static char *const nfsd0[] = { "rpc.nfsd", "0", NULL };

	if (k->started)
		knfsd_run(KNFSD_NFSD_MS, nfsd0);
	k->started = false;
	knfsd_kill(&k->mountd);
	knfsd_kill(&k->nfsdcld);
	knfsd_kill(&k->rpcbind);
	if (k->no_delegations && knfsd_write(KNFSD_LEASES, knfsd_leases))
		ksft_print_msg("cannot restore %s\n", KNFSD_LEASES);
}

/* In the worker: 0 or -1. */
static int knfsd_start(struct knfsd *k)
{
	static char *const rpcbind[] = { "rpcbind", "-f", NULL };
	static char *const nfsdcld[] = { "nfsdcld", "-F", NULL };
	static char *const mountd[] = { "rpc.mountd", "-F", NULL };
	/* nfs-utils leaves NFSv2 off, and rejects -N 2 where the kernel has none */
	static char *const nfsd[] = { "rpc.nfsd", "-N", "3", "4", NULL };
	static char *const nfsd_v3[] = { "rpc.nfsd", "-V", "3", "4", NULL };
	char vers[64];
	int fd, ret;

	/* exportfs reads the export table before it writes it. */
	fd = open(KNFSD_VAR "/etab", O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
	/*
	 * The client keeps opens and locks to itself while it holds a
	 * delegation.  knfsd hands none out when leases are off.
	 */
	ret = k->no_delegations ? knfsd_write(KNFSD_LEASES, "0") : 0;
	if (ret) {
		ksft_print_msg("cannot turn off leases: %s\n", strerror(-ret));
		return -1;
	}

	k->rpcbind = knfsd_spawn(rpcbind);
	if (k->rpcbind < 0 ||
	    !knfsd_poll(knfsd_not_root_or_dead, &k->rpcbind, KNFSD_DAEMON_MS) ||
	    !k->rpcbind) {
		ksft_print_msg("rpcbind did not come up\n");
		goto fail;
	}
	/*
	 * nfsdcld opens its database, then watches (inotify) for the pipe
	 * knfsd makes as it starts; /proc/net is /proc/<pid>/net.
	 */
	if (!knfsd_daemon(&k->nfsdcld, nfsdcld, "anon_inode:inotify") ||
	    !knfsd_daemon(&k->mountd, mountd, "/net/rpc/nfsd.export/channel"))
		goto fail;
	/* Caps the grace period in case it cannot be ended early. */
	knfsd_write(KNFSD_PROC "/nfsv4gracetime", "10");
	k->started = true;
	if (!knfsd_run(KNFSD_NFSD_MS, k->v3 ? nfsd_v3 : nfsd) || knfsd_threads() <= 0) {
		ksft_print_msg("rpc.nfsd did not start knfsd\n");
		goto fail;
	}
	if (knfsd_read(KNFSD_PROC "/versions", vers, sizeof(vers)) ||
	    strstr(vers, "+2") || !!strstr(vers, "+3") != k->v3) {
		ksft_print_msg("knfsd serves other versions than asked: %s\n", vers);
		goto fail;
	}
	if (waitpid(k->nfsdcld, NULL, WNOHANG) == k->nfsdcld) {
		k->nfsdcld = 0;
		ksft_print_msg("nfsdcld died\n");
		goto fail;
	}
	return 0;
fail:
	knfsd_print_log();
	knfsd_stop(k);
	return -1;
}

/*
 * Export path to k->clients, read-only or not, with the next fsid: tmpfs
 * has no UUID for knfsd to name it by.  0 or -1.
 */
static int knfsd_exportfs(struct knfsd *k, const char *path, bool ro)
{
	char opts[160], client[PATH_MAX + 96];
	char *const exportfs[] = { "exportfs", "-i", "-o", opts, client, NULL };

	snprintf(opts, sizeof(opts),
		 "%s,sync,no_subtree_check,no_root_squash,insecure,fsid=%d",
		 ro ? "ro" : "rw", ++k->fsid);
	snprintf(client, sizeof(client), "%s:%s",
		 k->clients ? k->clients : KNFSD_ADDR, path);
	if (!knfsd_run(KNFSD_TOOL_MS, exportfs)) {
		knfsd_print_log();
		return -1;
	}
	return 0;
}

/* Export a fresh tmpfs to k->clients; its path is k->export.  0 or -1. */
static int knfsd_export(struct knfsd *k)
{
	snprintf(k->export, sizeof(k->export), "%s/export%d", KNFSD_DIR, k->fsid + 1);
	if (mkdir(k->export, 0755) ||
	    mount("tmpfs", k->export, "tmpfs", 0, "mode=1777,size=16m")) {
		ksft_print_msg("tmpfs on %s: %s\n", k->export, strerror(errno));
		return -1;
	}
	return knfsd_exportfs(k, k->export, false);
}

/*
 * Export the directory name of k->export, made here, on its own, read-only
 * or not; its path goes in path, of size bytes.  0 or -1.  NFSv3's MNT
 * hands out a file handle of this export; an NFSv4 client walks to it from
 * k->export, and knfsd only crosses into another export at a mount point,
 * so NFSv4 gets k->export's options for it.
 */
static inline int knfsd_export_sub(struct knfsd *k, const char *name, bool ro,
				   char *path, size_t size)
{
	if ((size_t)snprintf(path, size, "%s/%s", k->export, name) >= size) {
		ksft_print_msg("%s/%s: path too long\n", k->export, name);
		return -1;
	}
	if (mkdir(path, 0777) || chmod(path, 01777)) {
		ksft_print_msg("mkdir %s: %s\n", path, strerror(errno));
		return -1;
	}
	return knfsd_exportfs(k, path, ro);
}

static bool knfsd_grace_ended(void *unused)
{
	char buf[8];

	return !knfsd_read(KNFSD_PROC "/v4_end_grace", buf, sizeof(buf)) && buf[0] == 'Y';
}

/*
 * End the grace period, so that OPEN works.  0 or -1.  With nfsdcld and no
 * client to reclaim, knfsd has skipped it; otherwise the write asks the
 * laundromat to end it.  The write fails with EBUSY if knfsd has no client
 * tracking: then the grace period is waited out.
 */
static int knfsd_end_grace(void)
{
	int ret;

	if (knfsd_grace_ended(NULL))
		return 0;
	ret = knfsd_write(KNFSD_PROC "/v4_end_grace", "Y");
	if (ret == -EBUSY && !knfsd_grace_ended(NULL)) {
		ksft_print_msg("knfsd has no client tracking: waiting out the grace period\n");
		knfsd_print_log();
	} else if (ret && !knfsd_grace_ended(NULL)) {
		ksft_print_msg("ending the grace period: %s\n", strerror(-ret));
		return -1;
	}
	if (!knfsd_poll(knfsd_grace_ended, NULL, KNFSD_GRACE_MS)) {
		ksft_print_msg("the grace period has not ended\n");
		return -1;
	}
	return 0;
}

struct knfsd_mount_args {
	const char *src, *dir, *type, *opts;
	int flags;		/* mount(2)'s, or umount2()'s */
};

static bool knfsd_do_mount(void *arg)
{
	struct knfsd_mount_args *m = arg;

	if (m->src && mount(m->src, m->dir, m->type, m->flags, m->opts) == 0)
		return true;
	if (!m->src && umount2(m->dir, m->flags) == 0)
		return true;
	ksft_print_msg("%s %s: %s\n", m->src ? "mount" : "umount", m->dir, strerror(errno));
	return false;
}

/*
 * Mount the exported path on dir, under KNFSD_DIR, through the host's
 * address addr (IPv4, or IPv6 without brackets), as type "nfs4", or "nfs"
 * for NFSv3 (k->v3), soft, with the given options, e.g. "vers=4.0" or
 * "vers=4.2,nosharecache", and mount(2)'s flags, e.g. MS_RDONLY.  0 or -1.
 */
static inline int knfsd_mount_path(const char *addr, const char *type, const char *path,
				   const char *dir, const char *opts, int flags)
{
	char src[PATH_MAX + 64], all[256];
	struct knfsd_mount_args m = { src, dir, type, all, flags };
	bool v6 = strchr(addr, ':');

	snprintf(src, sizeof(src), "%s%s%s:%s", v6 ? "[" : "", addr, v6 ? "]" : "",
		 path);
	snprintf(all, sizeof(all), "addr=%s,clientaddr=%s,%s,%s",
		 addr, addr, KNFSD_MOUNT_OPTS, opts);
	return knfsd_child(KNFSD_TOOL_MS, "mount", knfsd_do_mount, &m) ? 0 : -1;
}

/* knfsd_mount_path() k->export, NFSv4, no flags */
static inline int knfsd_mount_via(struct knfsd *k, const char *addr, const char *dir,
				  const char *opts)
{
	return knfsd_mount_path(addr, "nfs4", k->export, dir, opts, 0);
}

/* knfsd_mount_via() KNFSD_ADDR */
static inline int knfsd_mount(struct knfsd *k, const char *dir, const char *opts)
{
	return knfsd_mount_via(k, KNFSD_ADDR, dir, opts);
}

/*
 * Unmount dir; 0 or -1.  If that fails, unmount it lazily, unless the
 * server is not answering: the guardian does it then.
 */
static int knfsd_umount(const char *dir)
{
	struct knfsd_mount_args m = { NULL, dir, NULL, NULL, 0 };

	if (knfsd_child(KNFSD_TOOL_MS, "umount", knfsd_do_mount, &m))
		return 0;
	m.flags = MNT_DETACH;
	if (!knfsd_late)
		knfsd_child(KNFSD_TOOL_MS, "umount -l", knfsd_do_mount, &m);
	return -1;
}

/*
 * Read the mountstats text f to its end, for the blocks of the mount on
 * dir: from a line "device ... mounted on <dir> with fstype ..." to the
 * next line that does not start with a blank.  Returns how many there
 * are; in val (size bytes), the value of the first block's first line
 * that starts with key (e.g. "opts:") after blanks, without the key and
 * the blanks around it; "" if there is none.  dir is compared as the
 * kernel prints it, without undoing its octal escapes of space, tab,
 * newline and backslash: right for paths free of them, as the tests' are.
 */
static inline int knfsd_stats_line(FILE *f, const char *dir, const char *key,
				   char *val, size_t size)
{
	char want[PATH_MAX + 32], *line = NULL, *p;
	size_t n = 0, len = strlen(key);
	bool in = false;
	int blocks = 0;

	snprintf(want, sizeof(want), " mounted on %s with fstype ", dir);
	*val = '\0';
	while (getline(&line, &n, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		p = line + strspn(line, " \t");
		if (p == line) {
			in = strstr(line, want);
			blocks += in;
		} else if (in && blocks == 1 && !strncmp(p, key, len)) {
			snprintf(val, size, "%s", p + len + strspn(p + len, " \t"));
			in = false;
		}
	}
	free(line);
	return blocks;
}

/*
 * The count of calls of an NFS operation (e.g. "OPEN") on the mount at dir,
 * from the per-op statistics of /proc/self/mountstats; -1 if not found.
 */
static inline long knfsd_op_count(const char *dir, const char *op)
{
	char key[64], val[512], *end;
	long count;
	FILE *f;

	f = fopen("/proc/self/mountstats", "r");
	if (!f)
		return -1;
	snprintf(key, sizeof(key), "%s:", op);
	knfsd_stats_line(f, dir, key, val, sizeof(val));
	fclose(f);
	count = strtol(val, &end, 10);
	return end > val ? count : -1;
}

#endif /* KNFSD_H */
