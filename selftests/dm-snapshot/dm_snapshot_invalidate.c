// SPDX-License-Identifier: GPL-2.0
/*
 * dm-snapshot invalidation reporting.
 *
 * When a snapshot is invalidated, the kernel log must name the snapshot
 * device and the cause, the "invalid_reason" target message must return
 * the cause, and the persistent COW header must record it, so that it is
 * still known after the snapshot table is loaded again. Garbage in the
 * header field must be reported as such and must not disturb a valid
 * snapshot.
 *
 * Each scenario runs as separate cases, one per change of the series:
 * "_messages" checks the log lines, "_reason" the target message of the
 * live snapshot, "_recorded" the header field, the message after a reload
 * and the load-time log line. A kernel without one of the changes fails
 * exactly that change's cases.
 *
 * The origin and the COW device are loop devices backed by memfds; the
 * rest is raw device-mapper ioctls, without udev.
 */

#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/dm-ioctl.h>
#include <linux/loop.h>
#include <linux/types.h>

#include "kselftest_harness.h"

#define SECTOR		512u
#define ORIGIN_SIZE	(4u << 20)
#define COW_SIZE	(256u << 10)
#define CHUNK_SECTORS	8u
#define CHUNK_BYTES	(CHUNK_SECTORS * SECTOR)
#define IO_SIZE		(64u << 10)
#define SEED		0xfedcba9876543210ULL

/* Persistent COW header: chunk 0, little-endian __le32 words */
#define SNAP_MAGIC	0x70416e53u
enum { H_MAGIC, H_VALID, H_VERSION, H_CHUNK_SIZE, H_REASON, H_WORDS };

#define DM_BUF_SIZE	(16u << 10)
#define KMSG_REC_SIZE	8192

/* What a case checks: one bit per patch of the series */
#define MESSAGES	1	/* log lines name the device and the cause */
#define REASON		2	/* "invalid_reason" on the live snapshot */
#define RECORDED	4	/* header field, reload, load-time log line */

static char prefix[64];

struct dmdev {
	char name[DM_NAME_LEN];
	unsigned int major, minor;
	bool created;
};

struct target {
	__u64 start, len;
	const char *type;
	char params[96];
};

/* ---- block I/O ---- */

static int open_devt(unsigned int maj, unsigned int min, int flags)
{
	char link[64], target[256], path[300];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", maj, min);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	snprintf(path, sizeof(path), "/dev/%s", strrchr(target, '/') + 1);
	return open(path, flags | O_CLOEXEC);
}

static void pattern(__u64 *buf, size_t len, __u64 off, __u64 seed)
{
	size_t i;

	for (i = 0; i < len / 8; i++)
		buf[i] = (off + i * 8) ^ seed;
}

/* O_DIRECT pattern write (or compare); returns the number of failed I/Os */
static int pattern_io(unsigned int maj, unsigned int min, size_t off,
		      size_t len, __u64 seed, bool write)
{
	void *buf, *want = malloc(IO_SIZE);
	int fd, bad = 0;
	size_t pos;

	fd = open_devt(maj, min, (write ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (fd < 0 || !want || posix_memalign(&buf, 4096, IO_SIZE)) {
		free(want);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (pos = off; pos < off + len; pos += IO_SIZE) {
		pattern(write ? buf : want, IO_SIZE, pos, seed);
		if (write)
			bad += pwrite(fd, buf, IO_SIZE, pos) != IO_SIZE;
		else
			bad += pread(fd, buf, IO_SIZE, pos) != IO_SIZE ||
			       memcmp(buf, want, IO_SIZE);
	}
	if (write)
		bad += !!fsync(fd);
	close(fd);
	free(buf);
	free(want);
	return bad;
}

/* Read, and with @set also rewrite, the header words of COW chunk 0 */
static int cow_header(unsigned int maj, unsigned int min, __u32 *w,
		      const __u32 *set)
{
	__le32 *chunk;
	int fd, i, ret = -1;

	fd = open_devt(maj, min, O_RDWR | O_DIRECT);
	if (fd < 0 || posix_memalign((void **)&chunk, 4096, CHUNK_BYTES)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (pread(fd, chunk, CHUNK_BYTES, 0) != CHUNK_BYTES)
		goto out;
	for (i = 0; i < H_WORDS; i++) {
		if (set)
			chunk[i] = htole32(set[i]);
		w[i] = le32toh(chunk[i]);
	}
	if (set && (pwrite(fd, chunk, CHUNK_BYTES, 0) != CHUNK_BYTES ||
		    fsync(fd)))
		goto out;
	ret = 0;
out:
	close(fd);
	free(chunk);
	return ret;
}

/* A loop device over a zeroed memfd of @size bytes, gone at its last close */
static int loop_new(size_t size, unsigned int *maj, unsigned int *min)
{
	struct loop_config cfg = { .info.lo_flags = LO_FLAGS_AUTOCLEAR };
	int mfd, ctl, fd = -1, n, tries;
	char path[32];
	struct stat st;

	mfd = memfd_create("dm-snap-test", MFD_CLOEXEC);
	if (mfd < 0)
		return -1;
	ctl = ftruncate(mfd, size) ? -1 :
	      open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	/* Someone else may take the free device first: retry */
	for (tries = 0; ctl >= 0 && fd < 0 && tries < 8; tries++) {
		n = ioctl(ctl, LOOP_CTL_GET_FREE);
		snprintf(path, sizeof(path), "/dev/loop%d", n);
		fd = n < 0 ? -1 : open(path, O_RDWR | O_CLOEXEC);
		cfg.fd = mfd;
		if (fd >= 0 && ioctl(fd, LOOP_CONFIGURE, &cfg)) {
			close(fd);
			fd = -1;
		}
	}
	if (ctl >= 0)
		close(ctl);
	close(mfd);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*maj = major(st.st_rdev);
	*min = minor(st.st_rdev);
	return fd;
}

/* ---- device-mapper ioctls ---- */

static struct dm_ioctl *dm_init(__u64 *buf, const char *name)
{
	struct dm_ioctl *io = (struct dm_ioctl *)buf;

	memset(buf, 0, DM_BUF_SIZE);
	io->version[0] = DM_VERSION_MAJOR;
	io->data_size = DM_BUF_SIZE;
	io->data_start = sizeof(*io);
	if (name)
		snprintf(io->name, sizeof(io->name), "%s", name);
	return io;
}

static int dm_cmd(int ctl, unsigned long cmd, const char *name)
{
	__u64 buf[DM_BUF_SIZE / 8];

	return ioctl(ctl, cmd, dm_init(buf, name)) ? -errno : 0;
}

static int dm_remove(int ctl, const char *name)
{
	struct timespec ms10 = { 0, 10 * 1000 * 1000 };
	int i, ret;

	/* Nothing signals that an opener went away: poll, bounded (5 s) */
	for (i = 0; i < 500; i++) {
		ret = dm_cmd(ctl, DM_DEV_REMOVE, name);
		if (ret != -EBUSY)
			break;
		nanosleep(&ms10, NULL);
	}
	return ret == -ENXIO ? 0 : ret;
}

/* Load @n targets into @d's inactive table and resume it */
static int dm_load(int ctl, struct dmdev *d, const struct target *t, int n)
{
	__u64 buf[DM_BUF_SIZE / 8];
	struct dm_ioctl *io = dm_init(buf, d->name);
	struct dm_target_spec *spec;
	size_t off = io->data_start;
	int i;

	io->target_count = n;
	for (i = 0; i < n; i++) {
		spec = (void *)io + off;
		spec->sector_start = t[i].start;
		spec->length = t[i].len;
		snprintf(spec->target_type, sizeof(spec->target_type), "%s",
			 t[i].type);
		strcpy((char *)(spec + 1), t[i].params);
		spec->next = (sizeof(*spec) + strlen(t[i].params) + 8) & ~7;
		off += spec->next;
	}
	if (ioctl(ctl, DM_TABLE_LOAD, io))
		return -errno;
	return dm_cmd(ctl, DM_DEV_SUSPEND, d->name);	/* no flag: resume */
}

static int dm_create(int ctl, struct dmdev *d, const struct target *t, int n)
{
	__u64 buf[DM_BUF_SIZE / 8];
	struct dm_ioctl *io = dm_init(buf, d->name);

	if (ioctl(ctl, DM_DEV_CREATE, io))
		return -errno;
	d->created = true;
	d->major = major(io->dev);
	d->minor = minor(io->dev);
	return dm_load(ctl, d, t, n);
}

/* DM_TABLE_STATUS or DM_TARGET_MSG: the first answer, as a string */
static int dm_query(int ctl, const char *name, const char *msg, char *out,
		    size_t len)
{
	__u64 buf[DM_BUF_SIZE / 8];
	struct dm_ioctl *io = dm_init(buf, name);
	char *data = (char *)io + io->data_start;

	out[0] = '\0';
	if (msg)
		strcpy(((struct dm_target_msg *)data)->message, msg);
	if (ioctl(ctl, msg ? DM_TARGET_MSG : DM_TABLE_STATUS, io))
		return -errno;
	if (msg && !(io->flags & DM_DATA_OUT_FLAG))
		return -ENODATA;
	if (!msg)
		data += sizeof(struct dm_target_spec);
	snprintf(out, len, "%s", data);
	return 0;
}

/* ---- kernel log ---- */

/* Records logged since the last call, one per line */
static char *kmsg_read(int fd)
{
	char rec[KMSG_REC_SIZE], *log = NULL, *msg;
	size_t len = 0;
	ssize_t n;

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
		msg[strcspn(msg, "\n")] = '\0';
		log = realloc(log, len + strlen(msg) + 1);
		if (!log)
			return NULL;
		memcpy(log + len, msg + 1, strlen(msg));	/* ';' -> '\n' */
		len += strlen(msg);
		log[len - 1] = '\n';
		log[len] = '\0';
	}
	return log ? log : strdup("");
}

static int count_lines(const char *log, const char *needle)
{
	const char *p = log;
	int n = 0;

	while ((p = strstr(p, needle))) {
		n++;
		p = strchrnul(p, '\n');
	}
	return n;
}

/* ---- fixture ---- */

struct snap_env {
	int ctl, kmsg;
	int origin_fd, cow_fd;		/* loop devices, autoclear */
	unsigned int origin_maj, origin_min, cow_maj, cow_min;
	struct dmdev snap, orig, cowdev;
	char *log;			/* kernel log since the last mark */
};

FIXTURE(dm_snap) {
	struct snap_env env;
};

/* Remove our devices, users first; also what an aborted case left */
static void remove_all(int ctl)
{
	static const char * const what[] = { "snap", "origin", "cow" };
	char name[DM_NAME_LEN];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(what); i++) {
		snprintf(name, sizeof(name), "%s-%s", prefix, what[i]);
		dm_remove(ctl, name);
	}
}

FIXTURE_SETUP(dm_snap)
{
	struct snap_env *env = &self->env;

	env->kmsg = -1;
	env->origin_fd = -1;
	env->cow_fd = -1;
	env->ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, env->ctl);
	env->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, env->kmsg);
	/*
	 * A failed ASSERT_* skips the teardown on older kselftest harnesses:
	 * clean up after such a case here, and at exit.
	 */
	remove_all(env->ctl);
	snprintf(env->snap.name, DM_NAME_LEN, "%s-snap", prefix);
	snprintf(env->orig.name, DM_NAME_LEN, "%s-origin", prefix);
	snprintf(env->cowdev.name, DM_NAME_LEN, "%s-cow", prefix);
	env->origin_fd = loop_new(ORIGIN_SIZE, &env->origin_maj, &env->origin_min);
	ASSERT_LE(0, env->origin_fd);
	env->cow_fd = loop_new(COW_SIZE, &env->cow_maj, &env->cow_min);
	ASSERT_LE(0, env->cow_fd);
}

FIXTURE_TEARDOWN(dm_snap)
{
	struct snap_env *env = &self->env;

	if (env->ctl >= 0)
		remove_all(env->ctl);
	if (env->origin_fd >= 0)
		close(env->origin_fd);
	if (env->cow_fd >= 0)
		close(env->cow_fd);
	if (env->kmsg >= 0)
		close(env->kmsg);
	if (env->ctl >= 0)
		close(env->ctl);
	free(env->log);
}

#define SNAP_SECTORS	(ORIGIN_SIZE / SECTOR)
#define COW_SECTORS	(COW_SIZE / SECTOR)

static void kmsg_mark(struct snap_env *env)
{
	lseek(env->kmsg, 0, SEEK_END);
}

static const char *kmsg_since_mark(struct snap_env *env)
{
	free(env->log);
	env->log = kmsg_read(env->kmsg);
	return env->log ? env->log : "";
}

/* Load a snapshot of the origin loop on COW device @cmaj:@cmin */
static int load_snap(struct snap_env *env, const char *store,
		     unsigned int cmaj, unsigned int cmin)
{
	struct target t = { .len = SNAP_SECTORS, .type = "snapshot" };

	snprintf(t.params, sizeof(t.params), "%u:%u %u:%u %s %u",
		 env->origin_maj, env->origin_min, cmaj, cmin, store,
		 CHUNK_SECTORS);
	return dm_create(env->ctl, &env->snap, &t, 1);
}

/*
 * Load the origin after its snapshots, as lvm2 does: it splits writes at
 * the snapshots' chunk size, which it reads when it is resumed.
 */
static int load_origin(struct snap_env *env)
{
	struct target t = { .len = SNAP_SECTORS, .type = "snapshot-origin" };

	snprintf(t.params, sizeof(t.params), "%u:%u", env->origin_maj,
		 env->origin_min);
	return dm_create(env->ctl, &env->orig, &t, 1);
}

/* A dm device over the COW loop: linear, with [@err, @err + @nerr) erroring */
static int load_cowdev(struct snap_env *env, __u64 err,
		       __u64 nerr)
{
	struct target t[3] = {
		{ .len = err, .type = "linear" },
		{ .start = err, .len = nerr, .type = "error" },
		{ .start = err + nerr, .len = COW_SECTORS - err - nerr,
		  .type = "linear" },
	};

	snprintf(t[0].params, sizeof(t[0].params), "%u:%u 0", env->cow_maj,
		 env->cow_min);
	snprintf(t[2].params, sizeof(t[2].params), "%u:%u %llu",
		 env->cow_maj, env->cow_min, (unsigned long long)err + nerr);
	if (!nerr)
		return dm_create(env->ctl, &env->cowdev, t, 1);
	return dm_create(env->ctl, &env->cowdev, t, 3);
}

/* The log has a line "<dm-N> (<major>:<minor>): @what" for @d */
#define EXPECT_LOGGED(d, what) do {					\
	const struct dmdev *_d = (d);					\
	char _want[256];						\
									\
	snprintf(_want, sizeof(_want), "snapshots: dm-%u (%u:%u): %s",	\
		 _d->minor, _d->major, _d->minor, what);		\
	if (!count_lines(env->log, _want))				\
		TH_LOG("no kernel log line \"%s\" in:\n%s", _want,	\
		       env->log);					\
	EXPECT_LT(0, count_lines(env->log, _want));			\
} while (0)

#define EXPECT_STATUS(want) do {					\
	char _st[256];							\
									\
	ASSERT_EQ(0, dm_query(env->ctl, env->snap.name, NULL, _st,	\
			      sizeof(_st)));				\
	EXPECT_STREQ(want, _st);					\
} while (0)

#define EXPECT_REASON(want) do {					\
	char _out[256];							\
	int _ret = dm_query(env->ctl, env->snap.name,			\
			    "invalid_reason", _out, sizeof(_out));	\
									\
	if (_ret)							\
		TH_LOG("message invalid_reason: %s", strerror(-_ret));	\
	EXPECT_STREQ(want, _out);					\
} while (0)

/* Header of the COW loop: valid, version, chunk size, and the reason */
#define EXPECT_HEADER(valid, reason) do {				\
	__u32 _w[H_WORDS];						\
									\
	ASSERT_EQ(0, cow_header(env->cow_maj, env->cow_min, _w, NULL)); \
	EXPECT_EQ(SNAP_MAGIC, _w[H_MAGIC]);				\
	EXPECT_EQ((__u32)(valid), _w[H_VALID]);					\
	EXPECT_EQ(1u, _w[H_VERSION]);					\
	EXPECT_EQ(CHUNK_SECTORS, _w[H_CHUNK_SIZE]);			\
	long long _r = (reason);					\
									\
	if (_r >= 0)							\
		EXPECT_EQ((__u32)_r, _w[H_REASON]);			\
} while (0)

/* Remove the snapshot and load it again: the reason comes from disk */
static void reload(struct __test_metadata *_metadata,
		   struct snap_env *env, unsigned int cmaj,
		   unsigned int cmin)
{
	ASSERT_EQ(0, dm_remove(env->ctl, env->snap.name));
	kmsg_mark(env);
	ASSERT_EQ(0, load_snap(env, "P", cmaj, cmin));
	kmsg_since_mark(env);
}

/* 4 MiB of origin writes cannot fit a 256 KiB COW device */
static void cow_full(struct __test_metadata *_metadata,
		     struct snap_env *env, int checks)
{
	ASSERT_EQ(0, load_snap(env, "P", env->cow_maj, env->cow_min));
	ASSERT_EQ(0, load_origin(env));
	if (checks & REASON)
		EXPECT_REASON("none");
	kmsg_mark(env);
	EXPECT_EQ(0, pattern_io(env->orig.major, env->orig.minor, 0,
				ORIGIN_SIZE, SEED, true));
	kmsg_since_mark(env);
	EXPECT_STATUS("Invalid");
	if (checks & MESSAGES)
		EXPECT_LOGGED(&env->snap,
			      "Invalidating snapshot: COW device is full.");
	if (checks & REASON)
		EXPECT_REASON("cow_full");
	if (checks & RECORDED) {
		EXPECT_HEADER(0, 1);
		reload(_metadata, env, env->cow_maj, env->cow_min);
		EXPECT_LOGGED(&env->snap,
			      "Snapshot is marked invalid: COW device is full.");
		EXPECT_STATUS("Invalid");
		EXPECT_REASON("cow_full");
	}
	EXPECT_EQ(0, pattern_io(env->orig.major, env->orig.minor, 0,
				ORIGIN_SIZE, SEED, false));
}

TEST_F(dm_snap, cow_full_messages)
{
	cow_full(_metadata, &self->env, MESSAGES);
}

TEST_F(dm_snap, cow_full_reason)
{
	cow_full(_metadata, &self->env, REASON);
}

TEST_F(dm_snap, cow_full_recorded)
{
	cow_full(_metadata, &self->env, RECORDED);
}

/* "PO": a snapshot write that does not fit only overflows */
static void overflow(struct __test_metadata *_metadata,
		     struct snap_env *env, int checks)
{
	ASSERT_EQ(0, load_snap(env, "PO", env->cow_maj, env->cow_min));
	kmsg_mark(env);
	EXPECT_LT(0, pattern_io(env->snap.major, env->snap.minor, 0,
				ORIGIN_SIZE, SEED, true));
	kmsg_since_mark(env);
	EXPECT_STATUS("Overflow");
	if (checks & MESSAGES)
		EXPECT_LOGGED(&env->snap,
			      "Snapshot overflowed: COW device is full.");
	if (checks & REASON)
		EXPECT_REASON("none");
	EXPECT_HEADER(1, -1);
}

TEST_F(dm_snap, overflow_po_messages)
{
	overflow(_metadata, &self->env, MESSAGES);
}

TEST_F(dm_snap, overflow_po_reason)
{
	overflow(_metadata, &self->env, REASON);
}

/* The COW device fails as a whole under an active snapshot */
static void io_error(struct __test_metadata *_metadata,
		     struct snap_env *env, int checks)
{
	const char *unrecorded = "Unable to record invalidation in COW header";
	struct target err = { .len = COW_SECTORS, .type = "error" };
	char cow[96];

	ASSERT_EQ(0, load_cowdev(env, COW_SECTORS, 0));
	ASSERT_EQ(0, load_snap(env, "P", env->cowdev.major,
			       env->cowdev.minor));
	ASSERT_EQ(0, load_origin(env));
	ASSERT_EQ(0, dm_load(env->ctl, &env->cowdev, &err, 1));
	kmsg_mark(env);
	/* Twice: more origin I/O must not log the header failure again */
	EXPECT_EQ(0, pattern_io(env->orig.major, env->orig.minor, 0,
				ORIGIN_SIZE, SEED, true));
	EXPECT_EQ(0, pattern_io(env->orig.major, env->orig.minor, 0,
				ORIGIN_SIZE, SEED, true));
	kmsg_since_mark(env);
	EXPECT_STATUS("Invalid");
	if (checks & MESSAGES)
		EXPECT_LOGGED(&env->snap,
			      "Invalidating snapshot: Error reading/writing.");
	if (checks & REASON)
		EXPECT_REASON("io_error");
	if (checks & RECORDED) {
		snprintf(cow, sizeof(cow), "%u:%u: %s", env->cowdev.major,
			 env->cowdev.minor, unrecorded);
		EXPECT_EQ(1, count_lines(env->log, unrecorded));
		EXPECT_EQ(1, count_lines(env->log, cow));
	}
	EXPECT_EQ(0, pattern_io(env->orig.major, env->orig.minor, 0,
				ORIGIN_SIZE, SEED, false));
}

TEST_F(dm_snap, io_error_messages)
{
	io_error(_metadata, &self->env, MESSAGES);
}

TEST_F(dm_snap, io_error_reason)
{
	io_error(_metadata, &self->env, REASON);
}

TEST_F(dm_snap, io_error_recorded)
{
	io_error(_metadata, &self->env, RECORDED);
}

/*
 * Only some chunk copies of one commit batch fail. One 64 KiB origin write
 * becomes 16 chunk copies in flight together, to COW chunks 2..17 (chunk 0
 * is the header, chunk 1 the first metadata area). COW chunks 4 and 5
 * error: the copies before them succeed, and their exceptions are called
 * back first when the batch fails. The cause is still the I/O error.
 */
static void partial(struct __test_metadata *_metadata,
		    struct snap_env *env, int checks)
{
	ASSERT_EQ(0, load_cowdev(env, 4 * CHUNK_SECTORS, 2 * CHUNK_SECTORS));
	ASSERT_EQ(0, load_snap(env, "P", env->cowdev.major,
			       env->cowdev.minor));
	ASSERT_EQ(0, load_origin(env));
	kmsg_mark(env);
	EXPECT_EQ(0, pattern_io(env->orig.major, env->orig.minor, 0,
				IO_SIZE, SEED, true));
	kmsg_since_mark(env);
	EXPECT_STATUS("Invalid");
	if (checks & MESSAGES) {
		EXPECT_LOGGED(&env->snap,
			      "Invalidating snapshot: Error reading/writing.");
		EXPECT_EQ(0, count_lines(env->log, "exception metadata"));
	}
	if (checks & REASON)
		EXPECT_REASON("io_error");
	if (checks & RECORDED) {
		EXPECT_HEADER(0, 2);
		reload(_metadata, env, env->cowdev.major, env->cowdev.minor);
		EXPECT_LOGGED(&env->snap,
			      "Snapshot is marked invalid: Error reading/writing.");
		EXPECT_REASON("io_error");
	}
}

TEST_F(dm_snap, partial_copy_error_messages)
{
	partial(_metadata, &self->env, MESSAGES);
}

TEST_F(dm_snap, partial_copy_error_reason)
{
	partial(_metadata, &self->env, REASON);
}

TEST_F(dm_snap, partial_copy_error_recorded)
{
	partial(_metadata, &self->env, RECORDED);
}

/*
 * Untrusted header field on an invalid snapshot: boundary values and a
 * seeded random sample. Each loads, is named or reported as "unknown <n>",
 * and is logged.
 */
TEST_F_TIMEOUT(dm_snap, garbage_reason_invalid, 60)
{
	static const char * const name[] = {
		"unrecorded", "cow_full", "io_error", "no_memory",
		"metadata_error", "handover_cancelled",
	};
	static const char * const text[] = {
		"no reason recorded", "COW device is full",
		"Error reading/writing", "Unable to allocate exception",
		"Error writing exception metadata",
		"Exception handover cancelled",
	};
	__u32 v[32] = {
		0, 1, 2, 3, 4, 5, 6, 7, 255, 256, 65535, 65536,
		0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	};
	__u32 hdr[H_WORDS] = { SNAP_MAGIC, 0, 1, CHUNK_SECTORS }, w[H_WORDS];
	char msg[64], line[128], want[192], st[256], out[256];
	unsigned int i, seed = time(NULL);
	struct snap_env *env = &self->env;
	bool bad;

	TH_LOG("random sample seed %u", seed);
	srandom(seed);
	for (i = 16; i < ARRAY_SIZE(v); i++)
		v[i] = (__u32)random() << 1 ^ (__u32)random();

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		hdr[H_REASON] = v[i];
		ASSERT_EQ(0, cow_header(env->cow_maj, env->cow_min, w, hdr));
		if (v[i] < ARRAY_SIZE(name)) {
			snprintf(msg, sizeof(msg), "%s", name[v[i]]);
			snprintf(line, sizeof(line),
				 "Snapshot is marked invalid: %s.", text[v[i]]);
		} else {
			snprintf(msg, sizeof(msg), "unknown %u", v[i]);
			snprintf(line, sizeof(line),
				 "Snapshot is marked invalid: unknown reason %u.",
				 v[i]);
		}
		kmsg_mark(env);
		ASSERT_EQ(0, load_snap(env, "P", env->cow_maj,
				       env->cow_min));
		kmsg_since_mark(env);
		snprintf(want, sizeof(want), "dm-%u (%u:%u): %s",
			 env->snap.minor, env->snap.major, env->snap.minor,
			 line);
		dm_query(env->ctl, env->snap.name, NULL, st, sizeof(st));
		dm_query(env->ctl, env->snap.name, "invalid_reason", out,
			 sizeof(out));
		bad = !count_lines(env->log, want) || strcmp(st, "Invalid") ||
		      strcmp(out, msg);
		if (bad)
			TH_LOG("field %#x: status \"%s\", message \"%s\"",
			       v[i], st, out);
		if (bad)
			TH_LOG("want \"%s\", log line \"%s\" (%s)", msg, want,
			       count_lines(env->log, want) ? "found" : "missing");
		EXPECT_EQ(0, bad);
		ASSERT_EQ(0, dm_remove(env->ctl, env->snap.name));
		if (bad)
			break;
	}
}

/* Garbage in the field of a valid snapshot: ignored, nothing logged */
TEST_F(dm_snap, garbage_reason_valid)
{
	static const __u32 garbage[] = { 1, 5, 6, 0x80000000, 0xffffffff };
	struct snap_env *env = &self->env;
	__u32 w[H_WORDS];
	unsigned int i;
	char st[256];

	/* Let the kernel initialise the zeroed COW device */
	ASSERT_EQ(0, load_snap(env, "P", env->cow_maj, env->cow_min));
	ASSERT_EQ(0, dm_remove(env->ctl, env->snap.name));
	for (i = 0; i < ARRAY_SIZE(garbage); i++) {
		ASSERT_EQ(0, cow_header(env->cow_maj, env->cow_min, w, NULL));
		ASSERT_EQ(1u, w[H_VALID]);
		w[H_REASON] = garbage[i];
		ASSERT_EQ(0, cow_header(env->cow_maj, env->cow_min, w, w));
		kmsg_mark(env);
		ASSERT_EQ(0, load_snap(env, "P", env->cow_maj,
				       env->cow_min));
		kmsg_since_mark(env);
		EXPECT_EQ(0, count_lines(env->log, "marked invalid"));
		ASSERT_EQ(0, dm_query(env->ctl, env->snap.name, NULL, st,
				      sizeof(st)));
		EXPECT_STRNE("Invalid", st);
		EXPECT_REASON("none");
		ASSERT_EQ(0, dm_remove(env->ctl, env->snap.name));
	}
}

/* ---- prerequisites and main ---- */

static pid_t main_pid;

/* After a case killed by its timeout: runs in the main process */
static void remove_leftovers(void)
{
	int ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);

	if (getpid() == main_pid && ctl >= 0)
		remove_all(ctl);
	if (ctl >= 0)
		close(ctl);
}

int main(int argc, char **argv)
{
	static const char * const need[] = {
		"snapshot", "snapshot-origin", "linear", "error",
	};
	__u64 buf[DM_BUF_SIZE / 8];
	unsigned int i;
	int ctl;

	/* The harness exits 0 when every case skips: skip the binary here */
	if (geteuid())
		ksft_exit_skip("must be run as root\n");
	if (access("/dev/loop-control", W_OK))
		ksft_exit_skip("no /dev/loop-control (CONFIG_BLK_DEV_LOOP)\n");
	ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		ksft_exit_skip("no /dev/mapper/control (CONFIG_BLK_DEV_DM)\n");
	/* Asking for a target by name also loads its module */
	for (i = 0; i < ARRAY_SIZE(need); i++)
		if (ioctl(ctl, DM_GET_TARGET_VERSION, dm_init(buf, need[i])))
			ksft_exit_skip("no device-mapper target \"%s\"\n",
				       need[i]);
	close(ctl);

	main_pid = getpid();
	snprintf(prefix, sizeof(prefix), "kst-snap-%d", main_pid);
	atexit(remove_leftovers);
	return test_harness_run(argc, argv);
}
