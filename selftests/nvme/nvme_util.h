/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the nvme selftests: an nvmet subsystem with one
 * namespace on a regular file, exported on a loop port through configfs;
 * host controllers connected to it through /dev/nvme-fabrics; child
 * processes with deadlines for everything that can block in the nvme code.
 */
#ifndef NVME_UTIL_H
#define NVME_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SYS_NVME	"/sys/class/nvme"

/* Time limits, in ms */
#define CONNECT_MS	20000
#define DELETE_MS	10000
#define GONE_MS		10000
#define GRACE_MS	2000	/* on top of a child's own limit */

/* Results of job_wait() that are not a child's exit code */
#define JOB_HUNG	-1	/* did not end in time, killed */
#define JOB_LOST	-2	/* could not be started or waited for */
#define JOB_SIGNALED	1000	/* + the signal that ended it */

/* A controller as sysfs shows it */
struct ctrl_info {
	int instance;
	bool ours;
	bool has_delete;
	char state[32];
};

/* What a connect child found; in shared memory */
struct conn_res {
	int stage;		/* 0, or the step that failed */
	int err;
	int instance;
	char reply[128];
};

/* Shared with the children */
struct nu_shared {
	char msg[256];		/* first error of a setup or cleanup child */
	struct conn_res conn;
	struct ctrl_info info;
};

extern struct nu_shared *nu;

long long now_ms(void);
void sleep_ms(unsigned int ms);
void *shm_alloc(size_t size);

pid_t job_start(int (*fn)(void *arg), void *arg);
int job_wait(pid_t pid, long long deadline);
int job_run(int (*fn)(void *arg), void *arg, int timeout_ms);
const char *job_str(int st);

bool ctrl_exists(int inst);
int find_ours(int *inst);
void ctrl_describe(int inst, struct ctrl_info *ci);
const char *ctrl_info_str(const struct ctrl_info *ci);
int ctrl_write(int inst, const char *buf, size_t len, bool *opened);

int job_connect(void *arg);
const char *conn_str(int st);
int job_gone(void *arg);

int read_str(const char *path, char *buf, size_t size);
const char *nu_subnqn(void);
const char *nu_hostnqn(void);
int nu_setup(void);
int nu_cleanup(void);
int kmsg_open(void);
int kmsg_splats(int fd);
void nu_init(void);

#endif
