/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "kernel/reclaim.h"

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef UIO_MAXIOV
#define UIO_MAXIOV 1024
#endif

static ssize_t process_madvise_raw(int pidfd, const struct iovec *iov, size_t n, int advice) {
        return syscall(SYS_process_madvise, pidfd, iov, n, advice, 0U);
}

void reclaim_probe(Reclaim *rc) {
        int self;

        *rc = (Reclaim){ .probed = true };
        self = (int) syscall(SYS_pidfd_open, getpid(), 0);
        if (self < 0) {
                log_warning_errno(errno, "pidfd_open() is not available (%m): no memory will be reclaimed.");
                return;
        }
        /* The kernel checks the advice before it looks at the (empty) list. */
        rc->have_cold = process_madvise_raw(self, NULL, 0, MADV_COLD) >= 0;
        if (!rc->have_cold && errno == ENOSYS)
                log_warning("process_madvise() is not available: no memory will be reclaimed.");
        else
                rc->have_process_madvise = true;
        rc->have_pageout = process_madvise_raw(self, NULL, 0, MADV_PAGEOUT) >= 0;
        close(self);

        if (rc->have_process_madvise && !rc->have_pageout)
                log_notice("process_madvise() does not take MADV_PAGEOUT here; paging out falls back to "
                           "MADV_COLD.");
        if (rc->have_process_madvise && !rc->have_cold)
                log_notice("process_madvise() does not take MADV_COLD here; cold memory is left to the "
                           "kernel.");
}

/* Moves the cursor (range i, bytes of it done) on by 'bytes'. */
static void cursor_advance(const struct iovec *ranges, size_t n_ranges, size_t *i, size_t *consumed,
                           size_t bytes) {
        while (bytes > 0 && *i < n_ranges) {
                size_t rest = ranges[*i].iov_len - *consumed;

                if (bytes >= rest) {
                        bytes -= rest;
                        (*i)++;
                        *consumed = 0;
                } else {
                        *consumed += bytes;
                        bytes = 0;
                }
        }
}

int reclaim_advise(const Reclaim *rc, int pidfd, const struct iovec *ranges, size_t n_ranges,
                   PolicyAction action, const atomic_bool *cancel, uint64_t *ret_bytes) {
        struct iovec batch[UIO_MAXIOV];
        size_t i = 0, consumed = 0; /* bytes of ranges[i] already done */
        int advice;

        if (action == POLICY_PAGEOUT && rc->have_pageout)
                advice = MADV_PAGEOUT;
        else if (action != POLICY_NONE && rc->have_cold)
                advice = MADV_COLD;
        else
                return action == POLICY_NONE ? 0 : -EOPNOTSUPP;

        /* Without a cancel to watch, one call takes as much as it can:
         * a sparse reservation of terabytes is one call, not millions. */
        size_t cap = cancel ? RECLAIM_BATCH_BYTES : SIZE_MAX;

        while (i < n_ranges) {
                size_t n = 0, want = 0, next = i, next_consumed = consumed;
                ssize_t done;

                if (cancel && atomic_load(cancel))
                        return -ECANCELED;
                /* At most RECLAIM_BATCH_BYTES a call: a cancel is seen
                 * between calls, never after a whole huge region. */
                while (n < UIO_MAXIOV && next < n_ranges && want < cap) {
                        size_t rest = ranges[next].iov_len - next_consumed,
                               take = rest < cap - want ? rest : cap - want;

                        batch[n].iov_base = (char *) ranges[next].iov_base + next_consumed;
                        batch[n].iov_len = take;
                        want += take;
                        n++;
                        if (take == rest) {
                                next++;
                                next_consumed = 0;
                        } else
                                next_consumed += take;
                }

                done = process_madvise_raw(pidfd, batch, n, advice);
                if (done < 0) {
                        if (errno == ESRCH || errno == EPERM)
                                return -errno;
                        /* This range is gone (unmapped, locked…): skip it. */
                        log_debug_errno(errno, "process_madvise failed on one range, skipping it: %m");
                        i++;
                        consumed = 0;
                        continue;
                }
                *ret_bytes += (uint64_t) done;
                if ((size_t) done == want) {
                        i = next;
                        consumed = next_consumed;
                        continue;
                }
                /* Partial: move past what was done, then past the range the
                 * kernel stopped at. */
                cursor_advance(ranges, n_ranges, &i, &consumed, (size_t) done);
                if (i < n_ranges) {
                        i++;
                        consumed = 0;
                }
        }
        return 0;
}
