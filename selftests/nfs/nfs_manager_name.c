// SPDX-License-Identifier: GPL-2.0
/*
 * The NFSv4 state manager thread is named after the server's address, and
 * its comm (16 bytes with the NUL) is what ftrace, perf and the kernel's
 * own reports show: it must keep "manager" and a piece of the address.
 *
 * For each server address, mount a real knfsd on this host through it
 * with NFSv4.1, whose client setup runs the state manager, and read the
 * thread's comm from a trace instance of our own: the nfs4_state_mgr
 * event, which the thread itself emits, names the server and gives the
 * thread's pid; the sched_process_exit event of that pid gives its comm.
 * The events are consumed from trace_pipe, which (unlike reading "trace")
 * does not pause tracing, waiting on it with poll(); the pipe is open only
 * while no child runs, so that none can hold it.  The exits of tasks whose
 * comm could be a manager's (it has a '.' or a ':') are kept, so that
 * their order in the pipe does not matter.  Then check that:
 *   ..._comm_ends_in_manager  the comm ends in "-manager";
 *   ..._comm_names_server     it holds the whole address, or at least
 *                             6 characters of it in a row.
 * The addresses: 127.0.0.1 and 127.100.200.250 (9 and 15 characters),
 * ::1 (3, which fits in front of "-manager") and a 39-character IPv6
 * address added to lo.  The mounts are made one after the other, each
 * unmounted before the next, so that each has an NFS client of its own.
 * Without IPv6 (a missing prerequisite) the two IPv6 addresses are skipped.
 *
 * Not checked: the full name (in /proc where the kernel keeps one), as the
 * thread is gone once the mount is up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "knfsd.h"

#define TRACEFS		KNFSD_DIR "/tracing"
#define INSTANCE	TRACEFS "/instances/nfs_manager_name"
#define EV_MGR		"events/nfs4/nfs4_state_mgr/enable"
#define EV_EXIT		"events/sched/sched_process_exit/enable"
#define LONG_V6		"fd00:1111:2222:3333:4444:5555:6666:7777"
#define EXIT_MS		10000	/* for the manager threads to end */
#define POLL_MS		100	/* the longest wait on the pipe: a missed wakeup costs that */
#define MAX_MGR		8	/* manager threads recorded per mount */
#define MAX_EXITS	256	/* the last exits recorded */
#define MIN_PIECE	6	/* characters of the address the comm keeps */

static const struct {
	const char *label, *addr;
} servers[] = {
	{ "ipv4_loopback", "127.0.0.1" },
	{ "ipv4_15_chars", "127.100.200.250" },
	{ "ipv6_loopback", "::1" },
	{ "ipv6_39_chars", LONG_V6 },
};

#define NR_SERVERS	ARRAY_SIZE(servers)

struct managers {
	const char *addr;
	int nr;
	pid_t pid[MAX_MGR];
	const char *comm[MAX_MGR];
};

/* What trace_pipe gave so far */
static int pipe_fd = -1;
static char pipe_buf[16384];
static size_t pipe_len;
static struct {
	pid_t pid;
	char comm[32];
} exits[MAX_EXITS];
static unsigned int nr_exits;	/* in all: the last MAX_EXITS are kept */
static bool no_ipv6;

/* Also the guardian's: it shares our mount namespace. */
static void remove_instance(void)
{
	if (pipe_fd >= 0)
		close(pipe_fd);
	pipe_fd = -1;
	if (rmdir(INSTANCE) && errno != ENOENT)
		ksft_print_msg("rmdir %s: %s\n", INSTANCE, strerror(errno));
}

static int inst_write(const char *file, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", INSTANCE, file);
	return knfsd_write(path, val);
}

/*
 * A trace instance of our own with the two events on.  0, -1, or
 * KSFT_SKIP for a kernel without tracefs or these events; the nfs4 events
 * come with nfsv4.ko, loaded by a first mount if need be.
 */
static int trace_setup(struct knfsd *k)
{
	int ret;

	if ((mkdir(TRACEFS, 0755) && errno != EEXIST) ||
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		ret = errno;
		ksft_print_msg("tracefs on %s: %s\n", TRACEFS, strerror(ret));
		return ret == ENODEV ? KSFT_SKIP : -1;
	}
	/* Left by a run whose guardian was killed too */
	if (!access(INSTANCE, F_OK) && rmdir(INSTANCE))
		ksft_print_msg("rmdir %s: %s\n", INSTANCE, strerror(errno));
	if (mkdir(INSTANCE, 0755)) {
		ksft_print_msg("mkdir %s: %s\n", INSTANCE, strerror(errno));
		return -1;
	}
	/*
	 * One clock for the per-CPU buffers merged in the pipe, the line
	 * format line_pid() reads, and poll() woken by any event.
	 */
	inst_write("trace_clock", "global");
	inst_write("options/record-tgid", "0");
	inst_write("buffer_percent", "0");
	/* Exits first: no manager is seen without its exit. */
	ret = inst_write(EV_EXIT, "1");
	if (!ret && inst_write(EV_MGR, "1") == -ENOENT &&
	    !mkdir(KNFSD_DIR "/m", 0755) && !knfsd_mount(k, KNFSD_DIR "/m", "vers=4.1"))
		knfsd_umount(KNFSD_DIR "/m");
	if (!ret)
		ret = inst_write(EV_MGR, "1");
	if (ret) {
		ksft_print_msg("enabling sched_process_exit and nfs4_state_mgr: %s\n",
			       strerror(-ret));
		return ret == -ENOENT ? KSFT_SKIP : -1;
	}
	return 0;
}

/* The pid of a trace line's task: "<comm>-<pid> [<cpu>] ... <event>: ..." */
static pid_t line_pid(const char *line, const char *event)
{
	const char *p = strstr(line, event), *q;

	if (!p)
		return 0;
	while (p > line && *p != '[')
		p--;
	while (p > line && p[-1] == ' ')
		p--;
	q = p;
	while (q > line && q[-1] >= '0' && q[-1] <= '9')
		q--;
	return q > line && q[-1] == '-' && q < p ? atoi(q) : 0;
}

/* One line of the trace: a state manager of m's server, or an exit. */
static void trace_line(struct managers *m, const char *line)
{
	const char *p, *e;
	char host[128];
	pid_t pid;
	int i;

	p = strstr(line, " nfs4_state_mgr: hostname=");
	if (p && sscanf(p, " nfs4_state_mgr: hostname=%127s", host) == 1 &&
	    !strcmp(host, m->addr)) {
		pid = line_pid(line, " nfs4_state_mgr: ");
		for (i = 0; i < m->nr && m->pid[i] != pid; i++)
			;
		if (pid > 0 && i == m->nr && m->nr < MAX_MGR)
			m->pid[m->nr++] = pid;
		return;
	}
	p = strstr(line, " sched_process_exit: comm=");
	if (!p)
		return;
	p += strlen(" sched_process_exit: comm=");
	e = strstr(p, " pid=");
	if (!e || e - p >= (long)sizeof(exits[0].comm) ||
	    (!memchr(p, '.', e - p) && !memchr(p, ':', e - p)))
		return;
	i = nr_exits++ % MAX_EXITS;
	snprintf(exits[i].comm, sizeof(exits[0].comm), "%.*s", (int)(e - p), p);
	exits[i].pid = atoi(e + 5);
}

/* Read what the pipe has; true once every manager of m's server has exited. */
static bool managers_done(struct managers *m)
{
	unsigned int j, kept;
	char *nl, *line;
	ssize_t n;
	int i;

	while ((n = read(pipe_fd, pipe_buf + pipe_len, sizeof(pipe_buf) - 1 - pipe_len)) > 0) {
		pipe_len += n;
		pipe_buf[pipe_len] = '\0';
		line = pipe_buf;
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			trace_line(m, line);
			line = nl + 1;
		}
		pipe_len -= line - pipe_buf;
		memmove(pipe_buf, line, pipe_len);
		/* A line longer than the buffer: drop it */
		if (pipe_len == sizeof(pipe_buf) - 1)
			pipe_len = 0;
	}
	kept = nr_exits < MAX_EXITS ? nr_exits : MAX_EXITS;
	for (i = 0; i < m->nr; i++) {
		m->comm[i] = NULL;
		for (j = 0; j < kept; j++)
			if (exits[j].pid == m->pid[i])
				m->comm[i] = exits[j].comm;
		if (!m->comm[i])
			return false;
	}
	return m->nr > 0;
}

/* Wait on the pipe, within ms, until every manager of m's server has exited. */
static bool wait_managers(struct managers *m, int ms)
{
	long long end = knfsd_now() + knfsd_left(ms);
	struct pollfd pfd = { .events = POLLIN };
	bool done = false;

	pfd.fd = open(INSTANCE "/trace_pipe", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (pfd.fd < 0) {
		ksft_print_msg("%s/trace_pipe: %s\n", INSTANCE, strerror(errno));
		return false;
	}
	pipe_fd = pfd.fd;
	while (!(done = managers_done(m))) {
		long long left = end - knfsd_now();

		if (left <= 0)
			break;
		poll(&pfd, 1, left < POLL_MS ? left : POLL_MS);
	}
	pipe_fd = -1;
	close(pfd.fd);
	return done;
}

/* Add addr/128 to lo, as "ip address add" does: 0, -1, or KSFT_SKIP without IPv6. */
static int add_lo_addr6(const char *addr)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[64];
	} req = {
		.nh.nlmsg_type = RTM_NEWADDR,
		.nh.nlmsg_seq = 1,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
		.ifa.ifa_family = AF_INET6,
		.ifa.ifa_prefixlen = 128,
		.ifa.ifa_scope = RT_SCOPE_UNIVERSE,
	};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack = { 0 };
	struct rtattr *rta;
	__u32 flags = IFA_F_NODAD;
	int fd, ret = -1;
	ssize_t n;

	req.ifa.ifa_index = if_nametoindex("lo");
	rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	rta->rta_type = IFA_LOCAL;
	rta->rta_len = RTA_LENGTH(sizeof(struct in6_addr));
	if (!req.ifa.ifa_index || inet_pton(AF_INET6, addr, RTA_DATA(rta)) != 1) {
		ksft_print_msg("no lo, or a bad address %s\n", addr);
		return -1;
	}
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	rta = (struct rtattr *)((char *)&req + req.nh.nlmsg_len);
	rta->rta_type = IFA_FLAGS;
	rta->rta_len = RTA_LENGTH(sizeof(flags));
	memcpy(RTA_DATA(rta), &flags, sizeof(flags));
	req.nh.nlmsg_len += RTA_ALIGN(rta->rta_len);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		ksft_print_msg("netlink socket: %s\n", strerror(errno));
		return -1;
	}
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		ksft_print_msg("RTM_NEWADDR: %s\n", strerror(errno));
	} else {
		/* rtnetlink answers within send(): nothing to wait for */
		n = recv(fd, &ack, sizeof(ack), MSG_DONTWAIT);
		if (n < (ssize_t)sizeof(ack) || ack.nh.nlmsg_type != NLMSG_ERROR ||
		    ack.nh.nlmsg_seq != req.nh.nlmsg_seq)
			ksft_print_msg("RTM_NEWADDR: no answer\n");
		else if (ack.err.error)
			ksft_print_msg("adding %s to lo: %s\n", addr, strerror(-ack.err.error));
		else
			ret = 0;
		/* IPv6 off: not built, ipv6.disable=1, or disable_ipv6 */
		if (ret && (ack.err.error == -EAFNOSUPPORT || ack.err.error == -EOPNOTSUPP ||
			    ack.err.error == -EACCES))
			ret = KSFT_SKIP;
	}
	close(fd);
	return ret;
}

/* The longest run of characters of comm that is also in addr */
static size_t common_piece(const char *comm, const char *addr)
{
	size_t best = 0, i, j, n;

	for (i = 0; comm[i]; i++)
		for (j = 0; addr[j]; j++) {
			for (n = 0; comm[i + n] && comm[i + n] == addr[j + n]; n++)
				;
			if (n > best)
				best = n;
		}
	return best;
}

static bool ends_in(const char *s, const char *end)
{
	size_t ls = strlen(s), le = strlen(end);

	return ls >= le && !strcmp(s + ls - le, end);
}

static void run_server(struct knfsd *k, unsigned int i)
{
	const char *addr = servers[i].addr;
	struct managers m = { .addr = addr };
	size_t want = strlen(addr) < MIN_PIECE ? strlen(addr) : MIN_PIECE;
	bool mounted = false, seen, suffix = true, named = true;
	char dir[64];
	int j;

	if (no_ipv6 && strchr(addr, ':')) {
		ksft_test_result_skip("%s_comm_ends_in_manager: no IPv6\n", servers[i].label);
		ksft_test_result_skip("%s_comm_names_server: no IPv6\n", servers[i].label);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/%s", KNFSD_DIR, servers[i].label);
	if (!knfsd_late && !mkdir(dir, 0755) && !knfsd_mount_via(k, addr, dir, "vers=4.1"))
		mounted = true;
	seen = mounted && wait_managers(&m, EXIT_MS);
	if (mounted && knfsd_umount(dir))
		ksft_print_msg("%s: cannot unmount %s\n", addr, dir);
	if (!mounted)
		ksft_print_msg("%s: could not mount the export through it\n", addr);
	else if (!m.nr)
		ksft_print_msg("%s: no nfs4_state_mgr event names it\n", addr);
	else if (!seen)
		ksft_print_msg("%s: a state manager thread did not end in %d ms\n",
			       addr, EXIT_MS);
	for (j = 0; seen && j < m.nr; j++) {
		ksft_print_msg("%s: state manager pid %d, comm \"%s\"\n", addr,
			       m.pid[j], m.comm[j]);
		suffix = suffix && ends_in(m.comm[j], "-manager");
		named = named && common_piece(m.comm[j], addr) >= want;
	}
	ksft_test_result(seen && suffix, "%s_comm_ends_in_manager\n", servers[i].label);
	ksft_test_result(seen && named, "%s_comm_names_server\n", servers[i].label);
}

int main(void)
{
	/* Any address of this host may mount: the namespace has no other. */
	struct knfsd k = { .clients = "*" };
	unsigned int i;
	int ret;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	knfsd_cleanup_hook = remove_instance;
	ret = knfsd_isolate();
	if (!ret) {
		ret = add_lo_addr6(LONG_V6);
		no_ipv6 = ret == KSFT_SKIP;
		if (ret == KSFT_SKIP)
			ret = 0;
		else if (ret)
			ksft_exit_fail_msg("could not add %s to lo\n", LONG_V6);
	}
	if (!ret)
		ret = knfsd_start(&k);
	if (ret == KSFT_SKIP)
		ksft_exit_skip("no knfsd to test against\n");
	if (ret || knfsd_export(&k) || knfsd_end_grace()) {
		knfsd_stop(&k);
		ksft_exit_fail_msg("could not set up knfsd\n");
	}
	ret = trace_setup(&k);
	if (ret) {
		knfsd_stop(&k);
		remove_instance();
		if (ret == KSFT_SKIP)
			ksft_exit_skip("no tracefs or no NFSv4 trace events\n");
		ksft_exit_fail_msg("could not set up tracing\n");
	}
	ksft_set_plan(2 * NR_SERVERS);
	for (i = 0; i < NR_SERVERS; i++)
		run_server(&k, i);
	knfsd_stop(&k);
	remove_instance();
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}
