/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A real knfsd for the NFS selftests, run on this host with the daemons of
 * nfs-utils and rpcbind, and an NFSv4 client mount of it over 127.0.0.1.
 *
 *   knfsd_start()     rpcbind, nfsdcld, rpc.mountd, then rpc.nfsd (NFSv4 only)
 *   knfsd_export()    a fresh tmpfs, exported to 127.0.0.1 only
 *   knfsd_end_grace() end the NFSv4 grace period at once
 *   knfsd_mount()     mount the export with mount(2), no mount.nfs
 *   knfsd_stop()      undo all of it, also after a failed start
 *
 * A missing program, or a knfsd that is already running here, is a missing
 * prerequisite (KSFT_SKIP); anything else that goes wrong is a failure.
 *
 * No test may wait out a grace period.  Ending it early needs client
 * recovery tracking: nfsdcld (through rpc_pipefs) where the kernel has no
 * legacy tracking, as in current mainline, or the legacy recovery
 * directory, which older kernels use when nfsdcld does not answer.
 *
 * NFSv2 and v3 stay off: they would start lockd, whose own grace period
 * (it has no early end) holds back every NFSv4 LOCK with NFS4ERR_GRACE.
 *
 * The daemons run in the foreground as children of the test, so that their
 * pids are known; their output goes to a log that is printed on failure.
 * A daemon that the host runs already is used as it is, and left running.
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
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/vfs.h>
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
#define KNFSD_ADDR		"127.0.0.1"
#define KNFSD_RPC_PIPEFS_MAGIC	0x67596969

/* Time limits, in ms */
#define KNFSD_DAEMON_MS		10000	/* a daemon is up */
#define KNFSD_NFSD_MS		60000	/* rpc.nfsd: tracking may wait 30 s */
#define KNFSD_TOOL_MS		20000	/* exportfs and such */
#define KNFSD_STOP_MS		10000

struct knfsd {
	/* Set before knfsd_start() */
	bool no_delegations;	/* every lock and open then goes on the wire */

	char dir[64];		/* our scratch dir: the log, the export */
	char log[96];
	char export[96];
	char client[128];	/* what exportfs calls our export */
	pid_t rpcbind, nfsdcld, mountd;	/* 0: not ours (or not running) */
	bool nfsd_mounted, pipefs_mounted, export_mounted;
	bool started, exported;
	int fsid;
	char leases;		/* leases-enable before we changed it, or 0 */
};

/* Bounded polling, for states that raise no event we could wait on. */
static bool knfsd_poll(bool (*ready)(void *), void *arg, int ms)
{
	const struct timespec step = { 0, 10 * 1000 * 1000 };
	int waited;

	for (waited = 0; waited < ms; waited += 10) {
		if (ready(arg))
			return true;
		nanosleep(&step, NULL);
	}
	return ready(arg);
}

/* Wait for a child to exit, for at most ms; its status, or -1. */
static int knfsd_wait_pid(pid_t pid, int ms)
{
	struct pollfd pfd = { .events = POLLIN };
	int status;

	pfd.fd = syscall(__NR_pidfd_open, pid, 0);
	if (pfd.fd >= 0) {
		poll(&pfd, 1, ms);
		close(pfd.fd);
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		return -1;
	}
	/* No pidfd_open (before v5.3): poll. */
	for (; ms > 0; ms -= 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(10000);
	}
	return -1;
}

static void knfsd_kill(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	if (knfsd_wait_pid(*pid, KNFSD_STOP_MS) == -1) {
		kill(*pid, SIGKILL);
		knfsd_wait_pid(*pid, KNFSD_STOP_MS);
	}
	*pid = 0;
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

static void knfsd_print_log(struct knfsd *k)
{
	char line[512];
	FILE *f;

	f = fopen(k->log, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		ksft_print_msg("knfsd log: %s", line);
	fclose(f);
}

/* Start argv with its output appended to our log; its pid, or -1. */
static pid_t knfsd_spawn(struct knfsd *k, char *const argv[])
{
	pid_t pid;
	int fd;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		fd = open(k->log, O_WRONLY | O_APPEND | O_CREAT, 0644);
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
static bool knfsd_run(struct knfsd *k, int ms, char *const argv[])
{
	pid_t pid = knfsd_spawn(k, argv);
	int status;

	if (pid < 0)
		return false;
	status = knfsd_wait_pid(pid, ms);
	if (status == -1) {
		ksft_print_msg("%s did not finish within %d ms\n", argv[0], ms);
		knfsd_kill(&pid);
		return false;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		ksft_print_msg("%s failed (status 0x%x)\n", argv[0], status);
		return false;
	}
	return true;
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

struct knfsd_fd_wait {
	pid_t pid;
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

	if (waitpid(w->pid, NULL, WNOHANG) == w->pid) {
		w->pid = 0;
		return true;
	}
	snprintf(dir, sizeof(dir), "/proc/%d/fd", w->pid);
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

/* Does a process of this name run already: the host's own daemon? */
static bool knfsd_daemon_running(const char *name)
{
	char path[64], comm[32];
	struct dirent *de;
	bool found = false;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (knfsd_read(path, comm, sizeof(comm)))
			continue;
		comm[strcspn(comm, "\n")] = '\0';
		found = !strcmp(comm, name);
	}
	closedir(d);
	return found;
}

static bool knfsd_is_fs(const char *path, long magic)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == magic;
}

static void knfsd_stop(struct knfsd *k)
{
	char *const unexport[] = { "exportfs", "-u", k->client, NULL };
	static char *const nfsd0[] = { "rpc.nfsd", "0", NULL };
	char val[2] = { k->leases, '\0' };

	if (k->exported)
		knfsd_run(k, KNFSD_TOOL_MS, unexport);
	k->exported = false;
	if (k->started || knfsd_threads())
		knfsd_run(k, KNFSD_NFSD_MS, nfsd0);
	k->started = false;
	knfsd_kill(&k->mountd);
	knfsd_kill(&k->nfsdcld);
	knfsd_kill(&k->rpcbind);
	if (k->export_mounted && umount(k->export))
		ksft_print_msg("umount %s: %s\n", k->export, strerror(errno));
	k->export_mounted = false;
	if (k->pipefs_mounted)
		umount(KNFSD_PIPEFS);
	k->pipefs_mounted = false;
	if (k->nfsd_mounted)
		umount(KNFSD_PROC);
	k->nfsd_mounted = false;
	if (k->leases)
		knfsd_write(KNFSD_LEASES, val);
	k->leases = 0;
	if (k->dir[0]) {
		rmdir(k->export);
		unlink(k->log);
		rmdir(k->dir);
		k->dir[0] = '\0';
	}
}

/* 0, KSFT_SKIP for a missing prerequisite, or -1 (after knfsd_stop()). */
static int knfsd_start(struct knfsd *k)
{
	static const char * const progs[] = {
		"rpcbind", "nfsdcld", "rpc.mountd", "rpc.nfsd", "exportfs",
	};
	static const char * const dirs[] = {
		KNFSD_VAR, KNFSD_PIPEFS, KNFSD_VAR "/nfsdcld",
		KNFSD_VAR "/v4recovery", "/run/rpcbind",
	};
	static char *const rpcbind[] = { "rpcbind", "-f", NULL };
	static char *const nfsdcld[] = { "nfsdcld", "-F", NULL };
	static char *const mountd[] = { "rpc.mountd", "-F", NULL };
	/* nfs-utils leaves NFSv2 off, and rejects -N 2 where the kernel has none */
	static char *const nfsd[] = { "rpc.nfsd", "-N", "3", "4", NULL };
	struct knfsd_fd_wait mountd_up;
	char buf[16], vers[64];
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(progs); i++) {
		if (!knfsd_have(progs[i])) {
			ksft_print_msg("%s is not installed (nfs-kernel-server, rpcbind)\n",
				       progs[i]);
			return KSFT_SKIP;
		}
	}
	if (access("/proc/fs/nfsd", F_OK) && access("/proc/fs", F_OK) == 0) {
		ksft_print_msg("no /proc/fs/nfsd: a kernel without CONFIG_NFSD\n");
		return KSFT_SKIP;
	}
	if (knfsd_threads() > 0) {
		ksft_print_msg("knfsd is already running here; these tests need their own\n");
		return KSFT_SKIP;
	}

	strcpy(k->dir, "/tmp/knfsd.XXXXXX");
	if (!mkdtemp(k->dir)) {
		ksft_print_msg("mkdtemp: %s\n", strerror(errno));
		k->dir[0] = '\0';
		return -1;
	}
	snprintf(k->log, sizeof(k->log), "%s/log", k->dir);
	snprintf(k->export, sizeof(k->export), "%s/export", k->dir);
	fd = open(k->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (mkdir(dirs[i], 0755) && errno != EEXIST) {
			ksft_print_msg("mkdir %s: %s\n", dirs[i], strerror(errno));
			goto fail;
		}
	}

	/* exportfs reads the export table before it writes it. */
	fd = open(KNFSD_VAR "/etab", O_WRONLY | O_CREAT, 0644);
	if (fd < 0) {
		ksft_print_msg("cannot create %s/etab: %s\n", KNFSD_VAR, strerror(errno));
		goto fail;
	}
	close(fd);

	if (access(KNFSD_PROC "/threads", F_OK)) {
		if (mount("nfsd", KNFSD_PROC, "nfsd", 0, NULL)) {
			ksft_print_msg("mount nfsd on %s: %s\n", KNFSD_PROC, strerror(errno));
			goto fail;
		}
		k->nfsd_mounted = true;
	}
	if (!knfsd_is_fs(KNFSD_PIPEFS, KNFSD_RPC_PIPEFS_MAGIC)) {
		if (mount("rpc_pipefs", KNFSD_PIPEFS, "rpc_pipefs", 0, NULL)) {
			ksft_print_msg("mount rpc_pipefs: %s\n", strerror(errno));
			goto fail;
		}
		k->pipefs_mounted = true;
	}
	/*
	 * The client keeps opens and locks to itself while it holds a
	 * delegation.  knfsd hands none out when leases are off.
	 */
	if (k->no_delegations) {
		if (knfsd_read(KNFSD_LEASES, buf, sizeof(buf))) {
			ksft_print_msg("no %s: a kernel without sysctl support\n", KNFSD_LEASES);
			goto fail;
		}
		if (knfsd_write(KNFSD_LEASES, "0")) {
			ksft_print_msg("cannot turn off leases: %s\n", strerror(errno));
			goto fail;
		}
		k->leases = buf[0];
	}

	/* A host's own daemons are used as they are, and left running. */
	if (!knfsd_daemon_running("rpcbind")) {
		k->rpcbind = knfsd_spawn(k, rpcbind);
		if (k->rpcbind < 0 ||
		    !knfsd_poll(knfsd_not_root_or_dead, &k->rpcbind, KNFSD_DAEMON_MS) ||
		    !k->rpcbind) {
			ksft_print_msg("rpcbind did not come up\n");
			goto fail;
		}
	}
	/* nfsdcld waits for its pipe, which knfsd creates as it starts. */
	if (!knfsd_daemon_running("nfsdcld")) {
		k->nfsdcld = knfsd_spawn(k, nfsdcld);
		if (k->nfsdcld < 0)
			goto fail;
	}
	if (!knfsd_daemon_running("rpc.mountd")) {
		k->mountd = knfsd_spawn(k, mountd);
		mountd_up.pid = k->mountd;
		/* /proc/net is /proc/<pid>/net */
		mountd_up.suffix = "/net/rpc/nfsd.export/channel";
		if (k->mountd < 0 ||
		    !knfsd_poll(knfsd_fd_open_or_dead, &mountd_up, KNFSD_DAEMON_MS) ||
		    !mountd_up.pid) {
			ksft_print_msg("rpc.mountd did not come up\n");
			goto fail;
		}
	}
	/* Caps the grace period in case it cannot be ended early. */
	knfsd_write(KNFSD_PROC "/nfsv4gracetime", "10");
	k->started = true;
	if (!knfsd_run(k, KNFSD_NFSD_MS, nfsd) || knfsd_threads() <= 0) {
		ksft_print_msg("rpc.nfsd did not start knfsd\n");
		goto fail;
	}
	if (knfsd_read(KNFSD_PROC "/versions", vers, sizeof(vers)) ||
	    strstr(vers, "+2") || strstr(vers, "+3")) {
		ksft_print_msg("knfsd serves more than NFSv4: %s\n", vers);
		goto fail;
	}
	if (k->nfsdcld > 0 && waitpid(k->nfsdcld, NULL, WNOHANG) == k->nfsdcld) {
		k->nfsdcld = 0;
		ksft_print_msg("nfsdcld died\n");
		goto fail;
	}
	return 0;
fail:
	knfsd_print_log(k);
	knfsd_stop(k);
	return -1;
}

/* Export a fresh tmpfs to 127.0.0.1; its path is k->export. 0 or -1. */
static int knfsd_export(struct knfsd *k)
{
	char opts[160];
	char *const exportfs[] = { "exportfs", "-i", "-o", opts, k->client, NULL };

	if (mkdir(k->export, 0755) && errno != EEXIST) {
		ksft_print_msg("mkdir %s: %s\n", k->export, strerror(errno));
		return -1;
	}
	if (mount("tmpfs", k->export, "tmpfs", 0, "mode=1777,size=16m")) {
		ksft_print_msg("mount tmpfs on %s: %s\n", k->export, strerror(errno));
		return -1;
	}
	k->export_mounted = true;
	/* tmpfs has no UUID for knfsd to name it by. */
	k->fsid++;
	snprintf(opts, sizeof(opts),
		 "rw,sync,no_subtree_check,no_root_squash,insecure,fsid=%d", k->fsid);
	snprintf(k->client, sizeof(k->client), "%s:%s", KNFSD_ADDR, k->export);
	if (!knfsd_run(k, KNFSD_TOOL_MS, exportfs)) {
		knfsd_print_log(k);
		return -1;
	}
	k->exported = true;
	return 0;
}

static bool knfsd_grace_ended(void *unused)
{
	char buf[8];

	return !knfsd_read(KNFSD_PROC "/v4_end_grace", buf, sizeof(buf)) && buf[0] == 'Y';
}

/*
 * End the grace period, so that OPEN works at once.  0 or -1.  knfsd skips
 * it by itself when it has no clients to reclaim; otherwise the write asks
 * the laundromat to end it, which it does soon after.
 */
static int knfsd_end_grace(struct knfsd *k)
{
	int ret;

	if (knfsd_grace_ended(NULL))
		return 0;
	ret = knfsd_write(KNFSD_PROC "/v4_end_grace", "Y");
	if (ret && !knfsd_grace_ended(NULL)) {
		ksft_print_msg("ending the grace period: %s%s\n", strerror(-ret),
			       ret == -EBUSY ? " (no client tracking: is nfsdcld up?)" : "");
		knfsd_print_log(k);
		return -1;
	}
	if (!knfsd_poll(knfsd_grace_ended, NULL, KNFSD_DAEMON_MS)) {
		ksft_print_msg("the grace period has not ended\n");
		return -1;
	}
	return 0;
}

/*
 * Mount the export on dir with NFSv4 and the given options, e.g.
 * "vers=4.0" or "vers=4.2,nosharecache".  0, or -errno.
 */
static int knfsd_mount(struct knfsd *k, const char *dir, const char *opts)
{
	char src[128], all[256];

	snprintf(src, sizeof(src), "%s:%s", KNFSD_ADDR, k->export);
	snprintf(all, sizeof(all), "addr=%s,clientaddr=%s,%s", KNFSD_ADDR, KNFSD_ADDR, opts);
	if (mount(src, dir, "nfs4", 0, all))
		return -errno;
	return 0;
}

/*
 * The count of calls of an NFS operation (e.g. "OPEN") on the mount at dir,
 * from the per-op statistics of /proc/self/mountstats; -1 if not found.
 */
static long knfsd_op_count(const char *dir, const char *op)
{
	char line[512], want[PATH_MAX + 32], name[64];
	bool in_mount = false;
	long count = -1, n;
	FILE *f;

	f = fopen("/proc/self/mountstats", "r");
	if (!f)
		return -1;
	snprintf(want, sizeof(want), " mounted on %s with fstype ", dir);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "device ", 7)) {
			if (in_mount)
				break;
			in_mount = strstr(line, want);
			continue;
		}
		if (in_mount && sscanf(line, " %63[A-Z0-9_]: %ld", name, &n) == 2 &&
		    !strcmp(name, op)) {
			count = n;
			break;
		}
	}
	fclose(f);
	return count;
}

#endif /* KNFSD_H */
