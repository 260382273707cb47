/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of test_blkio_v1 and blkio_reset_bench: cgroup files, loop
 * devices of the program's own, and a v1 blkio hierarchy mounted and
 * unmounted so that it does not keep the io controller from cgroup v2.
 *
 * Both programs use every helper here, which -Wunused-function (-Wall)
 * checks: a helper that only one of them needs stays in that program.
 */
#ifndef BLKIO_V1_UTIL_H
#define BLKIO_V1_UTIL_H

/*
 * For memfd_create().  The programs define it before their first #include;
 * this is for 5.10's Makefile, whose link rule compiles the header alone.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define LOOP_BYTES	(8 << 20)
/* Where to look for a free loop device number of our own */
#define LOOP_FIRST	64
/* Far above anything the programs do: activates throttling, never delays */
#define HUGE_BPS	"1099511627776"
/* Bound on waiting for a dying hierarchy to let go of the io controller */
#define WAIT_MS		20000

static int write_file(const char *dir, const char *name, const char *val)
{
	char path[PATH_MAX];
	ssize_t len = strlen(val), ret;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, len);
	if (ret < 0)
		ret = -errno;
	close(fd);
	return ret == len ? 0 : (ret < 0 ? ret : -EIO);
}

static ssize_t read_file(const char *dir, const char *name, char *buf,
			 size_t size)
{
	char path[PATH_MAX];
	ssize_t n, got = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < (ssize_t)size - 1) {
		n = read(fd, buf + got, size - 1 - got);
		if (n < 0) {
			got = -errno;
			break;
		}
		if (!n)
			break;
		got += n;
	}
	close(fd);
	if (got >= 0)
		buf[got] = '\0';
	return got;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * Close and delete the loop device.  Only its deletion frees the loop
 * driver's per-cgroup workers, each of which holds the cgroup that issued
 * I/O (for a minute after its last I/O otherwise), and a cgroup that is
 * held keeps the whole v1 hierarchy, and the io controller with it.
 */
static void loop_del(int fd, int idx)
{
	int ctl, waited;

	close(fd);
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return;
	/* The detach at the last close may still be under way: EBUSY */
	for (waited = 0; waited < WAIT_MS; waited += 20) {
		if (ioctl(ctl, LOOP_CTL_REMOVE, idx) >= 0 || errno != EBUSY)
			break;
		sleep_ms(20);
	}
	close(ctl);
}

/*
 * A loop device of our own over a zeroed memfd, detached at its last
 * close.  LOOP_CTL_ADD of a number nobody uses, not LOOP_CTL_GET_FREE,
 * which may hand out someone else's idle device, which loop_del() would
 * then delete.
 */
static int loop_new(int *idx, unsigned int *maj, unsigned int *min)
{
	struct loop_config cfg = { .info.lo_flags = LO_FLAGS_AUTOCLEAR };
	int mfd, ctl, fd = -1, n = -1, i;
	char path[32];
	struct stat st;

	mfd = memfd_create("blkio-v1-test", MFD_CLOEXEC);
	if (mfd < 0)
		return -1;
	ctl = ftruncate(mfd, LOOP_BYTES) ? -1 :
	      open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	for (i = LOOP_FIRST; ctl >= 0 && i < LOOP_FIRST + 1024; i++) {
		n = ioctl(ctl, LOOP_CTL_ADD, i);
		if (n >= 0 || errno != EEXIST)
			break;
	}
	if (n >= 0) {
		snprintf(path, sizeof(path), "/dev/loop%d", n);
		fd = open(path, O_RDWR | O_CLOEXEC);
		cfg.fd = mfd;
		if (fd >= 0 && ioctl(fd, LOOP_CONFIGURE, &cfg)) {
			close(fd);
			fd = -1;
		}
		if (fd < 0)
			ioctl(ctl, LOOP_CTL_REMOVE, n);
	}
	if (ctl >= 0)
		close(ctl);
	close(mfd);
	if (fd >= 0 && fstat(fd, &st)) {
		loop_del(fd, n);
		fd = -1;
	}
	if (fd < 0)
		return -1;
	*idx = n;
	*maj = major(st.st_rdev);
	*min = minor(st.st_rdev);
	return fd;
}

/*
 * Mount a v1 blkio hierarchy on @dir.  While a hierarchy that had the io
 * controller is still dying, the kernel answers EBUSY: retry, bounded.
 */
static int mount_v1(const char *dir)
{
	int waited;

	for (waited = 0; waited < WAIT_MS; waited += 20) {
		if (!mount("blkio", dir, "cgroup", 0, "blkio"))
			return 0;
		if (errno != EBUSY)
			return -errno;
		sleep_ms(20);
	}
	return -EBUSY;
}

/*
 * blkio's row of /proc/cgroups: its hierarchy id (0: cgroup v2) and the
 * number of cgroups in that hierarchy.  0, or -1 if there is no such row.
 */
static int blkio_row(int *hier, int *num)
{
	char line[256], name[64];
	int h, n, enabled, ret = -1;
	FILE *f = fopen("/proc/cgroups", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %d %d %d", name, &h, &n,
			   &enabled) == 4 && !strcmp(name, "blkio")) {
			*hier = h;
			*num = n;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* The cgroups of the v1 hierarchy holding blkio (/proc/cgroups), or -1 */
static int v1_blkio_cgroups(void)
{
	int hier, num;

	if (blkio_row(&hier, &num) || !hier)
		return -1;
	return num;
}

/* Wait, up to @ms, until the v1 blkio hierarchy has no more than @base */
static int wait_v1_cgroups(int base, int ms)
{
	int waited;

	for (waited = 0; waited < ms; waited += 20) {
		if (v1_blkio_cgroups() <= base)
			return 0;
		sleep_ms(20);
	}
	return -EBUSY;
}

/*
 * Unmount a v1 blkio hierarchy once it has no more cgroups than @base,
 * the count it had when mounted (1 unless the host uses it).  A removed
 * cgroup stays until its last reference (its blkgs) goes, and a hierarchy
 * unmounted while one is left is not destroyed (cgroup_kill_sb()): it
 * would keep the io controller from cgroup v2.
 */
static int umount_v1(const char *dir, int base)
{
	int ret = wait_v1_cgroups(base, WAIT_MS);

	if (umount(dir))
		return -errno;
	return ret;
}

#endif /* BLKIO_V1_UTIL_H */
