// SPDX-License-Identifier: GPL-2.0
/*
 * The "opts:" line of an NFS mount's block in /proc/<pid>/mountstats
 * starts with "ro" or "rw" and may hold ",noatime" and ",nodiratime".
 * They must follow /proc/<pid>/mounts: "ro" when the mount or its
 * superblock is read-only, and the atime flags of the mount, which NFS
 * never sets on its superblock.  (mountinfo shows the two apart: the
 * mount's own flags, then the superblock's.)  A read-only bind mount of a
 * read-write NFS mount is read-only.
 *
 * Against a real knfsd on this host, over 127.0.0.1, which exports a
 * tmpfs X read-write and its directory X/sub read-only on its own:
 *   bind_ro_*          X mounted rw with NFSv4.1 on "a", bound on "b",
 *                      "b" remounted read-only (MS_REMOUNT|MS_BIND)
 *   bind_noatime_mountstats, bind_nodiratime_mountstats
 *                      "a" bound on "d" and "e", remounted with noatime
 *                      and nodiratime: only they show it in mountstats
 *   mountstats_tool    mountstats(8) of nfs-common, another reader of the
 *                      file, run once as "mountstats -n b a", shows "b"
 *                      ro and "a" rw; skipped without it or python3
 *   many_binds_mountstats
 *                      "a" bound on NR_BINDS mount points on a tmpfs of
 *                      their own, every third one read-only.  mountstats,
 *                      read in STATS_READ-byte read()s, so that seq_file
 *                      carries records across reads, has one block for
 *                      each, ro or rw as it should, and "a" is rw; the
 *                      kernel logs no warning meanwhile (/dev/kmsg)
 *   mount_ro_*         X mounted read-only (MS_RDONLY) on "c"
 *   rosb_bind_*        "c" bound on "f", remounted MS_BIND without
 *                      MS_RDONLY: a rw mount of a ro superblock, which
 *                      mountinfo shows "rw" and mountstats must show "ro";
 *                      creating a file fails with EROFS
 *   sub_v3_*, sub_v4.1_*
 *                      X/sub mounted read-only on "s<vers>" first, then
 *                      X read-write on "p<vers>": "p" must be rw
 * where each *_mountinfo checks the options of mountinfo, *_mountstats
 * the "opts:" line of mountstats, *_writes that creating a file works on
 * the rw mounts and fails with EROFS on the ro ones.
 *
 * Where "opts:" follows the superblock, bind_ro_mountstats,
 * bind_noatime_mountstats, bind_nodiratime_mountstats, mountstats_tool and
 * many_binds_mountstats fail.  The others are controls that pass either
 * way; rosb_bind_* catches a kernel that looks at MNT_READONLY alone.
 *
 * The sub_* cases pass either way: "opts:" is right for "p" and "s" as
 * long as the client gives "p" a superblock of its own, read-write, not
 * the read-only one of "s".  They pin that.  nfs_compare_mount_options()
 * (fs/nfs/super.c) shares no superblock whose NFS_SB_MASK flags differ
 * from the new mount's:
 *	if ((s->s_flags & NFS_SB_MASK) != (fc->sb_flags & NFS_SB_MASK))
 *		goto Ebusy;
 * and SB_RDONLY is one of them.  NFSv4 mounts the server's root and walks
 * to the path through submounts, which nfs_d_automount()
 * (fs/nfs/namespace.c) gives the NFS_SB_MASK flags of their parent; so
 * "p" gets a read-write superblock of its own, from the root down.  With
 * NFSv3 the two superblocks also differ in fsid (knfsd reports each
 * export's fsid=), which nfs_compare_super() checks first.  X/sub is
 * read-only on the server for NFSv3 only (see knfsd_export_sub()); "s" is
 * read-only on the client for both.
 *
 * knfsd serves NFSv3 here too, so lockd runs: no test here takes a lock.
 * Every call that may reach the server runs in a child with a deadline;
 * once one is late, the cases after it fail without running.  The whole
 * program is bounded by KNFSD_RUN_MS: past it every deadline is cut to
 * nothing, so with a slow server the cases left fail without running.
 *
 * Paths are compared as the kernel prints them in mountinfo and
 * mountstats, without undoing its octal escapes: right, as ours hold no
 * space, tab, newline or backslash.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "knfsd.h"

/*
 * try_write() makes up to four RPCs: OPEN, WRITE, CLOSE, REMOVE.  Each is
 * quick on a live server; on a dead one the first fails (soft) after
 * about 15 s, within WRITE_MS.
 */
#define WRITE_MS	20000
#define TOOL_MS		30000	/* mountstats(8): python3 starts slowly under TCG */
#define TOOL_OUT	65536	/* the most of its output we read */
#define DIR_LEN		64	/* our mount points' paths */
#define OPTS_LEN	1024	/* sscanf() below: %1023s */
#define NR_BINDS	200	/* many_binds_mountstats */
#define MAX_MOUNTS	8	/* tracked at once, NR_BINDS aside */
#define STATS_MAX	(16 << 20)	/* the most of mountstats we read */
#define STATS_READ	4096	/* the size of each read() of it */

/* The cases of case_bind(), case_mount_ro(), case_sub() (for each of subs) */
#define BIND_TESTS	7
#define RO_TESTS	5
#define SUB_TESTS	3
#define NR_TESTS	(BIND_TESTS + RO_TESTS + SUB_TESTS * ARRAY_SIZE(subs))

#define DIR_A	KNFSD_DIR "/a"
#define DIR_B	KNFSD_DIR "/b"
#define DIR_C	KNFSD_DIR "/c"
#define DIR_D	KNFSD_DIR "/d"
#define DIR_E	KNFSD_DIR "/e"
#define DIR_F	KNFSD_DIR "/f"
#define DIR_MANY	KNFSD_DIR "/many"
#define TOOL	"/usr/sbin/mountstats"	/* nfs-common's, in Python */

static const struct {
	const char *vers, *type, *opts;
} subs[] = {
	/* No lockd and statd on the client side */
	{ "3", "nfs", "vers=3,nolock" },
	{ "4.1", "nfs4", "vers=4.1" },
};

/* What we mounted, to unmount it in reverse order */
static char mounted[MAX_MOUNTS][DIR_LEN];
static int nr_mounted;
static int cleanup_failed;	/* unmounts that failed: the run fails */

static void unmount_to(int n)
{
	while (nr_mounted > n) {
		nr_mounted--;
		/* Else the guardian detaches them */
		if (!knfsd_late && knfsd_umount(mounted[nr_mounted])) {
			ksft_print_msg("cannot unmount %s\n", mounted[nr_mounted]);
			cleanup_failed++;
		}
	}
}

static void track(const char *dir)
{
	snprintf(mounted[nr_mounted++], sizeof(mounted[0]), "%s", dir);
}

static bool mount_point(const char *dir)
{
	if (!mkdir(dir, 0755) || errno == EEXIST)
		return true;
	ksft_print_msg("mkdir %s: %s\n", dir, strerror(errno));
	return false;
}

/* Mount an exported path on dir; flags are mount(2)'s. */
static bool mount_nfs(const char *type, const char *path, const char *dir,
		      const char *opts, int flags)
{
	if (knfsd_late || nr_mounted == MAX_MOUNTS || !mount_point(dir) ||
	    knfsd_mount_path(KNFSD_ADDR, type, path, dir, opts, flags)) {
		ksft_print_msg("could not mount %s on %s (%s%s)%s\n", path, dir, opts,
			       flags & MS_RDONLY ? ", read-only" : "",
			       knfsd_late ? ": the server is not answering" : "");
		return false;
	}
	track(dir);
	return true;
}

struct bind {
	const char *from, *to;
	int flags;		/* for the remount */
};

/* Bind-mount from on to, then remount it MS_BIND with flags. */
static bool do_bind(void *arg)
{
	struct bind *b = arg;

	if (mount(b->from, b->to, NULL, MS_BIND, NULL)) {
		ksft_print_msg("bind %s on %s: %s\n", b->from, b->to, strerror(errno));
		return false;
	}
	if (!mount(NULL, b->to, NULL, MS_REMOUNT | MS_BIND | b->flags, NULL))
		return true;
	ksft_print_msg("remount %s with flags 0x%x: %s\n", b->to, b->flags, strerror(errno));
	if (umount2(b->to, 0))
		ksft_print_msg("umount %s: %s\n", b->to, strerror(errno));
	return false;
}

static bool bind_nfs(const char *from, const char *to, int flags)
{
	struct bind b = { from, to, flags };

	if (knfsd_late || nr_mounted == MAX_MOUNTS || !mount_point(to) ||
	    !knfsd_child(KNFSD_TOOL_MS, "bind mount", do_bind, &b)) {
		ksft_print_msg("could not bind %s on %s with flags 0x%x\n", from, to, flags);
		return false;
	}
	track(to);
	return true;
}

/* a and b, both evaluated, in that order, for their messages */
#define both(a, b) ({ bool a_ = (a); (b) && a_; })

/* Is w the first word of the comma-separated list? */
static bool first_opt(const char *list, const char *w)
{
	size_t n = strlen(w);

	return !strncmp(list, w, n) && (list[n] == ',' || list[n] == '\0');
}

/* Is w one of the words of the comma-separated list? */
static bool has_opt(const char *list, const char *w)
{
	for (; list; list = strchr(list, ',') ? strchr(list, ',') + 1 : NULL)
		if (first_opt(list, w))
			return true;
	return false;
}

/*
 * From mountinfo: the options of the mount on dir and of its superblock,
 * and its device (major:minor, 32 bytes), which tells superblocks apart.
 */
static bool mountinfo_opts(const char *dir, char *mnt, char *sb, char *dev)
{
	char *line = NULL, *sep, mp[PATH_MAX], opts[OPTS_LEN], maj_min[32];
	bool found = false;
	size_t size = 0;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "r");
	if (!f) {
		ksft_print_msg("/proc/self/mountinfo: %s\n", strerror(errno));
		return false;
	}
	/* The last one is on top */
	while (getline(&line, &size, f) > 0) {
		if (sscanf(line, "%*d %*d %31s %*s %4095s %1023s", maj_min, mp, opts) != 3 ||
		    strcmp(mp, dir))
			continue;
		sep = strstr(line, " - ");
		if (sep && sscanf(sep, " - %*s %*s %1023s", sb) == 1) {
			snprintf(mnt, OPTS_LEN, "%s", opts);
			if (dev)
				snprintf(dev, 32, "%s", maj_min);
			found = true;
		}
	}
	free(line);
	fclose(f);
	if (!found)
		ksft_print_msg("mountinfo: no mount on %s\n", dir);
	return found;
}

/* The "opts:" line of dir's block in mountstats, from after "opts:" */
static bool mountstats_opts(const char *dir, char *opts)
{
	FILE *f;

	f = fopen("/proc/self/mountstats", "r");
	if (!f) {
		ksft_print_msg("/proc/self/mountstats: %s\n", strerror(errno));
		return false;
	}
	knfsd_stats_line(f, dir, "opts:", opts, OPTS_LEN);
	fclose(f);
	if (!*opts)
		ksft_print_msg("mountstats: no \"opts:\" line for %s\n", dir);
	return *opts;
}

/* mountinfo: dir's mount options start with mnt, its superblock's with sb */
static bool info_is(const char *dir, const char *mnt_want, const char *sb_want)
{
	char mnt[OPTS_LEN], sb[OPTS_LEN];

	if (!mountinfo_opts(dir, mnt, sb, NULL))
		return false;
	if (!first_opt(mnt, mnt_want)) {
		ksft_print_msg("mountinfo: %s has \"%s\", expected %s\n", dir, mnt, mnt_want);
		return false;
	}
	if (sb_want && !first_opt(sb, sb_want)) {
		ksft_print_msg("mountinfo: the superblock of %s has \"%s\", expected %s\n",
			       dir, sb, sb_want);
		return false;
	}
	return true;
}

/* mountinfo: the mount on dir has option w */
static bool info_has(const char *dir, const char *w)
{
	char mnt[OPTS_LEN], sb[OPTS_LEN];

	if (!mountinfo_opts(dir, mnt, sb, NULL))
		return false;
	if (!has_opt(mnt, w))
		ksft_print_msg("mountinfo: %s has \"%s\", without %s\n", dir, mnt, w);
	return has_opt(mnt, w);
}

/* mountstats: the opts of dir start with ro or rw */
static bool stats_is(const char *dir, bool ro)
{
	char opts[OPTS_LEN];
	const char *want = ro ? "ro" : "rw";

	if (!mountstats_opts(dir, opts))
		return false;
	if (first_opt(opts, want))
		return true;
	ksft_print_msg("mountstats: opts of %s are \"%s\", expected %s first\n",
		       dir, opts, want);
	return false;
}

/* mountstats: the opts of dir have w, or have not */
static bool stats_has(const char *dir, const char *w, bool want)
{
	char opts[OPTS_LEN];

	if (!mountstats_opts(dir, opts))
		return false;
	if (has_opt(opts, w) == want)
		return true;
	ksft_print_msg("mountstats: opts of %s are \"%s\", %s %s\n", dir, opts,
		       want ? "without" : "with", w);
	return false;
}

struct write_try {
	const char *dir;
	int want;		/* 0 or EROFS */
};

static bool try_write(void *arg)
{
	struct write_try *w = arg;
	char path[PATH_MAX];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/file%d", w->dir, getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		err = errno;
	} else {
		if (write(fd, "x", 1) != 1)
			err = errno;
		if (close(fd) && !err)
			err = errno;
		unlink(path);
	}
	if (err == w->want)
		return true;
	ksft_print_msg("creating a file in %s: %s, expected %s\n", w->dir,
		       err ? strerror(err) : "success",
		       w->want ? strerror(w->want) : "success");
	return false;
}

/* Creating a file in dir works, or fails with EROFS if ro. */
static bool write_is(const char *dir, bool ro)
{
	struct write_try w = { dir, ro ? EROFS : 0 };

	return !knfsd_late && knfsd_child(WRITE_MS, "creating a file", try_write, &w);
}

/*
 * Run TOOL with argv, its output (stdout and stderr) in out; its wait
 * status, or -1 if it missed TOOL_MS and was killed.  It only reads
 * mountstats, not the server, so it is no knfsd_child(): a slow python3
 * says nothing about the server.
 */
static int tool_run(char *const argv[], char *out, size_t size)
{
	long long end = knfsd_now() + knfsd_left(TOOL_MS);
	struct pollfd pfd = { .events = POLLIN };
	size_t len = 0;
	ssize_t n = 1;
	int fds[2], status;
	pid_t pid;

	*out = '\0';
	if (pipe2(fds, O_CLOEXEC)) {
		ksft_print_msg("pipe: %s\n", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		/* Else a traceback would come before the rest of stdout */
		setenv("PYTHONUNBUFFERED", "1", 1);
		execv(TOOL, argv);
		dprintf(2, "execv %s: %s\n", TOOL, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	if (pid < 0) {
		ksft_print_msg("fork: %s\n", strerror(errno));
		close(fds[0]);
		return -1;
	}
	pfd.fd = fds[0];
	while (n > 0 && len < size - 1 &&
	       poll(&pfd, 1, end > knfsd_now() ? end - knfsd_now() : 0) > 0) {
		n = read(fds[0], out + len, size - 1 - len);
		len += n > 0 ? n : 0;
	}
	out[len] = '\0';
	close(fds[0]);
	status = knfsd_wait_pid(pid, end > knfsd_now() ? end - knfsd_now() : 0);
	if (status == -1) {
		ksft_print_msg("%s did not finish in time: killing it\n", TOOL);
		kill(pid, SIGKILL);
		knfsd_wait_pid(pid, KNFSD_KILL_MS);
	}
	return status;
}

/* Does s end with " mounted on <dir>:"? */
static bool tool_header_of(const char *s, const char *dir)
{
	char want[DIR_LEN + 16];
	size_t n = strlen(s), w;

	w = snprintf(want, sizeof(want), " mounted on %s:", dir);
	return n >= w && !strcmp(s + n - w, want);
}

/*
 * mountstats(8) -n b a prints, for each, "Stats for <export> mounted on
 * <dir>:", then "  NFS mount options: <opts>".  Those of "b" must start
 * with ro, of "a" with rw.
 */
static void case_tool(bool b)
{
	static char *const argv[] = { "mountstats", "-n", DIR_B, DIR_A, NULL };
	static const char *const dirs[] = { DIR_B, DIR_A };
	const char *opts[ARRAY_SIZE(dirs)] = { NULL }, *last = "";
	char out[TOOL_OUT], how[32], *line, *p, *save;
	int status, cur = -1, i;
	bool ok;

	if (access(TOOL, X_OK) || access("/usr/bin/python3", X_OK)) {
		ksft_test_result_skip("mountstats_tool: no %s or no /usr/bin/python3\n", TOOL);
		return;
	}
	if (!b) {
		ksft_test_result_fail("mountstats_tool\n");
		return;
	}
	status = tool_run(argv, out, sizeof(out));
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		p = line + strspn(line, " ");
		if (!strncmp(line, "Stats for ", 10)) {
			for (cur = ARRAY_SIZE(dirs) - 1; cur >= 0; cur--)
				if (tool_header_of(line, dirs[cur]))
					break;
		} else if (cur >= 0 && !strncmp(p, "NFS mount options: ", 19)) {
			opts[cur] = p + 19;
			cur = -1;
		}
		last = line;
	}
	ok = status != -1 && WIFEXITED(status) && !WEXITSTATUS(status);
	for (i = 0; ok && i < (int)ARRAY_SIZE(dirs); i++) {
		if (opts[i] && first_opt(opts[i], i ? "rw" : "ro"))
			continue;
		ksft_print_msg("mountstats(8): %s has options \"%s\", expected %s first\n",
			       dirs[i], opts[i] ? opts[i] : "(none)", i ? "rw" : "ro");
		ok = false;
	}
	if (status == -1)
		snprintf(how, sizeof(how), "late");
	else if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(status));
	if (!ok)
		ksft_print_msg("mountstats(8): %s, its last line: %s\n", how, last);
	ksft_test_result(ok, "mountstats_tool\n");
}

/* Bind mount i of many_binds_mountstats, or "a" for NR_BINDS */
static void many_dir(int i, char *dir)
{
	if (i == NR_BINDS)
		snprintf(dir, DIR_LEN, "%s", DIR_A);
	else
		snprintf(dir, DIR_LEN, "%s/%d", DIR_MANY, i);
}

static bool many_ro(int i)
{
	return i < NR_BINDS && i % 3 == 0;
}

/*
 * All NR_BINDS bind mounts in one child: only the first lookup of "a" may
 * reach the server.
 */
static bool many_bind(void *unused)
{
	char dir[DIR_LEN];
	struct bind b = { DIR_A, dir, 0 };
	int i;

	for (i = 0; i < NR_BINDS; i++) {
		many_dir(i, dir);
		b.flags = many_ro(i) ? MS_RDONLY : 0;
		if (!do_bind(&b))
			return false;
	}
	return true;
}

/*
 * All of /proc/self/mountstats, NUL-terminated, from one open, in
 * STATS_READ-byte read()s; NULL if it is longer than STATS_MAX or cannot
 * be read.  The buffer's pages are only used as they are written.
 */
static char *read_mountstats(size_t *len, int *reads)
{
	size_t want;
	ssize_t n;
	char *buf;
	int fd;

	*len = 0;
	*reads = 0;
	buf = malloc(STATS_MAX + 1);
	fd = open("/proc/self/mountstats", O_RDONLY);
	if (!buf || fd < 0) {
		ksft_print_msg("/proc/self/mountstats: %s\n", strerror(errno));
		goto fail;
	}
	do {
		want = STATS_MAX - *len < STATS_READ ? STATS_MAX - *len : STATS_READ;
		/* At STATS_MAX, a byte more tells whether there is more */
		n = read(fd, buf + *len, want ? want : 1);
		*reads += n > 0;
		*len += n > 0 ? n : 0;
	} while (n > 0 && *len <= STATS_MAX);
	if (n < 0) {
		ksft_print_msg("reading mountstats: %s\n", strerror(errno));
		goto fail;
	}
	if (*len > STATS_MAX) {
		ksft_print_msg("mountstats: more than %d bytes\n", STATS_MAX);
		goto fail;
	}
	close(fd);
	buf[*len] = '\0';
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/*
 * In mountstats, exactly one block for each many_dir(), whose "opts:"
 * start with ro or rw as many_ro() says.
 */
static bool many_check(char *buf, size_t len)
{
	char dir[DIR_LEN], opts[OPTS_LEN];
	int i, blocks, found = 0, wrong = 0;
	FILE *f;

	f = fmemopen(buf, len, "r");
	if (!f) {
		ksft_print_msg("fmemopen: %s\n", strerror(errno));
		return false;
	}
	for (i = 0; i <= NR_BINDS; i++) {
		many_dir(i, dir);
		rewind(f);
		blocks = knfsd_stats_line(f, dir, "opts:", opts, sizeof(opts));
		found += blocks > 0;
		if (blocks == 1 && first_opt(opts, many_ro(i) ? "ro" : "rw"))
			continue;
		if (!wrong++)
			ksft_print_msg("first wrong: %s, %d blocks, opts \"%s\", expected %s\n",
				       dir, blocks, opts, many_ro(i) ? "ro" : "rw");
	}
	fclose(f);
	ksft_print_msg("mountstats: of the %d bind mounts and %s, %d found, %d wrong\n",
		       NR_BINDS, DIR_A, found, wrong);
	return !wrong;
}

/* /dev/kmsg, at its end; -1 if it cannot be read */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) >= 0)
		return fd;
	ksft_print_msg("/dev/kmsg: %s: kernel warnings go unchecked\n", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Has the kernel logged a warning since kmsg_open()?  Closes fd. */
static bool kmsg_warned(int fd)
{
	static const char *const marks[] = { "WARNING:", "BUG:", "cut here" };
	char rec[8192], *msg;
	bool warned = false;
	unsigned int i;
	ssize_t n;

	if (fd < 0)
		return false;
	/* One record a read; EPIPE: we missed some, which were overwritten */
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n < 0 || warned)
			continue;
		rec[n] = '\0';
		for (i = 0; i < ARRAY_SIZE(marks) && !warned; i++)
			warned = strstr(rec, marks[i]);
		if (!warned)
			continue;
		msg = strchr(rec, ';') ? strchr(rec, ';') + 1 : rec;
		ksft_print_msg("the kernel logged: %.*s\n", (int)strcspn(msg, "\n"), msg);
	}
	close(fd);
	return warned;
}

/*
 * NR_BINDS bind mounts of "a", every third read-only, in mountstats.  They
 * are made in one child, on a tmpfs of their own, and undone in another
 * with one lazy unmount of it, each child within KNFSD_TOOL_MS and, as
 * all here, within KNFSD_RUN_MS.
 */
static void case_many(bool up)
{
	struct knfsd_mount_args detach = { .dir = DIR_MANY, .flags = MNT_DETACH };
	bool ok, tmpfs = false;
	int kmsg = kmsg_open(), i, reads;
	char dir[DIR_LEN], *buf = NULL;
	size_t len;

	if (up && mount_point(DIR_MANY)) {
		tmpfs = !mount("tmpfs", DIR_MANY, "tmpfs", 0, "mode=0755");
		if (!tmpfs)
			ksft_print_msg("tmpfs on %s: %s\n", DIR_MANY, strerror(errno));
	}
	for (i = 0, ok = tmpfs; ok && i < NR_BINDS; i++) {
		many_dir(i, dir);
		ok = mount_point(dir);
	}
	if (ok && !knfsd_late && knfsd_child(KNFSD_TOOL_MS, "bind mounts", many_bind, NULL))
		buf = read_mountstats(&len, &reads);
	if (buf)
		ksft_print_msg("mountstats: %zu bytes in %d reads\n", len, reads);
	ok = buf && many_check(buf, len);
	free(buf);
	/* Else the guardian detaches the bind mounts */
	if (tmpfs && !knfsd_late) {
		if (!knfsd_child(KNFSD_TOOL_MS, "umount -l", knfsd_do_mount, &detach) ||
		    rmdir(DIR_MANY)) {
			ksft_print_msg("cannot take away %s\n", DIR_MANY);
			cleanup_failed++;
		}
	}
	ok = !kmsg_warned(kmsg) && ok;
	ksft_test_result(ok, "many_binds_mountstats\n");
}

static void case_bind(const struct knfsd *k)
{
	int base = nr_mounted;
	bool up, b, ok;

	up = mount_nfs("nfs4", k->export, DIR_A, "vers=4.1", 0);
	b = up && bind_nfs(DIR_A, DIR_B, MS_RDONLY);
	ksft_test_result(b && both(info_is(DIR_A, "rw", "rw"), info_is(DIR_B, "ro", NULL)),
			 "bind_ro_mountinfo\n");
	ksft_test_result(b && both(stats_is(DIR_A, false), stats_is(DIR_B, true)),
			 "bind_ro_mountstats\n");
	ksft_test_result(b && both(write_is(DIR_A, false), write_is(DIR_B, true)),
			 "bind_ro_writes\n");

	/* noatime and nodiratime are per-mount: mountinfo shows them */
	ok = up && bind_nfs(DIR_A, DIR_D, MS_NOATIME) && info_has(DIR_D, "noatime");
	ksft_test_result(ok && both(stats_has(DIR_D, "noatime", true),
				    stats_has(DIR_A, "noatime", false)),
			 "bind_noatime_mountstats\n");
	ok = up && bind_nfs(DIR_A, DIR_E, MS_NODIRATIME) && info_has(DIR_E, "nodiratime");
	ksft_test_result(ok && both(stats_has(DIR_E, "nodiratime", true),
				    stats_has(DIR_A, "nodiratime", false)),
			 "bind_nodiratime_mountstats\n");
	case_tool(b);
	case_many(up);
	unmount_to(base);
}

static void case_mount_ro(const struct knfsd *k)
{
	int base = nr_mounted;
	bool ok, f;

	ok = mount_nfs("nfs4", k->export, DIR_C, "vers=4.1", MS_RDONLY);
	ksft_test_result(ok && info_is(DIR_C, "ro", "ro"), "mount_ro_mountinfo\n");
	ksft_test_result(ok && stats_is(DIR_C, true), "mount_ro_mountstats\n");
	ksft_test_result(ok && write_is(DIR_C, true), "mount_ro_writes\n");

	/* The remount clears the MNT_READONLY that the bind copied from "c" */
	f = ok && bind_nfs(DIR_C, DIR_F, 0) && info_is(DIR_F, "rw", "ro");
	ksft_test_result(f && stats_is(DIR_F, true), "rosb_bind_mountstats\n");
	ksft_test_result(f && write_is(DIR_F, true), "rosb_bind_writes\n");
	unmount_to(base);
}

/*
 * The parent was mounted rw after the sub-export ro: if it is read-only,
 * say so, and whether it has the superblock of the read-only mount.
 */
static void sub_report(const char *vers, const char *p, const char *s)
{
	char mnt[OPTS_LEN], sb[OPTS_LEN], s_mnt[OPTS_LEN], s_sb[OPTS_LEN];
	char p_dev[32], s_dev[32];

	if (!mountinfo_opts(p, mnt, sb, p_dev) || !mountinfo_opts(s, s_mnt, s_sb, s_dev) ||
	    (!first_opt(mnt, "ro") && !first_opt(sb, "ro")))
		return;
	ksft_print_msg("NFSv%s: %s, mounted rw after the sub-export ro on %s, is read-only\n",
		       vers, p, s);
	ksft_print_msg("NFSv%s: %s has mount \"%s\", superblock \"%s\"\n", vers, p, mnt, sb);
	if (!strcmp(p_dev, s_dev))
		ksft_print_msg("NFSv%s: %s and %s share one read-only superblock (device %s)\n",
			       vers, p, s, p_dev);
}

/* The sub-export read-only on s, then its parent read-write on p */
static void case_sub(const struct knfsd *k, const char *sub, int i)
{
	const char *vers = subs[i].vers;
	char s[DIR_LEN], p[DIR_LEN];
	int base = nr_mounted;
	bool ok;

	snprintf(s, sizeof(s), "%s/s%s", KNFSD_DIR, vers);
	snprintf(p, sizeof(p), "%s/p%s", KNFSD_DIR, vers);
	ok = mount_nfs(subs[i].type, sub, s, subs[i].opts, MS_RDONLY) &&
	     mount_nfs(subs[i].type, k->export, p, subs[i].opts, 0);
	if (ok)
		sub_report(vers, p, s);
	ksft_test_result(ok && both(write_is(p, false), write_is(s, true)),
			 "sub_v%s_writes\n", vers);
	ksft_test_result(ok && both(info_is(p, "rw", "rw"), info_is(s, "ro", "ro")),
			 "sub_v%s_mountinfo\n", vers);
	ksft_test_result(ok && both(stats_is(p, false), stats_is(s, true)),
			 "sub_v%s_mountstats\n", vers);
	unmount_to(base);
}

int main(void)
{
	/* NFSv3 for the sub_v3_* cases */
	struct knfsd k = { .v3 = true };
	char sub[PATH_MAX];
	unsigned int i;
	int ret;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	ret = knfsd_isolate();
	if (!ret)
		ret = knfsd_start(&k);
	if (ret == KSFT_SKIP)
		ksft_exit_skip("no knfsd to test against\n");
	ksft_set_plan(NR_TESTS);
	if (ret || knfsd_export(&k) || knfsd_export_sub(&k, "sub", true, sub, sizeof(sub)) ||
	    knfsd_end_grace()) {
		knfsd_stop(&k);
		ksft_exit_fail_msg("could not set up knfsd\n");
	}
	case_bind(&k);
	case_mount_ro(&k);
	for (i = 0; i < ARRAY_SIZE(subs); i++)
		case_sub(&k, sub, i);
	knfsd_stop(&k);
	if (cleanup_failed)
		ksft_print_msg("%d cleanup unmounts failed\n", cleanup_failed);
	if (ksft_get_fail_cnt() || cleanup_failed)
		ksft_exit_fail();
	ksft_exit_pass();
}
