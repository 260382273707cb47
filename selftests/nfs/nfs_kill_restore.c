// SPDX-License-Identifier: GPL-2.0
/*
 * Kill nfs_open_lock in the middle of its run, and check that it left the
 * host as it found it: fs.leases-enable, the host's export cache, no NFS
 * daemon, no process in its network namespace, and as many nfsd, NFSv4
 * callback and NFSv4 state manager threads as before.
 *
 * "Mid-run" is after its first test result: knfsd is up, the export is
 * mounted, leases are off.  The kill comes as the test runner's timeout
 * sends it (SIGTERM to the process group), as a terminal does (SIGINT to
 * the process group), and as SIGKILL to the worker, which then cannot
 * clean up after itself: its guardian must.
 */
#define _GNU_SOURCE
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(arr)	(sizeof(arr) / sizeof((arr)[0]))
#endif

#ifndef __NR_pidfd_open
#define __NR_pidfd_open	434
#endif

/*
 * Each case ends within LINE + EXIT + KILL + SETTLE = 78 s, three of them
 * within 234 s: below the settings timeout of 270 s.
 */
#define LINE_MS		30000	/* to the first test result */
#define EXIT_MS		40000	/* kill to exit: the guardian's cleanup is 30 s */
#define KILL_MS		3000
#define SETTLE_MS	5000	/* for kernel threads to end */

static pid_t child;	/* nfs_open_lock, leader of its process group */
static int stopped;	/* the signal that stopped us */

/* Pass on to nfs_open_lock what the test runner or terminal sends us. */
static void forward(int sig)
{
	if (child > 0)
		kill(-child, sig);
	stopped = sig;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int left_ms(long long end)
{
	long long left = end - now_ms();

	return left > 0 ? left : 0;
}

/* The file, or "" */
static void read_file(const char *path, char *buf, size_t size)
{
	ssize_t n = -1;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

struct host_state {
	char leases[8];
	char exports[4096];	/* the host's knfsd export cache */
	int threads;		/* kernel threads of knfsd and of the client */
	int daemons;		/* rpcbind, rpc.mountd, nfsdcld */
	int in_netns;		/* processes in nfs_open_lock's netns */
};

static bool in(const char *comm, const char * const *names, unsigned int n)
{
	while (n--)
		if (!strcmp(comm, names[n]))
			return true;
	return false;
}

/* netns: the inode of nfs_open_lock's network namespace, or 0 */
static void get_state(struct host_state *s, ino_t netns)
{
	static const char * const threads[] = { "nfsd", "NFSv4 callback" };
	static const char * const daemons[] = { "rpcbind", "rpc.mountd", "nfsdcld" };
	char path[64], comm[32];
	struct dirent *de;
	struct stat st;
	DIR *d;

	memset(s, 0, sizeof(*s));
	read_file("/proc/sys/fs/leases-enable", s->leases, sizeof(s->leases));
	read_file("/proc/net/rpc/nfsd.export/content", s->exports, sizeof(s->exports));
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		if (atoi(de->d_name) <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/ns/net", de->d_name);
		s->in_netns += netns && !stat(path, &st) && st.st_ino == netns;
		snprintf(path, sizeof(path), "/proc/%.16s/comm", de->d_name);
		read_file(path, comm, sizeof(comm));
		comm[strcspn(comm, "\n")] = '\0';
		/*
		 * The state manager of nfs_open_lock's mounts of 127.0.0.1:
		 * /proc shows its full name "127.0.0.1-manager", or where the
		 * kernel keeps none its comm "127.0.0.1-manag"; since the comm
		 * keeps "manager", both start with "~.0.0.1-manager".
		 */
		s->threads += in(comm, threads, ARRAY_SIZE(threads)) ||
			      !strncmp(comm, "127.0.0.1-manag", 15) ||
			      !strncmp(comm, "~.0.0.1-manager", 15);
		s->daemons += in(comm, daemons, ARRAY_SIZE(daemons));
	}
	if (d)
		closedir(d);
}

static bool same_str(bool say, const char *what, const char *was, const char *is)
{
	if (!strcmp(was, is))
		return true;
	if (say)
		ksft_print_msg("%s was \"%s\", is \"%s\"\n", what, was, is);
	return false;
}

static bool same_int(bool say, const char *what, int was, int is)
{
	if (was == is)
		return true;
	if (say)
		ksft_print_msg("%s was %d, is %d\n", what, was, is);
	return false;
}

static bool same_state(bool say, const struct host_state *a, const struct host_state *b)
{
	bool ok = same_str(say, "fs.leases-enable", a->leases, b->leases);

	ok &= same_str(say, "the export cache", a->exports, b->exports);
	ok &= same_int(say, "NFS kernel threads", a->threads, b->threads);
	ok &= same_int(say, "NFS daemons", a->daemons, b->daemons);
	ok &= same_int(say, "processes in its netns", a->in_netns, b->in_netns);
	return ok;
}

/* Start prog in a process group of its own, its output into a pipe. */
static int start(const char *prog)
{
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	sigset_t block, old;
	unsigned int i;
	int pfd[2];

	if (pipe(pfd)) {
		ksft_print_msg("pipe: %s\n", strerror(errno));
		return -1;
	}
	sigemptyset(&block);
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		setpgid(0, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execl(prog, prog, NULL);
		dprintf(2, "cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	if (child < 0)
		ksft_print_msg("fork: %s\n", strerror(errno));
	else
		setpgid(child, child);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(pfd[1]);
	if (child > 0)
		return pfd[0];
	close(pfd[0]);
	return -1;
}

/*
 * Run nfs_open_lock until its first result, kill it (or its worker) with
 * sig, wait for it to finish, and compare the host with before.  0 for
 * restored, 1 for not, KSFT_SKIP if nfs_open_lock skipped.
 */
static int kill_mid_run(const char *prog, int sig, bool worker)
{
	struct host_state before, during, after;
	char buf[8192], path[64], *nl, *p;
	bool first = false, mid_run = false, skip = false, ended = false, ok;
	struct pollfd pl[2] = { { .events = POLLIN }, { .events = POLLIN } };
	int len = 0, n, rfd, status;
	struct stat netns = { 0 };
	pid_t worker_pid = 0, pid;
	long long end;

	get_state(&before, 0);
	rfd = start(prog);
	if (rfd < 0)
		return 1;
	pid = child;
	pl[0].fd = rfd;
	pl[1].fd = syscall(__NR_pidfd_open, pid, 0);
	if (pl[1].fd < 0)
		ksft_print_msg("pidfd_open: %s\n", strerror(errno));
	/* Its output, as diagnostics, until its first result. */
	end = now_ms() + LINE_MS;
	while (pl[1].fd >= 0 && !first && !skip && (n = poll(pl, 1, left_ms(end)))) {
		if (n < 0)
			continue;	/* EINTR */
		n = read(rfd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		buf[len] = '\0';
		while (!first && (nl = strchr(buf, '\n'))) {
			*nl = '\0';
			ksft_print_msg("  %s\n", buf);
			p = strstr(buf, "knfsd worker: pid ");
			if (p)
				worker_pid = atoi(p + strlen("knfsd worker: pid "));
			first = !strncmp(buf, "ok ", 3) || !strncmp(buf, "not ok ", 7);
			skip |= !strncmp(buf, "1..0", 4);
			len -= nl + 1 - buf;
			memmove(buf, nl + 1, len + 1);
		}
	}
	get_state(&during, 0);
	if (!skip && (!first || (worker && worker_pid <= 0)))
		ksft_print_msg("%s gave no first result (or no worker pid)\n", prog);
	else if (!skip && (during.threads <= before.threads || during.leases[0] != '0'))
		ksft_print_msg("not mid-run: %d NFS kernel threads, leases-enable %.1s\n",
			       during.threads, during.leases);
	else
		mid_run = !skip;
	/* Mid-run, the guardian is in the namespaces it made for the worker. */
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (mid_run)
		stat(path, &netns);
	if (worker && worker_pid > 0)
		kill(worker_pid, SIGKILL);
	else
		kill(-pid, sig);
	/* A worker killed while it writes would get SIGPIPE: keep reading. */
	end = now_ms() + EXIT_MS;
	while (pl[1].fd >= 0 && !ended && (n = poll(pl, 2, left_ms(end)))) {
		if (n < 0)
			continue;	/* EINTR */
		if (pl[0].revents && read(rfd, buf, sizeof(buf)) <= 0)
			pl[0].fd = -1;
		ended = pl[1].revents;
	}
	close(rfd);
	if (!ended) {
		ksft_print_msg("%s did not end within %d ms of the kill\n", prog, EXIT_MS);
		kill(-pid, SIGKILL);
		poll(&pl[1], pl[1].fd >= 0, KILL_MS);
	}
	if (pl[1].fd >= 0)
		close(pl[1].fd);
	child = 0;	/* a zombie at most: its pid is not reused */
	if (waitpid(pid, &status, WNOHANG) != pid)
		return 1;
	if (skip)
		return KSFT_SKIP;
	if (!WIFEXITED(status)) {
		ksft_print_msg("%s died by signal %d: no cleanup ran\n", prog, WTERMSIG(status));
		return 1;
	}
	/* Kernel threads take a moment to go: poll. */
	end = now_ms() + SETTLE_MS;
	for (;;) {
		get_state(&after, netns.st_ino);
		ok = same_state(false, &before, &after);
		if (ok || !left_ms(end))
			break;
		usleep(100 * 1000);
	}
	return same_state(true, &before, &after) && mid_run ? 0 : 1;
}

static void test_kill(const char *prog, int sig, bool worker, const char *name)
{
	int ret = stopped ? 1 : kill_mid_run(prog, sig, worker);

	if (ret == KSFT_SKIP)
		ksft_test_result_skip("%s: nfs_open_lock skipped\n", name);
	else
		ksft_test_result(ret == 0, "%s\n", name);
	if (stopped)
		ksft_exit_fail_msg("stopped by signal %d\n", stopped);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = forward };
	char prog[PATH_MAX], *p;
	ssize_t n;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	/* Installed next to us */
	n = readlink("/proc/self/exe", prog, sizeof(prog) - 16);
	if (n <= 0)
		ksft_exit_fail_msg("/proc/self/exe: %s\n", strerror(errno));
	prog[n] = '\0';
	p = strrchr(prog, '/');
	snprintf(p, prog + sizeof(prog) - p, "/nfs_open_lock");
	if (access(prog, X_OK))
		ksft_exit_fail_msg("%s: %s\n", prog, strerror(errno));
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	ksft_set_plan(3);
	test_kill(prog, SIGTERM, false, "sigterm_restores");
	test_kill(prog, SIGINT, false, "sigint_restores");
	test_kill(prog, SIGKILL, true, "worker_sigkill_restores");
	if (ksft_get_xskip_cnt() == 3) {
		ksft_print_cnts();
		exit(KSFT_SKIP);
	}
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}
