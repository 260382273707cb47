// SPDX-License-Identifier: GPL-2.0
/*
 * dm-snapshot invalidation reporting.
 *
 * When a snapshot is invalidated the kernel log must name the snapshot
 * device, the persistent COW header must record why, and the
 * "invalid_reason" target message must return that reason, also after the
 * snapshot table is loaded again.  Garbage in the reason field must be
 * reported as such and must not disturb a valid snapshot.
 *
 * The origin and the COW device are loop devices backed by unlinked files.
 * Everything else is done with raw device-mapper ioctls, without udev.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <linux/dm-ioctl.h>
#include <linux/loop.h>
#include <linux/types.h>

#include "kselftest_harness.h"

#define SECTOR_SIZE	512
#define ORIGIN_SIZE	(4u << 20)
#define COW_SIZE	(256u << 10)
#define CHUNK_SECTORS	8u
#define CHUNK_BYTES	(CHUNK_SECTORS * SECTOR_SIZE)
#define IO_SIZE		(64u << 10)

#define ORIGIN_SEED	0x0123456789abcdefULL
#define NEW_SEED	0xfedcba9876543210ULL

/* Persistent COW header, chunk 0, packed little-endian __le32 fields */
#define SNAP_MAGIC	0x70416e53u
#define SNAP_VERSION	1u
#define HDR_WORDS	5	/* magic, valid, version, chunk_size, reason */

#define DM_BUF_SIZE	(16u << 10)
#define KMSG_REC_SIZE	8192
#define POLL_STEP_MS	10
#define POLL_TRIES	500	/* 5 s in 10 ms steps */
#define MAX_REPORTED	5	/* garbage values reported before giving up */

static pid_t main_pid;
static char name_prefix[64];

struct cow_hdr {
	__u32 magic;
	__u32 valid;
	__u32 version;
	__u32 chunk_size;
	__u32 reason;
};

struct loopdev {
	int fd;			/* kept open until teardown */
	unsigned int major;
	unsigned int minor;
};

struct dmdev {
	char name[DM_NAME_LEN];
	bool created;
	unsigned int major;
	unsigned int minor;
	char disk[32];		/* "dm-N" */
};

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	nanosleep(&ts, NULL);
}

/* ---- block device nodes ---- */

/* Name of a block device as the kernel calls it, from sysfs */
static int blk_name(unsigned int maj, unsigned int min, char *buf, size_t len)
{
	char link[64], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", maj, min);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -1;
	memcpy(buf, base, strlen(base) + 1);
	return 0;
}

/*
 * Open a block device by number: use the devtmpfs node if it is there and
 * is the right device, else make a node in our temporary directory.
 */
static int open_blk(const char *dir, unsigned int maj, unsigned int min,
		    int flags)
{
	char name[64], path[PATH_MAX];
	dev_t dev = makedev(maj, min);
	struct stat st;

	if (!blk_name(maj, min, name, sizeof(name))) {
		snprintf(path, sizeof(path), "/dev/%s", name);
		if (!stat(path, &st) && S_ISBLK(st.st_mode) && st.st_rdev == dev)
			return open(path, flags | O_CLOEXEC);
	}
	snprintf(path, sizeof(path), "%s/blk-%u-%u", dir, maj, min);
	if (mknod(path, S_IFBLK | 0600, dev) && errno != EEXIST)
		return -1;
	return open(path, flags | O_CLOEXEC);
}

static void *alloc_io_buf(size_t len)
{
	void *buf;

	if (posix_memalign(&buf, 4096, len))
		return NULL;
	return buf;
}

static void pattern_fill(void *buf, size_t len, __u64 off, __u64 seed)
{
	__u64 *p = buf;
	size_t i;

	for (i = 0; i < len / sizeof(*p); i++)
		p[i] = (off + i * sizeof(*p)) ^ seed;
}

/*
 * Write the pattern over the first @size bytes with O_DIRECT and fsync.
 * Returns the number of failed writes (the fsync counts as one), or -errno
 * if the device cannot be opened.  *@first_err gets the first errno seen.
 */
static int dev_write_pattern(const char *dir, unsigned int maj,
			     unsigned int min, size_t size, __u64 seed,
			     int *first_err)
{
	int fd, fails = 0;
	size_t off;
	void *buf;

	*first_err = 0;
	buf = alloc_io_buf(IO_SIZE);
	if (!buf)
		return -ENOMEM;
	fd = open_blk(dir, maj, min, O_RDWR | O_DIRECT);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (off = 0; off < size; off += IO_SIZE) {
		pattern_fill(buf, IO_SIZE, off, seed);
		if (pwrite(fd, buf, IO_SIZE, off) != IO_SIZE) {
			if (!*first_err)
				*first_err = errno ? errno : EIO;
			fails++;
		}
	}
	if (fsync(fd)) {
		if (!*first_err)
			*first_err = errno;
		fails++;
	}
	close(fd);
	free(buf);
	return fails;
}

/*
 * Compare the first @size bytes with the pattern, reading with O_DIRECT.
 * Returns 0 if equal, 1 on a mismatch (offset in *@bad), -errno on error.
 */
static int dev_check_pattern(const char *dir, unsigned int maj,
			     unsigned int min, size_t size, __u64 seed,
			     size_t *bad)
{
	void *buf, *want;
	int fd, ret = 0;
	size_t off;

	buf = alloc_io_buf(IO_SIZE);
	want = malloc(IO_SIZE);
	if (!buf || !want) {
		free(buf);
		free(want);
		return -ENOMEM;
	}
	fd = open_blk(dir, maj, min, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	for (off = 0; off < size; off += IO_SIZE) {
		if (pread(fd, buf, IO_SIZE, off) != IO_SIZE) {
			ret = errno ? -errno : -EIO;
			break;
		}
		pattern_fill(want, IO_SIZE, off, seed);
		if (memcmp(buf, want, IO_SIZE)) {
			*bad = off;
			ret = 1;
			break;
		}
	}
	close(fd);
out:
	free(buf);
	free(want);
	return ret;
}

/* Read or write COW chunk 0 with O_DIRECT, so that no cache can lie */
static int hdr_io(const char *dir, const struct loopdev *cow, void *chunk,
		  bool write)
{
	ssize_t n;
	int fd, ret = 0;

	fd = open_blk(dir, cow->major, cow->minor,
		      (write ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (fd < 0)
		return -errno;
	if (write)
		n = pwrite(fd, chunk, CHUNK_BYTES, 0);
	else
		n = pread(fd, chunk, CHUNK_BYTES, 0);
	if (n != CHUNK_BYTES)
		ret = n < 0 ? -errno : -EIO;
	else if (write && fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

static int hdr_read(const char *dir, const struct loopdev *cow,
		    struct cow_hdr *h)
{
	__le32 w[HDR_WORDS];
	void *chunk;
	int ret;

	chunk = alloc_io_buf(CHUNK_BYTES);
	if (!chunk)
		return -ENOMEM;
	ret = hdr_io(dir, cow, chunk, false);
	if (!ret) {
		memcpy(w, chunk, sizeof(w));
		h->magic = le32toh(w[0]);
		h->valid = le32toh(w[1]);
		h->version = le32toh(w[2]);
		h->chunk_size = le32toh(w[3]);
		h->reason = le32toh(w[4]);
	}
	free(chunk);
	return ret;
}

/*
 * Write the header words.  With @keep_rest the rest of chunk 0 is kept
 * as it is on disk, otherwise it is zeroed.
 */
static int hdr_write(const char *dir, const struct loopdev *cow,
		     const struct cow_hdr *h, bool keep_rest)
{
	__le32 w[HDR_WORDS];
	void *chunk;
	int ret = 0;

	chunk = alloc_io_buf(CHUNK_BYTES);
	if (!chunk)
		return -ENOMEM;
	if (keep_rest)
		ret = hdr_io(dir, cow, chunk, false);
	else
		memset(chunk, 0, CHUNK_BYTES);
	if (!ret) {
		w[0] = htole32(h->magic);
		w[1] = htole32(h->valid);
		w[2] = htole32(h->version);
		w[3] = htole32(h->chunk_size);
		w[4] = htole32(h->reason);
		memcpy(chunk, w, sizeof(w));
		ret = hdr_io(dir, cow, chunk, true);
	}
	free(chunk);
	return ret;
}

/* ---- loop devices ---- */

/* Device number of /dev/loopN; the minor depends on loop.max_part */
static void loop_devt(int n, struct loopdev *lo)
{
	char path[64];
	FILE *f;

	lo->major = 7;
	lo->minor = n;
	snprintf(path, sizeof(path), "/sys/block/loop%d/dev", n);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fscanf(f, "%u:%u", &lo->major, &lo->minor) != 2) {
		lo->major = 7;
		lo->minor = n;
	}
	fclose(f);
}

static int loop_attach(const char *dir, const char *fname, size_t size,
		       bool fill, struct loopdev *lo)
{
	struct loop_info64 info;
	char path[PATH_MAX];
	int bfd, lcfd, lfd = -1, ret, i;
	size_t off;
	void *buf;

	snprintf(path, sizeof(path), "%s/%s", dir, fname);
	bfd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (bfd < 0)
		return -errno;
	/* The loop device keeps the file; nothing is left behind */
	unlink(path);
	if (ftruncate(bfd, size)) {
		ret = -errno;
		goto out_bfd;
	}
	if (fill) {
		buf = malloc(IO_SIZE);
		if (!buf) {
			ret = -ENOMEM;
			goto out_bfd;
		}
		for (off = 0; off < size; off += IO_SIZE) {
			pattern_fill(buf, IO_SIZE, off, ORIGIN_SEED);
			if (pwrite(bfd, buf, IO_SIZE, off) != IO_SIZE) {
				free(buf);
				ret = -EIO;
				goto out_bfd;
			}
		}
		free(buf);
	}

	lcfd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (lcfd < 0) {
		ret = -errno;
		goto out_bfd;
	}
	ret = -EBUSY;
	/* Another user may grab the free device first: retry a few times */
	for (i = 0; i < 16 && lfd < 0; i++) {
		int n = ioctl(lcfd, LOOP_CTL_GET_FREE);

		if (n < 0) {
			ret = -errno;
			break;
		}
		loop_devt(n, lo);
		lfd = open_blk(dir, lo->major, lo->minor, O_RDWR);
		if (lfd < 0) {
			ret = -errno;
			break;
		}
		if (!ioctl(lfd, LOOP_SET_FD, bfd))
			break;
		ret = -errno;
		close(lfd);
		lfd = -1;
		if (ret != -EBUSY)
			break;
	}
	close(lcfd);
	if (lfd < 0)
		goto out_bfd;

	memset(&info, 0, sizeof(info));
	info.lo_flags = LO_FLAGS_AUTOCLEAR;
	snprintf((char *)info.lo_file_name, sizeof(info.lo_file_name),
		 "%s", name_prefix);
	if (ioctl(lfd, LOOP_SET_STATUS64, &info)) {
		ret = -errno;
		ioctl(lfd, LOOP_CLR_FD, 0);
		close(lfd);
		goto out_bfd;
	}
	lo->fd = lfd;
	ret = 0;
out_bfd:
	close(bfd);
	return ret;
}

static void loop_detach(struct loopdev *lo)
{
	if (lo->fd < 0)
		return;
	/* Detaches now, or at the last close thanks to autoclear */
	ioctl(lo->fd, LOOP_CLR_FD, 0);
	close(lo->fd);
	lo->fd = -1;
}

/* ---- device-mapper ioctls ---- */

static struct dm_ioctl *dm_init(void *buf, const char *name, __u32 flags)
{
	struct dm_ioctl *dmi = buf;

	memset(buf, 0, DM_BUF_SIZE);
	dmi->version[0] = DM_VERSION_MAJOR;
	dmi->data_size = DM_BUF_SIZE;
	dmi->data_start = sizeof(*dmi);
	dmi->flags = flags;
	if (name)
		snprintf(dmi->name, sizeof(dmi->name), "%s", name);
	return dmi;
}

static int dm_cmd(int ctl, unsigned long cmd, const char *name, __u32 flags)
{
	__u64 buf[DM_BUF_SIZE / sizeof(__u64)];

	if (ioctl(ctl, cmd, dm_init(buf, name, flags)))
		return -errno;
	return 0;
}

static int dm_remove(int ctl, const char *name)
{
	int i, ret = -EBUSY;

	/* Bounded poll: someone (udev) may hold the device for a moment */
	for (i = 0; i < POLL_TRIES; i++) {
		ret = dm_cmd(ctl, DM_DEV_REMOVE, name, 0);
		if (ret != -EBUSY)
			break;
		sleep_ms(POLL_STEP_MS);
	}
	return ret == -ENXIO ? 0 : ret;
}

static int dm_create(int ctl, struct dmdev *d)
{
	__u64 buf[DM_BUF_SIZE / sizeof(__u64)];
	struct dm_ioctl *dmi = dm_init(buf, d->name, 0);

	if (ioctl(ctl, DM_DEV_CREATE, dmi))
		return -errno;
	d->created = true;
	d->major = major(dmi->dev);
	d->minor = minor(dmi->dev);
	snprintf(d->disk, sizeof(d->disk), "dm-%u", d->minor);
	return 0;
}

static int dm_load(int ctl, const char *name, __u64 sectors,
		   const char *type, const char *params)
{
	__u64 buf[DM_BUF_SIZE / sizeof(__u64)];
	struct dm_ioctl *dmi = dm_init(buf, name, 0);
	struct dm_target_spec *spec = (void *)dmi + dmi->data_start;

	dmi->target_count = 1;
	spec->sector_start = 0;
	spec->length = sectors;
	snprintf(spec->target_type, sizeof(spec->target_type), "%s", type);
	snprintf((char *)(spec + 1), 1024, "%s", params);
	if (ioctl(ctl, DM_TABLE_LOAD, dmi))
		return -errno;
	return 0;
}

static int dm_status(int ctl, const char *name, char *out, size_t len)
{
	__u64 buf[DM_BUF_SIZE / sizeof(__u64)];
	struct dm_ioctl *dmi = dm_init(buf, name, 0);
	struct dm_target_spec *spec;

	out[0] = '\0';
	if (ioctl(ctl, DM_TABLE_STATUS, dmi))
		return -errno;
	if (dmi->target_count != 1)
		return -EPROTO;
	spec = (void *)dmi + dmi->data_start;
	snprintf(out, len, "%s", (char *)(spec + 1));
	return 0;
}

static int dm_message(int ctl, const char *name, const char *msg, char *out,
		      size_t len)
{
	__u64 buf[DM_BUF_SIZE / sizeof(__u64)];
	struct dm_ioctl *dmi = dm_init(buf, name, 0);
	struct dm_target_msg *tmsg = (void *)dmi + dmi->data_start;

	out[0] = '\0';
	tmsg->sector = 0;
	memcpy(tmsg->message, msg, strlen(msg) + 1);
	if (ioctl(ctl, DM_TARGET_MSG, dmi))
		return -errno;
	if (dmi->flags & DM_BUFFER_FULL_FLAG)
		return -ENOSPC;
	if (!(dmi->flags & DM_DATA_OUT_FLAG))
		return -ENODATA;
	snprintf(out, len, "%s", (char *)dmi + dmi->data_start);
	return 0;
}

/* Create, load and resume @d with a one-target table */
static int dm_setup(struct __test_metadata *_metadata, int ctl,
		    struct dmdev *d, __u64 sectors, const char *type,
		    const char *params)
{
	int ret;

	ret = dm_create(ctl, d);
	if (ret) {
		TH_LOG("DM_DEV_CREATE %s: %s", d->name, strerror(-ret));
		return ret;
	}
	ret = dm_load(ctl, d->name, sectors, type, params);
	if (ret) {
		TH_LOG("DM_TABLE_LOAD %s \"0 %llu %s %s\": %s", d->name,
		       (unsigned long long)sectors, type, params,
		       strerror(-ret));
		return ret;
	}
	ret = dm_cmd(ctl, DM_DEV_SUSPEND, d->name, 0);
	if (ret) {
		TH_LOG("resume %s: %s", d->name, strerror(-ret));
		return ret;
	}
	/* The disk is registered by now: take its name from sysfs */
	blk_name(d->major, d->minor, d->disk, sizeof(d->disk));
	return 0;
}

static int dm_teardown(struct __test_metadata *_metadata, int ctl,
		       struct dmdev *d)
{
	int ret;

	if (!d->created)
		return 0;
	ret = dm_remove(ctl, d->name);
	if (ret) {
		TH_LOG("DM_DEV_REMOVE %s: %s", d->name, strerror(-ret));
		return ret;
	}
	d->created = false;
	return 0;
}

static void dm_names(struct dmdev *snap, struct dmdev *orig,
		     struct dmdev *cow)
{
	snprintf(snap->name, sizeof(snap->name), "%s-snap", name_prefix);
	snprintf(orig->name, sizeof(orig->name), "%s-origin", name_prefix);
	snprintf(cow->name, sizeof(cow->name), "%s-cow", name_prefix);
}

/* Remove devices a killed test may have left behind, users first */
static void dm_remove_stale(int ctl)
{
	struct dmdev snap, orig, cow;

	dm_names(&snap, &orig, &cow);
	dm_remove(ctl, snap.name);
	dm_remove(ctl, orig.name);
	dm_remove(ctl, cow.name);
}

/* ---- kernel log ---- */

static int kmsg_mark(int fd)
{
	return lseek(fd, 0, SEEK_END) < 0 ? -errno : 0;
}

/* Messages logged since the mark, one per line; NULL on error */
static char *kmsg_read(int fd)
{
	char rec[KMSG_REC_SIZE];
	size_t len = 0, cap = 4096;
	char *log, *tmp;

	log = malloc(cap);
	if (!log)
		return NULL;
	log[0] = '\0';
	for (;;) {
		const char *msg, *end;
		ssize_t n = read(fd, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE)	/* overwritten records */
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			free(log);
			return NULL;
		}
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		end = strchrnul(msg, '\n');
		if (len + (end - msg) + 2 > cap) {
			cap = 2 * (len + (end - msg) + 2);
			tmp = realloc(log, cap);
			if (!tmp) {
				free(log);
				return NULL;
			}
			log = tmp;
		}
		memcpy(log + len, msg, end - msg);
		len += end - msg;
		log[len++] = '\n';
		log[len] = '\0';
	}
	return log;
}

static int log_count(const char *log, const char *needle)
{
	const char *line, *end;
	int n = 0;

	for (line = log; *line; line = end + 1) {
		end = strchrnul(line, '\n');
		if (memmem(line, end - line, needle, strlen(needle)))
			n++;
		if (!*end)
			break;
	}
	return n;
}

/* Does the first line containing @needle also name @maj:@min? */
static bool log_line_has_devt(const char *log, const char *needle,
			      unsigned int maj, unsigned int min)
{
	const char *line, *end, *p;
	char devt[32];
	size_t dlen;

	dlen = snprintf(devt, sizeof(devt), "%u:%u", maj, min);
	for (line = log; *line; line = end + 1) {
		end = strchrnul(line, '\n');
		if (memmem(line, end - line, needle, strlen(needle))) {
			for (p = line; p + dlen <= end; p++) {
				if (memcmp(p, devt, dlen))
					continue;
				if ((p == line || p[-1] < '0' || p[-1] > '9') &&
				    (p + dlen == end || p[dlen] < '0' ||
				     p[dlen] > '9'))
					return true;
			}
			return false;
		}
		if (!*end)
			break;
	}
	return false;
}

static void log_dump(struct __test_metadata *_metadata, const char *log)
{
	const char *line, *end;
	int shown = 0;

	for (line = log; *line && shown < 20; line = end + 1) {
		end = strchrnul(line, '\n');
		if (memmem(line, end - line, "device-mapper", 13)) {
			TH_LOG("  kmsg: %.*s", (int)(end - line), line);
			shown++;
		}
		if (!*end)
			break;
	}
	if (!shown)
		TH_LOG("  (no device-mapper lines in kmsg)");
}

/* ---- checks (EXPECT_*, they never abort, so teardown always runs) ---- */

static bool expect_log(struct __test_metadata *_metadata, const char *log,
		       const struct dmdev *d, const char *what)
{
	char want[256];
	int n;

	snprintf(want, sizeof(want), "snapshots: %s (%u:%u): %s", d->disk,
		 d->major, d->minor, what);
	n = log_count(log, want);
	if (n < 1) {
		TH_LOG("expected a kernel log line containing \"%s\"", want);
		log_dump(_metadata, log);
	}
	EXPECT_LE(1, n);
	return n >= 1;
}

static bool expect_no_splat(struct __test_metadata *_metadata,
			    const char *log)
{
	static const char * const bad[] = {
		"BUG:", "WARNING:", "UBSAN:", "Oops", "general protection",
	};
	unsigned int i;
	int n = 0;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		n += log_count(log, bad[i]);
	if (n) {
		TH_LOG("kernel log has %d BUG/WARNING/UBSAN/Oops lines", n);
		log_dump(_metadata, log);
	}
	EXPECT_EQ(0, n);
	return !n;
}

static char *expect_kmsg_read(struct __test_metadata *_metadata, int fd)
{
	char *log = kmsg_read(fd);
	bool have_log = log;

	if (!have_log)
		TH_LOG("reading /dev/kmsg failed: %s", strerror(errno));
	EXPECT_TRUE(have_log);
	if (log)
		expect_no_splat(_metadata, log);
	return log;
}

static bool status_is_usage(const char *s)
{
	unsigned long long used, total, meta;
	int end = -1;

	return sscanf(s, "%llu/%llu %llu%n", &used, &total, &meta, &end) == 3 &&
	       end == (int)strlen(s);
}

static bool expect_status(struct __test_metadata *_metadata, int ctl,
			  const struct dmdev *d, const char *want)
{
	char st[256];
	int ret;

	ret = dm_status(ctl, d->name, st, sizeof(st));
	if (ret) {
		TH_LOG("DM_TABLE_STATUS %s: %s", d->disk, strerror(-ret));
		EXPECT_EQ(0, ret);
		return false;
	}
	if (want) {
		EXPECT_STREQ(want, st);
		return !strcmp(want, st);
	}
	if (!status_is_usage(st))
		TH_LOG("%s status: expected \"used/total metadata\", got \"%s\"",
		       d->disk, st);
	EXPECT_TRUE(status_is_usage(st));
	return status_is_usage(st);
}

static bool expect_reason(struct __test_metadata *_metadata, int ctl,
			  const struct dmdev *d, const char *want)
{
	char out[256];
	int ret;

	ret = dm_message(ctl, d->name, "invalid_reason", out, sizeof(out));
	if (ret) {
		TH_LOG("DM_TARGET_MSG \"invalid_reason\" to %s: %s (expected \"%s\")",
		       d->disk, strerror(-ret), want);
		EXPECT_EQ(0, ret);
		return false;
	}
	EXPECT_STREQ(want, out);
	return !strcmp(want, out);
}

static bool expect_header(struct __test_metadata *_metadata, const char *dir,
			  const struct loopdev *cow, __u32 valid,
			  __u32 reason, bool check_reason)
{
	struct cow_hdr h;
	int ret;

	ret = hdr_read(dir, cow, &h);
	if (ret) {
		TH_LOG("O_DIRECT read of the COW header: %s", strerror(-ret));
		EXPECT_EQ(0, ret);
		return false;
	}
	EXPECT_EQ(SNAP_MAGIC, h.magic);
	EXPECT_EQ(valid, h.valid);
	EXPECT_EQ(SNAP_VERSION, h.version);
	EXPECT_EQ(CHUNK_SECTORS, h.chunk_size);
	if (check_reason) {
		if (h.reason != reason)
			TH_LOG("COW header invalid_reason (offset 16): expected %u, got %u",
			       reason, h.reason);
		EXPECT_EQ(reason, h.reason);
	}
	return h.magic == SNAP_MAGIC && h.valid == valid &&
	       (!check_reason || h.reason == reason);
}

/* ---- fixture ---- */

struct snap_env {
	int ctl;		/* /dev/mapper/control */
	int kmsg;		/* /dev/kmsg */
	char dir[64];		/* temporary dir: backing files, nodes */
	struct loopdev origin;
	struct loopdev cow;
	struct dmdev snap;	/* snapshot */
	struct dmdev orig;	/* snapshot-origin */
	struct dmdev cowdev;	/* linear (or error) over the COW loop */
	unsigned int checks;	/* CHECK_*: what this case asserts */
};

/*
 * Each scenario runs twice: once checking the log lines that name the
 * device and the cause, once checking what is recorded (the COW header,
 * the "invalid_reason" message, the load-time log line), so that a kernel
 * without one of the two changes fails exactly the cases of that change.
 */
#define CHECK_MESSAGES	1
#define CHECK_RECORDED	2

FIXTURE(dm_snap) {
	struct snap_env env;
};

static void fixture_cleanup(struct __test_metadata *_metadata,
			    struct snap_env *self)
{
	struct dirent *de;
	char path[PATH_MAX];
	DIR *d;

	if (self->ctl >= 0) {
		dm_teardown(_metadata, self->ctl, &self->snap);
		dm_teardown(_metadata, self->ctl, &self->orig);
		dm_teardown(_metadata, self->ctl, &self->cowdev);
	}
	loop_detach(&self->origin);
	loop_detach(&self->cow);
	if (self->kmsg >= 0)
		close(self->kmsg);
	self->kmsg = -1;
	if (self->ctl >= 0)
		close(self->ctl);
	self->ctl = -1;
	if (!self->dir[0])
		return;
	d = opendir(self->dir);
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", self->dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(self->dir);
	self->dir[0] = '\0';
}

static int fixture_init(struct __test_metadata *_metadata,
			struct snap_env *self)
{
	int ret;

	self->ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (self->ctl < 0) {
		TH_LOG("open /dev/mapper/control: %s", strerror(errno));
		return -1;
	}
	self->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (self->kmsg < 0) {
		TH_LOG("open /dev/kmsg: %s", strerror(errno));
		return -1;
	}
	dm_remove_stale(self->ctl);

	snprintf(self->dir, sizeof(self->dir), "/tmp/kst-snap-XXXXXX");
	if (!mkdtemp(self->dir)) {
		TH_LOG("mkdtemp: %s", strerror(errno));
		self->dir[0] = '\0';
		return -1;
	}
	ret = loop_attach(self->dir, "origin", ORIGIN_SIZE, true,
			  &self->origin);
	if (ret) {
		TH_LOG("origin loop device: %s", strerror(-ret));
		return -1;
	}
	ret = loop_attach(self->dir, "cow", COW_SIZE, false, &self->cow);
	if (ret) {
		TH_LOG("COW loop device: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

FIXTURE_SETUP(dm_snap)
{
	struct snap_env *env = &self->env;
	int ret;

	env->ctl = -1;
	env->kmsg = -1;
	env->dir[0] = '\0';
	env->origin.fd = -1;
	env->cow.fd = -1;
	dm_names(&env->snap, &env->orig, &env->cowdev);
	env->snap.created = false;
	env->orig.created = false;
	env->cowdev.created = false;

	ret = fixture_init(_metadata, env);
	/* Teardown does not run after a failed setup: clean up here */
	if (ret)
		fixture_cleanup(_metadata, env);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(dm_snap)
{
	fixture_cleanup(_metadata, &self->env);
}

static void snap_table(char *buf, size_t len, const struct loopdev *origin,
		       unsigned int cmaj, unsigned int cmin, const char *store)
{
	snprintf(buf, len, "%u:%u %u:%u %s %u", origin->major, origin->minor,
		 cmaj, cmin, store, CHUNK_SECTORS);
}

static int setup_origin_dev(struct __test_metadata *_metadata,
			    struct snap_env *self)
{
	char table[64];

	snprintf(table, sizeof(table), "%u:%u", self->origin.major,
		 self->origin.minor);
	return dm_setup(_metadata, self->ctl, &self->orig,
			ORIGIN_SIZE / SECTOR_SIZE, "snapshot-origin", table);
}

static int setup_snap_dev(struct __test_metadata *_metadata,
			  struct snap_env *self, const char *store,
			  unsigned int cmaj, unsigned int cmin)
{
	char table[128];

	snap_table(table, sizeof(table), &self->origin, cmaj, cmin, store);
	return dm_setup(_metadata, self->ctl, &self->snap,
			ORIGIN_SIZE / SECTOR_SIZE, "snapshot", table);
}

static void expect_origin_content(struct __test_metadata *_metadata,
				  struct snap_env *self)
{
	size_t bad = 0;
	int ret;

	ret = dev_check_pattern(self->dir, self->orig.major, self->orig.minor,
				ORIGIN_SIZE, NEW_SEED, &bad);
	if (ret < 0)
		TH_LOG("O_DIRECT read of %s: %s", self->orig.disk,
		       strerror(-ret));
	else if (ret)
		TH_LOG("origin %s differs from what was written at offset %zu",
		       self->orig.disk, bad);
	EXPECT_EQ(0, ret);
}

static int run_cow_full(struct __test_metadata *_metadata,
			struct snap_env *self)
{
	int fails, err;
	char *log;

	if (setup_origin_dev(_metadata, self) ||
	    setup_snap_dev(_metadata, self, "P", self->cow.major,
			   self->cow.minor))
		return -1;
	expect_status(_metadata, self->ctl, &self->snap, NULL);
	if (self->checks & CHECK_RECORDED)
		expect_reason(_metadata, self->ctl, &self->snap, "none");

	/* 4 MiB of origin writes cannot fit a 256 KiB COW device */
	kmsg_mark(self->kmsg);
	fails = dev_write_pattern(self->dir, self->orig.major, self->orig.minor,
				  ORIGIN_SIZE, NEW_SEED, &err);
	if (fails)
		TH_LOG("writing the origin %s: %d failures, first: %s",
		       self->orig.disk, fails, strerror(fails < 0 ? -fails : err));
	EXPECT_EQ(0, fails);

	expect_status(_metadata, self->ctl, &self->snap, "Invalid");
	log = expect_kmsg_read(_metadata, self->kmsg);
	if (log && (self->checks & CHECK_MESSAGES))
		expect_log(_metadata, log, &self->snap,
			   "Invalidating snapshot: COW device is full.");
	free(log);
	expect_header(_metadata, self->dir, &self->cow, 0, 1,
		      self->checks & CHECK_RECORDED);
	if (self->checks & CHECK_RECORDED)
		expect_reason(_metadata, self->ctl, &self->snap, "cow_full");

	/* Load the invalid snapshot again: the reason comes from disk */
	if (dm_teardown(_metadata, self->ctl, &self->snap))
		return -1;
	kmsg_mark(self->kmsg);
	if (setup_snap_dev(_metadata, self, "P", self->cow.major,
			   self->cow.minor))
		return -1;
	log = expect_kmsg_read(_metadata, self->kmsg);
	if (log && (self->checks & CHECK_RECORDED))
		expect_log(_metadata, log, &self->snap,
			   "Snapshot is marked invalid: COW device is full.");
	free(log);
	expect_status(_metadata, self->ctl, &self->snap, "Invalid");
	if (self->checks & CHECK_RECORDED)
		expect_reason(_metadata, self->ctl, &self->snap, "cow_full");
	expect_header(_metadata, self->dir, &self->cow, 0, 1,
		      self->checks & CHECK_RECORDED);

	expect_origin_content(_metadata, self);
	return 0;
}

static int run_overflow(struct __test_metadata *_metadata,
			struct snap_env *self)
{
	int fails, err;
	char *log;

	if (setup_snap_dev(_metadata, self, "PO", self->cow.major,
			   self->cow.minor))
		return -1;
	expect_status(_metadata, self->ctl, &self->snap, NULL);

	/* Writes to the snapshot itself past the COW capacity must fail */
	kmsg_mark(self->kmsg);
	fails = dev_write_pattern(self->dir, self->snap.major, self->snap.minor,
				  ORIGIN_SIZE, NEW_SEED, &err);
	if (fails < 0)
		TH_LOG("opening %s: %s", self->snap.disk, strerror(-fails));
	else if (!fails)
		TH_LOG("%u bytes written to %s with a %u byte COW device did not fail",
		       ORIGIN_SIZE, self->snap.disk, COW_SIZE);
	EXPECT_LT(0, fails);

	expect_status(_metadata, self->ctl, &self->snap, "Overflow");
	log = expect_kmsg_read(_metadata, self->kmsg);
	if (log && (self->checks & CHECK_MESSAGES))
		expect_log(_metadata, log, &self->snap, "Snapshot overflowed");
	free(log);
	if (self->checks & CHECK_RECORDED)
		expect_reason(_metadata, self->ctl, &self->snap, "none");
	/* Overflow does not invalidate: the header stays valid */
	expect_header(_metadata, self->dir, &self->cow, 1, 0, false);
	return 0;
}

static int run_io_error(struct __test_metadata *_metadata,
			struct snap_env *self)
{
	const char *unrecorded = "Unable to record invalidation in COW header";
	char table[64];
	int fails, err, ret, n;
	char *log;

	snprintf(table, sizeof(table), "%u:%u 0", self->cow.major,
		 self->cow.minor);
	if (dm_setup(_metadata, self->ctl, &self->cowdev,
		     COW_SIZE / SECTOR_SIZE, "linear", table) ||
	    setup_origin_dev(_metadata, self) ||
	    setup_snap_dev(_metadata, self, "P", self->cowdev.major,
			   self->cowdev.minor))
		return -1;
	expect_status(_metadata, self->ctl, &self->snap, NULL);

	/* The COW device dies under the active snapshot */
	ret = dm_load(self->ctl, self->cowdev.name, COW_SIZE / SECTOR_SIZE,
		      "error", "");
	if (!ret)
		ret = dm_cmd(self->ctl, DM_DEV_SUSPEND, self->cowdev.name, 0);
	if (ret) {
		TH_LOG("replacing %s with an error table: %s",
		       self->cowdev.disk, strerror(-ret));
		return -1;
	}

	kmsg_mark(self->kmsg);
	fails = dev_write_pattern(self->dir, self->orig.major, self->orig.minor,
				  ORIGIN_SIZE, NEW_SEED, &err);
	if (fails)
		TH_LOG("origin writes must survive the snapshot: %d failures on %s, first: %s",
		       fails, self->orig.disk,
		       strerror(fails < 0 ? -fails : err));
	EXPECT_EQ(0, fails);
	expect_status(_metadata, self->ctl, &self->snap, "Invalid");
	if (self->checks & CHECK_RECORDED)
		expect_reason(_metadata, self->ctl, &self->snap, "io_error");

	/* More origin I/O must not log the header failure again */
	fails = dev_write_pattern(self->dir, self->orig.major, self->orig.minor,
				  ORIGIN_SIZE, NEW_SEED, &err);
	EXPECT_EQ(0, fails);
	expect_status(_metadata, self->ctl, &self->snap, "Invalid");

	log = expect_kmsg_read(_metadata, self->kmsg);
	if (log && (self->checks & CHECK_MESSAGES))
		expect_log(_metadata, log, &self->snap,
			   "Invalidating snapshot: Error reading/writing.");
	if (log && (self->checks & CHECK_RECORDED)) {
		n = log_count(log, unrecorded);
		if (n != 1) {
			TH_LOG("expected exactly one \"%s\" line, got %d",
			       unrecorded, n);
			log_dump(_metadata, log);
		}
		EXPECT_EQ(1, n);
		if (n >= 1 && !log_line_has_devt(log, unrecorded,
						 self->cowdev.major,
						 self->cowdev.minor))
			TH_LOG("the \"%s\" line does not name COW device %u:%u",
			       unrecorded, self->cowdev.major,
			       self->cowdev.minor);
		EXPECT_TRUE(n < 1 || log_line_has_devt(log, unrecorded,
						       self->cowdev.major,
						       self->cowdev.minor));
	}
	free(log);
	expect_origin_content(_metadata, self);
	return 0;
}

/* What the target message and the load-time log line say for @code */
static void reason_strings(__u32 code, char *msg, size_t mlen, char *log,
			   size_t llen)
{
	static const char * const msgs[] = {
		"unrecorded", "cow_full", "io_error", "no_memory",
		"metadata_error",
	};
	static const char * const logs[] = {
		"no reason recorded", "COW device is full",
		"Error reading/writing", "Unable to allocate exception",
		"Error writing exception metadata",
	};

	if (code < ARRAY_SIZE(msgs)) {
		snprintf(msg, mlen, "%s", msgs[code]);
		snprintf(log, llen, "Snapshot is marked invalid: %s.",
			 logs[code]);
	} else {
		snprintf(msg, mlen, "unknown %u", code);
		snprintf(log, llen,
			 "Snapshot is marked invalid: unknown reason %u.", code);
	}
}

static int run_garbage_invalid(struct __test_metadata *_metadata,
			       struct snap_env *self)
{
	static const __u32 fixed[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 255, 256, 65535, 65536,
		0x7fffffffu, 0x80000000u, 0xffffffffu,
	};
	struct cow_hdr h = {
		.magic = SNAP_MAGIC,
		.valid = 0,
		.version = SNAP_VERSION,
		.chunk_size = CHUNK_SECTORS,
	};
	char want_msg[64], want_log[128];
	__u32 values[256], lcg = 0x5eed1234u;
	unsigned int i, n = 0, failed = 0;
	char *log;
	bool ok;
	int ret;

	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		values[n++] = fixed[i];
	for (i = 1; i <= 20; i++)
		values[n++] = (__u32)-i;
	for (i = 0; i < 32; i++)
		values[n++] = 1u << i;
	while (n < ARRAY_SIZE(values)) {
		lcg = lcg * 1103515245u + 12345u;
		values[n++] = lcg;
	}

	for (i = 0; i < n; i++) {
		h.reason = values[i];
		ret = hdr_write(self->dir, &self->cow, &h, false);
		if (ret) {
			TH_LOG("O_DIRECT write of the COW header: %s",
			       strerror(-ret));
			return -1;
		}
		reason_strings(values[i], want_msg, sizeof(want_msg),
			       want_log, sizeof(want_log));

		kmsg_mark(self->kmsg);
		if (setup_snap_dev(_metadata, self, "P", self->cow.major,
				   self->cow.minor)) {
			TH_LOG("loading a snapshot with invalid_reason %u",
			       values[i]);
			return -1;
		}
		log = expect_kmsg_read(_metadata, self->kmsg);
		ok = log && expect_log(_metadata, log, &self->snap, want_log);
		free(log);
		ok &= expect_status(_metadata, self->ctl, &self->snap,
				    "Invalid");
		ok &= expect_reason(_metadata, self->ctl, &self->snap,
				    want_msg);
		if (dm_teardown(_metadata, self->ctl, &self->snap))
			return -1;
		if (!ok) {
			TH_LOG("failed for invalid_reason %u (0x%x)", values[i],
			       values[i]);
			if (++failed >= MAX_REPORTED) {
				TH_LOG("giving up after %u failing values",
				       failed);
				break;
			}
		}
	}
	return 0;
}

static int run_garbage_valid(struct __test_metadata *_metadata,
			     struct snap_env *self)
{
	static const __u32 garbage[] = {
		1, 2, 3, 4, 5, 0x7fffffffu, 0x80000000u, 0xdeadbeefu,
		0xffffffffu,
	};
	struct cow_hdr h;
	unsigned int i;
	char *log;
	int ret, n;

	/* Let the kernel initialise the zeroed COW: header and area 0 */
	if (setup_snap_dev(_metadata, self, "P", self->cow.major,
			   self->cow.minor) ||
	    dm_teardown(_metadata, self->ctl, &self->snap))
		return -1;
	if (!expect_header(_metadata, self->dir, &self->cow, 1, 0, false))
		return -1;

	for (i = 0; i < ARRAY_SIZE(garbage); i++) {
		ret = hdr_read(self->dir, &self->cow, &h);
		if (!ret) {
			h.reason = garbage[i];
			ret = hdr_write(self->dir, &self->cow, &h, true);
		}
		if (ret) {
			TH_LOG("O_DIRECT update of the COW header: %s",
			       strerror(-ret));
			return -1;
		}

		kmsg_mark(self->kmsg);
		if (setup_snap_dev(_metadata, self, "P", self->cow.major,
				   self->cow.minor)) {
			TH_LOG("loading a valid snapshot with invalid_reason %u",
			       garbage[i]);
			return -1;
		}
		log = expect_kmsg_read(_metadata, self->kmsg);
		if (log) {
			n = log_count(log, "Snapshot is marked invalid");
			if (n) {
				TH_LOG("valid snapshot with garbage reason %u was reported invalid",
				       garbage[i]);
				log_dump(_metadata, log);
			}
			EXPECT_EQ(0, n);
		}
		free(log);
		expect_status(_metadata, self->ctl, &self->snap, NULL);
		expect_reason(_metadata, self->ctl, &self->snap, "none");
		if (dm_teardown(_metadata, self->ctl, &self->snap))
			return -1;
	}
	return 0;
}

/*
 * Test bodies use EXPECT_* only and return on fatal errors, so that the
 * teardown runs on every kernel, also where ASSERT_* would abort().
 */
TEST_F(dm_snap, cow_full_messages)
{
	self->env.checks = CHECK_MESSAGES;
	EXPECT_EQ(0, run_cow_full(_metadata, &self->env));
}

TEST_F(dm_snap, cow_full_recorded)
{
	self->env.checks = CHECK_RECORDED;
	EXPECT_EQ(0, run_cow_full(_metadata, &self->env));
}

TEST_F(dm_snap, overflow_po_messages)
{
	self->env.checks = CHECK_MESSAGES;
	EXPECT_EQ(0, run_overflow(_metadata, &self->env));
}

TEST_F(dm_snap, overflow_po_recorded)
{
	self->env.checks = CHECK_RECORDED;
	EXPECT_EQ(0, run_overflow(_metadata, &self->env));
}

TEST_F(dm_snap, io_error_messages)
{
	self->env.checks = CHECK_MESSAGES;
	EXPECT_EQ(0, run_io_error(_metadata, &self->env));
}

TEST_F(dm_snap, io_error_recorded)
{
	self->env.checks = CHECK_RECORDED;
	EXPECT_EQ(0, run_io_error(_metadata, &self->env));
}

TEST_F_TIMEOUT(dm_snap, garbage_reason_invalid, 180)
{
	EXPECT_EQ(0, run_garbage_invalid(_metadata, &self->env));
}

TEST_F(dm_snap, garbage_reason_valid)
{
	EXPECT_EQ(0, run_garbage_valid(_metadata, &self->env));
}

/* ---- prerequisites and main ---- */

static void skip(const char *why)
{
	ksft_print_header();
	ksft_exit_skip("%s\n", why);
}

static void check_targets(int ctl)
{
	static const char * const need[] = {
		"snapshot", "snapshot-origin", "linear", "error",
	};
	__u64 buf[DM_BUF_SIZE / sizeof(__u64)];
	struct dm_target_versions *v;
	struct dm_ioctl *dmi;
	bool found[ARRAY_SIZE(need)] = { false };
	char why[128];
	unsigned int i;

	/* Asking for one target by name loads its module */
	for (i = 0; i < ARRAY_SIZE(need); i++)
		dm_cmd(ctl, DM_GET_TARGET_VERSION, need[i], 0);

	dmi = dm_init(buf, NULL, 0);
	if (ioctl(ctl, DM_LIST_VERSIONS, dmi) ||
	    (dmi->flags & DM_BUFFER_FULL_FLAG))
		skip("DM_LIST_VERSIONS failed");
	v = (void *)dmi + dmi->data_start;
	for (;;) {
		for (i = 0; i < ARRAY_SIZE(need); i++)
			if (!strcmp(v->name, need[i]))
				found[i] = true;
		if (!v->next)
			break;
		v = (void *)v + v->next;
	}
	for (i = 0; i < ARRAY_SIZE(need); i++) {
		if (!found[i]) {
			snprintf(why, sizeof(why),
				 "device-mapper target \"%s\" not available",
				 need[i]);
			skip(why);
		}
	}
}

static void check_prerequisites(void)
{
	int ctl, fd;

	if (geteuid())
		skip("must be run as root");
	fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		skip("no /dev/loop-control (CONFIG_BLK_DEV_LOOP)");
	close(fd);
	ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		skip("no /dev/mapper/control (CONFIG_BLK_DEV_DM)");
	if (dm_cmd(ctl, DM_VERSION, NULL, 0))
		skip("DM_VERSION failed on /dev/mapper/control");
	check_targets(ctl);
	close(ctl);
}

/* Safety net for a test killed by its timeout: runs in the main process */
static void remove_leftovers(void)
{
	int ctl;

	if (getpid() != main_pid)
		return;
	ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return;
	dm_remove_stale(ctl);
	close(ctl);
}

int main(int argc, char **argv)
{
	/* The harness exits 0 when every test skips: skip the binary here */
	check_prerequisites();

	main_pid = getpid();
	snprintf(name_prefix, sizeof(name_prefix), "kst-snap-%d", main_pid);
	atexit(remove_leftovers);
	return test_harness_run(argc, argv);
}
