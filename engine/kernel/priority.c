/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "kernel/priority.h"

/* From linux/ioprio.h, which older distributions do not ship. */
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_CLASS_BE 2
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_WHO_PROCESS 1

/* On Linux nice, the scheduling policy and the I/O priority belong to a
 * thread: with 0 (or the thread's id) each call changes the calling thread
 * alone, and threads it starts later inherit it. */
int priority_lower(void) {
        struct sched_param param = { .sched_priority = 0 };
        int r = 0;

        if (setpriority(PRIO_PROCESS, 0, 19) < 0)
                r = log_warning_errno(errno, "Failed to set nice level 19, ignoring: %m");

        if (sched_setscheduler(0, SCHED_IDLE, &param) < 0) {
                int k = log_warning_errno(errno, "Failed to set SCHED_IDLE, ignoring: %m");
                r = r ?: k;
        }

        if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT) < 0) {
                int k = log_warning_errno(errno, "Failed to set the idle I/O class, ignoring: %m");
                r = r ?: k;
        }

        return r;
}

int priority_restore_thread(pid_t tid) {
        struct sched_param param = { .sched_priority = 0 };
        char path[64];

        /* Only a thread of ours: a tid of another process is never touched. */
        snprintf(path, sizeof(path), "/proc/self/task/%d", (int) tid);
        if (tid <= 0 || access(path, F_OK) < 0)
                return 0;
        if (sched_setscheduler(tid, SCHED_OTHER, &param) < 0)
                return -errno;
        if (setpriority(PRIO_PROCESS, (id_t) tid, 0) < 0)
                return -errno;
        if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, tid, (IOPRIO_CLASS_BE << IOPRIO_CLASS_SHIFT) | 4) <
            0)
                return -errno;
        return 0;
}
