/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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

/* struct sched_attr as of Linux 4.x (glibc before 2.41 has neither it nor
 * a wrapper); the kernel accepts this size. */
struct priority_sched_attr {
        uint32_t size;
        uint32_t sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime;
        uint64_t sched_deadline;
        uint64_t sched_period;
};

/* The loop's work for one call is tens to hundreds of microseconds; the
 * kernel accepts 0.1 to 100 ms. */
#define PRIORITY_LOOP_SLICE_NSEC (300 * 1000ULL)

int priority_short_slice(void) {
        struct priority_sched_attr attr;

        memset(&attr, 0, sizeof(attr));
        if (syscall(SYS_sched_getattr, 0, &attr, (unsigned) sizeof(attr), 0U) < 0)
                return errno == ENOSYS ? -EOPNOTSUPP : -errno;
        if (attr.sched_policy != SCHED_OTHER)
                return -EOPNOTSUPP;

        attr.size = sizeof(attr);
        attr.sched_flags = 0;
        attr.sched_runtime = PRIORITY_LOOP_SLICE_NSEC;
        if (syscall(SYS_sched_setattr, 0, &attr, 0U) < 0)
                return errno == ENOSYS || errno == EINVAL ? -EOPNOTSUPP : -errno;

        /* Kernels before custom slices accept the call and ignore the field:
         * read it back to say which. */
        memset(&attr, 0, sizeof(attr));
        if (syscall(SYS_sched_getattr, 0, &attr, (unsigned) sizeof(attr), 0U) < 0)
                return -errno;
        return attr.sched_runtime == PRIORITY_LOOP_SLICE_NSEC ? 0 : -EOPNOTSUPP;
}
