// SPDX-License-Identifier: GPL-2.0
/*
 * The "opts:" line of an NFS mount's block in /proc/<pid>/mountstats
 * starts with "ro" or "rw" and may hold ",noatime" and ",nodiratime".
 * They must be the mount's own, as /proc/<pid>/mountinfo shows them, not
 * its superblock's: a read-only bind mount of a read-write NFS mount is
 * read-only, and noatime and nodiratime are per-mount flags that NFS never
 * sets on its superblock.
 *
 * Against a real knfsd on this host, over 127.0.0.1, which exports a
 * tmpfs X read-write and its directory X/sub read-only on its own:
 *   bind_ro_*          X mounted rw with NFSv4.1 on "a", bound on "b",
 *                      "b" remounted read-only (MS_REMOUNT|MS_BIND)
 *   bind_noatime_mountstats, bind_nodiratime_mountstats
 *                      "a" bound on "d" and "e", remounted with noatime
 *                      and nodiratime: only they show it in mountstats
 *   mountstats_tool    mountstats(8) of nfs-common, a client of the file we
 *                      did not write, shows "b" ro and "a" rw; skipped
 *                      without it or python3
 *   many_binds_mountstats
 *                      "a" bound on NR_BINDS mount points, every third one
 *                      read-only: mountstats, read whole in one open (it is
 *                      far longer than a page), has one block for each, ro
 *                      or rw as it should, and "a" rw; the kernel does not
 *                      warn meanwhile
 *   mount_ro_*         X mounted read-only (MS_RDONLY) on "c"
 *   sub_v3_*, sub_v4.1_*
 *                      X/sub mounted read-only on "s<vers>" first, then
 *                      X read-write on "p<vers>": "p" must stay rw (a
 *                      client that shared the read-only superblock would
 *                      make it ro)
 * where each *_mountinfo checks the per-mount options of mountinfo (and,
 * but for bind mounts, the superblock's), *_mountstats the "opts:" line of
 * mountstats, *_writes that creating a file works on the rw mounts and
 * fails with EROFS on the ro ones.  X/sub is read-only on the server for
 * NFSv3 only: NFSv4 reaches it through X (see knfsd_export_sub()); "s" is
 * read-only on the client for both.
 *
 * knfsd serves NFSv3 here too, so lockd runs: no test here takes a lock.
 * Every call that may reach the server runs in a child with a deadline;
 * once one is late, the cases after it fail at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "knfsd.h"

#define WRITE_MS	20000	/* a soft RPC fails after about 15 s */
#define OPTS_LEN	1024	/* sscanf() below: %1023s */
#define NR_BINDS	200	/* many_binds_mountstats */
#define MAX_MOUNTS	(8 + NR_BINDS)
#define STATS_MAX	(16 << 20)	/* the most of mountstats we read */
#define TAINT_WARN	0x200	/* "W", bit 9 of /proc/sys/kernel/tainted */
#define NR_TESTS	16

#define DIR_A	KNFSD_DIR "/a"
#define DIR_B	KNFSD_DIR "/b"
#define DIR_C	KNFSD_DIR "/c"
#define DIR_D	KNFSD_DIR "/d"
#define DIR_E	KNFSD_DIR "/e"
#define DIR_MANY	KNFSD_DIR "/many"
#define TOOL	"/usr/sbin/mountstats"	/* nfs-common's, in Python */

static const char *const sub_vers[] = { "3", "4.1" };

/* What we mounted, to unmount it in reverse order */
static char mounted[MAX_MOUNTS][64];
static int nr_mounted;

static void unmount_to(int n)
{
	while (nr_mounted > n) {
		nr_mounted--;
		/* Else the guardian detaches them */
		if (!knfsd_late && knfsd_umount(mounted[nr_mounted]))
			ksft_print_msg("cannot unmount %s\n", mounted[nr_mounted]);
	}
}

static bool track(const char *dir)
{
	snprintf(mounted[nr_mounted++], sizeof(mounted[0]), "%s", dir);
	return true;
}

static bool mount_point(const char *dir)
{
	if (!mkdir(dir, 0755) || errno == EEXIST)
		return true;
	ksft_print_msg("mkdir %s: %s\n", dir, strerror(errno));
	return false;
}

/* Mount an exported path on dir; flags are mount(2)'s. */
static bool mount_nfs(const char *path, const char *dir, const char *opts, int flags)
{
	if (knfsd_late || nr_mounted == MAX_MOUNTS || !mount_point(dir) ||
	    knfsd_mount_path(KNFSD_ADDR, path, dir, opts, flags)) {
		ksft_print_msg("could not mount %s on %s (%s%s)%s\n", path, dir, opts,
			       flags & MS_RDONLY ? ", read-only" : "",
			       knfsd_late ? ": the server is not answering" : "");
		return false;
	}
	return track(dir);
}

struct bind {
	const char *from, *to;
	int flags;		/* for the remount */
};

static bool do_bind(void *arg)
{
	struct bind *b = arg;

	if (mount(b->from, b->to, NULL, MS_BIND, NULL)) {
		ksft_print_msg("bind %s on %s: %s\n", b->from, b->to, strerror(errno));
		return false;
	}
	if (!b->flags || !mount(NULL, b->to, NULL, MS_REMOUNT | MS_BIND | b->flags, NULL))
		return true;
	ksft_print_msg("remount %s with flags 0x%x: %s\n", b->to, b->flags, strerror(errno));
	if (umount2(b->to, 0))
		ksft_print_msg("umount %s: %s\n", b->to, strerror(errno));
	return false;
}

/* Bind-mount from on to, then remount it MS_BIND with flags, if any. */
static bool bind_nfs(const char *from, const char *to, int flags)
{
	struct bind b = { from, to, flags };

	if (knfsd_late || nr_mounted == MAX_MOUNTS || !mount_point(to) ||
	    !knfsd_child(KNFSD_TOOL_MS, "bind mount", do_bind, &b)) {
		ksft_print_msg("could not bind %s on %s with flags 0x%x\n", from, to, flags);
		return false;
	}
	return track(to);
}

/* Both are evaluated, for their messages */
static bool both(bool a, bool b)
{
	return a && b;
}

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

/*
 * The "opts:" line of the mountstats block "device ... mounted on <dir>
 * with fstype ...", without "opts:" and the blanks around it.
 */
static bool mountstats_opts(const char *dir, char *opts)
{
	char *line = NULL, *p, *e;
	bool in = false, found = false;
	size_t size = 0;
	FILE *f;

	f = fopen("/proc/self/mountstats", "r");
	if (!f) {
		ksft_print_msg("/proc/self/mountstats: %s\n", strerror(errno));
		return false;
	}
	while (getline(&line, &size, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "device ", 7)) {
			p = strstr(line, " mounted on ");
			e = p ? strstr(p + 12, " with fstype ") : NULL;
			in = e && e - (p + 12) == (long)strlen(dir) &&
			     !strncmp(p + 12, dir, e - (p + 12));
			continue;
		}
		p = line + strspn(line, " \t");
		if (in && !strncmp(p, "opts:", 5)) {
			p += 5;
			snprintf(opts, OPTS_LEN, "%s", p + strspn(p, " \t"));
			found = true;
			in = false;
		}
	}
	free(line);
	fclose(f);
	if (!found)
		ksft_print_msg("mountstats: no \"opts:\" line for %s\n", dir);
	return found;
}

/* mountinfo: dir is ro or rw, and so is its superblock if sb_too */
static bool info_is(const char *dir, bool ro, bool sb_too)
{
	char mnt[OPTS_LEN], sb[OPTS_LEN];
	const char *want = ro ? "ro" : "rw";

	if (!mountinfo_opts(dir, mnt, sb, NULL))
		return false;
	if (!first_opt(mnt, want)) {
		ksft_print_msg("mountinfo: %s has \"%s\", expected %s\n", dir, mnt, want);
		return false;
	}
	if (sb_too && !first_opt(sb, want)) {
		ksft_print_msg("mountinfo: the superblock of %s has \"%s\", expected %s\n",
			       dir, sb, want);
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

struct tool_try {
	const char *dir;
	bool ro;
};

/* mountstats(8) -n <dir> prints "  NFS mount options: <opts>" */
static bool run_tool(void *arg)
{
	struct tool_try *t = arg;
	const char *want = t->ro ? "ro" : "rw";
	char cmd[128], line[1024], last[1024] = "", *p;
	bool found = false, ok = false;
	int status;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s -n %s 2>&1", TOOL, t->dir);
	f = popen(cmd, "r");
	if (!f) {
		ksft_print_msg("popen %s: %s\n", cmd, strerror(errno));
		return false;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		p = line + strspn(line, " ");
		if (!found && !strncmp(p, "NFS mount options: ", 19)) {
			found = true;
			ok = first_opt(p + 19, want);
			if (!ok)
				ksft_print_msg("%s: \"%s\", expected %s first\n", cmd, p + 19,
					       want);
		}
		snprintf(last, sizeof(last), "%s", line);
	}
	status = pclose(f);
	if (status || !found)
		ksft_print_msg("%s: exit status 0x%x, %s, its last line: %s\n", cmd, status,
			       found ? "options found" : "no options", last);
	return !status && ok;
}

/* mountstats(8) shows ro for dir if ro, else rw */
static bool tool_is(const char *dir, bool ro)
{
	struct tool_try t = { dir, ro };

	return !knfsd_late && knfsd_child(KNFSD_TOOL_MS, "mountstats(8)", run_tool, &t);
}

static void case_tool(bool b)
{
	if (access(TOOL, X_OK) || access("/usr/bin/python3", X_OK)) {
		ksft_test_result_skip("mountstats_tool: no %s or no /usr/bin/python3\n", TOOL);
		return;
	}
	ksft_test_result(b && both(tool_is(DIR_B, true), tool_is(DIR_A, false)),
			 "mountstats_tool\n");
}

/* Bind mount i of many_binds_mountstats, or "a" for NR_BINDS */
static void many_dir(int i, char *dir)
{
	if (i == NR_BINDS)
		snprintf(dir, 64, "%s", DIR_A);
	else
		snprintf(dir, 64, "%s/%d", DIR_MANY, i);
}

static bool many_ro(int i)
{
	return i < NR_BINDS && i % 3 == 0;
}

/* The i of many_dir() for dir, or -1 */
static int many_index(const char *dir)
{
	size_t n = strlen(DIR_MANY "/");
	char *end;
	long i;

	if (!strcmp(dir, DIR_A))
		return NR_BINDS;
	if (strncmp(dir, DIR_MANY "/", n))
		return -1;
	i = strtol(dir + n, &end, 10);
	return end > dir + n && !*end && i >= 0 && i < NR_BINDS ? i : -1;
}

/*
 * All of /proc/self/mountstats, NUL-terminated, read in one open: with
 * many NFS mounts it is far longer than a page, so read() until the end,
 * with a buffer grown up to STATS_MAX.  NULL if that fails.
 */
static char *read_mountstats(size_t *len, int *reads)
{
	size_t size = 0;
	char *buf = NULL, *p;
	ssize_t n = 1;
	int fd;

	*len = 0;
	fd = open("/proc/self/mountstats", O_RDONLY);
	if (fd < 0) {
		ksft_print_msg("/proc/self/mountstats: %s\n", strerror(errno));
		return NULL;
	}
	for (*reads = 0; n > 0; (*reads)++) {
		if (*len + 1 >= size) {
			p = size < STATS_MAX ? realloc(buf, size ? 2 * size : 65536) : NULL;
			if (!p) {
				ksft_print_msg("mountstats: out of memory, or %d bytes or more\n",
					       STATS_MAX);
				break;
			}
			buf = p;
			size = size ? 2 * size : 65536;
		}
		n = read(fd, buf + *len, size - *len - 1);
		if (n > 0)
			*len += n;
		else if (n < 0)
			ksft_print_msg("reading mountstats: %s\n", strerror(errno));
	}
	close(fd);
	if (n) {
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

/*
 * In mountstats, one "device ... mounted on <dir> with fstype nfs..."
 * block for each many_dir(), whose "opts:" start with ro or rw as
 * many_ro() says.  buf is cut in lines.
 */
static bool many_check(char *buf)
{
	const char *opts[NR_BINDS + 1] = { NULL };
	int seen[NR_BINDS + 1] = { 0 };
	int i, cur = -1, found = 0, wrong = 0, first = -1;
	char *line, *next, *p, *e, dir[64];

	for (line = buf; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		p = line + strspn(line, " \t");
		if (p == line) {	/* "device ..." or "no device ..." */
			p = strstr(line, " mounted on ");
			e = p ? strstr(p + 12, " with fstype nfs") : NULL;
			cur = -1;
			if (e) {
				*e = '\0';
				cur = many_index(p + 12);
			}
			if (cur >= 0)
				seen[cur]++;
		} else if (cur >= 0 && !strncmp(p, "opts:", 5)) {
			opts[cur] = p + 5 + strspn(p + 5, " \t");
			cur = -1;
		}
	}
	for (i = 0; i <= NR_BINDS; i++) {
		found += seen[i] > 0;
		if (seen[i] == 1 && opts[i] && first_opt(opts[i], many_ro(i) ? "ro" : "rw"))
			continue;
		wrong++;
		if (first < 0)
			first = i;
	}
	ksft_print_msg("mountstats: of the %d bind mounts and %s, %d found, %d wrong\n",
		       NR_BINDS, DIR_A, found, wrong);
	if (first >= 0) {
		many_dir(first, dir);
		ksft_print_msg("the first wrong: %s, blocks: %d, opts: \"%s\", expected %s\n",
			       dir, seen[first], opts[first] ? opts[first] : "-",
			       many_ro(first) ? "ro" : "rw");
	}
	return !wrong;
}

/* /proc/sys/kernel/tainted, or -1 */
static long kernel_taint(void)
{
	char buf[32];

	return knfsd_read("/proc/sys/kernel/tainted", buf, sizeof(buf)) ? -1 : atol(buf);
}

/*
 * NR_BINDS bind mounts of "a", every third read-only, in mountstats.  Where
 * "opts:" follow the superblock, the read-only ones show "rw".
 */
static void case_many(bool up)
{
	long taint = kernel_taint();
	bool ok = up && mount_point(DIR_MANY);
	char dir[64], *buf = NULL;
	int i, reads;
	size_t len;

	for (i = 0; ok && i < NR_BINDS; i++) {
		many_dir(i, dir);
		ok = bind_nfs(DIR_A, dir, many_ro(i) ? MS_RDONLY : 0);
	}
	if (ok)
		buf = read_mountstats(&len, &reads);
	if (buf)
		ksft_print_msg("mountstats: %zu bytes in %d reads\n", len, reads);
	ok = buf && many_check(buf);
	free(buf);
	if (taint < 0 || taint & TAINT_WARN) {
		ksft_print_msg("kernel taint %ld before: new warnings cannot be told\n", taint);
	} else if (kernel_taint() & TAINT_WARN) {
		ksft_print_msg("the kernel warned (taint %ld)\n", kernel_taint());
		ok = false;
	}
	ksft_test_result(ok, "many_binds_mountstats\n");
}

static void case_bind(const struct knfsd *k)
{
	int base = nr_mounted;
	bool up, b, ok;

	up = mount_nfs(k->export, DIR_A, "vers=4.1", 0);
	b = up && bind_nfs(DIR_A, DIR_B, MS_RDONLY);
	ksft_test_result(b && both(info_is(DIR_A, false, true), info_is(DIR_B, true, false)),
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
	/* All of them, NR_BINDS too, on every path */
	unmount_to(base);
}

static void case_mount_ro(const struct knfsd *k)
{
	int base = nr_mounted;
	bool ok;

	ok = mount_nfs(k->export, DIR_C, "vers=4.1", MS_RDONLY);
	ksft_test_result(ok && info_is(DIR_C, true, true), "mount_ro_mountinfo\n");
	ksft_test_result(ok && stats_is(DIR_C, true), "mount_ro_mountstats\n");
	ksft_test_result(ok && write_is(DIR_C, true), "mount_ro_writes\n");
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
static void case_sub(const struct knfsd *k, const char *sub, const char *vers)
{
	char s[64], p[64], opts[32];
	int base = nr_mounted;
	bool ok;

	snprintf(s, sizeof(s), "%s/s%s", KNFSD_DIR, vers);
	snprintf(p, sizeof(p), "%s/p%s", KNFSD_DIR, vers);
	/* No lockd and statd on the client side */
	snprintf(opts, sizeof(opts), "vers=%s%s", vers, strcmp(vers, "3") ? "" : ",nolock");
	ok = mount_nfs(sub, s, opts, MS_RDONLY) && mount_nfs(k->export, p, opts, 0);
	if (ok)
		sub_report(vers, p, s);
	ksft_test_result(ok && both(write_is(p, false), write_is(s, true)),
			 "sub_v%s_writes\n", vers);
	ksft_test_result(ok && both(info_is(p, false, true), info_is(s, true, true)),
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
	if (ret || knfsd_export(&k) || knfsd_export_sub(&k, "sub", true, sub) ||
	    knfsd_end_grace()) {
		knfsd_stop(&k);
		ksft_exit_fail_msg("could not set up knfsd\n");
	}
	case_bind(&k);
	case_mount_ro(&k);
	for (i = 0; i < ARRAY_SIZE(sub_vers); i++)
		case_sub(&k, sub, sub_vers[i]);
	knfsd_stop(&k);
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}
