/* SPDX-License-Identifier: MIT */
#pragma once

/* ReclaimProcess: one process's anonymous memory advised now, in a thread
 * of its own so the bus stays responsive while the kernel works. */

#include <pthread.h>
#include <stdint.h>

#include "idle/compress.h"
#include "idle/idle.h"
#include "idle/policy.h"
#include "kernel/proc-scan.h"
#include "kernel/reclaim.h"

typedef struct ReclaimProcessJob {
        ProcTarget target; /* pidfd held from the check to the end */
        PolicyAction action;
        const Reclaim *reclaim;
        /* The pool's devices: a pageout stops where the pool's budget has
         * no room left for the next piece. None: no such check. */
        unsigned pool_devices[COMPRESS_POOL_DEVICES_MAX];
        size_t n_pool_devices;

        /* Filled by the thread. */
        int error; /* negative errno; -ESRCH when the process went away */
        uint64_t advised_bytes;
        uint64_t swap_before_bytes;
        uint64_t swap_after_bytes;
        uint64_t duration_usec;
        bool pool_full; /* stopped before the end: the pool had no room left */

        pthread_t thread;
        int done_fd; /* eventfd: written when the thread finished */
        void *userdata; /* the caller's, e.g. the method call to answer */
} ReclaimProcessJob;

/* Starts the thread; the job owns 'target' from here on. The caller
 * watches job->done_fd and then calls reclaim_process_finish(). */
int reclaim_process_start(ReclaimProcessJob *job);

/* Waits for the thread and closes what the job holds. */
void reclaim_process_finish(ReclaimProcessJob *job);

/* The anonymous ranges of 'vmas' worth advising: anonymous, not special,
 * with something resident. Returns how many were written to 'ranges'
 * (which has room for n_vmas). */
size_t reclaim_process_ranges(const SmapsVma *vmas, size_t n_vmas, struct iovec *ranges);
