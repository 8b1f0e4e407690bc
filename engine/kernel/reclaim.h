/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "idle/policy.h"

/* What this kernel's process_madvise() accepts, learned once. */
typedef struct Reclaim {
        bool probed;
        bool have_process_madvise;
        bool have_cold;
        bool have_pageout;
} Reclaim;

/* Asks the kernel (with our own pidfd and no ranges) which advice values
 * process_madvise() takes, and says once in the log what is missing. */
void reclaim_probe(Reclaim *rc);

/* Bytes one process_madvise() call is given at most. */
#define RECLAIM_BATCH_BYTES (32U << 20)

/* Applies 'action' to the ranges of the process behind 'pidfd', at most
 * UIO_MAXIOV ranges per call, and RECLAIM_BATCH_BYTES when 'cancel' is given, continuing after
 * partial progress and past a range that is gone. PAGEOUT falls back to
 * COLD on kernels without it. Adds the bytes the kernel took to
 * *ret_bytes. -ESRCH when the process is gone, -EPERM when we may not,
 * -EOPNOTSUPP when the kernel has neither advice, -ECANCELED when *cancel
 * (NULL: never) was set between two calls. */
int reclaim_advise(const Reclaim *rc, int pidfd, const struct iovec *ranges, size_t n_ranges,
                   PolicyAction action, const atomic_bool *cancel, uint64_t *ret_bytes);
