/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/time-util.h"
#include "idle/idle.h"
#include "idle/reclaim-process.h"
#include "kernel/priority.h"

size_t reclaim_process_ranges(const SmapsVma *vmas, size_t n_vmas, struct iovec *ranges) {
        size_t n = 0;

        for (size_t i = 0; i < n_vmas; i++) {
                const SmapsVma *v = &vmas[i];

                if (!v->anonymous || v->special || v->rss_bytes == 0)
                        continue;
                ranges[n++] = (struct iovec){ .iov_base = (void *) (uintptr_t) v->start,
                                              .iov_len = (size_t) (v->end - v->start) };
        }
        return n;
}

/* Pieces of a pageout between two looks at the pool's room. */
#define RECLAIM_PIECE_BYTES (UINT64_C(16) << 20)

/* A pageout into the pool, piece by piece, each only when the pool has room
 * for it at the ratio the pieces before showed: past its budget the kernel
 * would fail the writes. A mostly empty reservation (a sanitizer's shadow)
 * is one piece, sized by what is resident in it. */
static int reclaim_process_pool(ReclaimProcessJob *job, const SmapsVma *vmas, size_t n_vmas) {
        double ratio = 1.0;

        for (size_t i = 0; i < n_vmas; i++) {
                const SmapsVma *v = &vmas[i];
                uint64_t len = v->end - v->start, step = v->rss_bytes * 2 >= len ? RECLAIM_PIECE_BYTES : len;

                if (!v->anonymous || v->special || v->rss_bytes == 0)
                        continue;
                for (uint64_t off = 0; off < len; off += step) {
                        struct iovec piece = { .iov_base = (void *) (uintptr_t) (v->start + off),
                                               .iov_len = (size_t) (len - off < step ? len - off : step) };
                        uint64_t advised = 0,
                                 most = piece.iov_len < v->rss_bytes ? piece.iov_len : v->rss_bytes;
                        CompressPoolFigures before, after;
                        int r;

                        compress_pool_read(job->pool_devices, job->n_pool_devices, &before);
                        if (!compress_pool_has_room(&before, most, ratio)) {
                                job->pool_full = true;
                                return 0;
                        }
                        r = reclaim_advise(job->reclaim, job->target.pidfd, &piece, 1, job->action, NULL,
                                           &advised);
                        job->advised_bytes += advised;
                        if (r < 0)
                                return r;
                        compress_pool_read(job->pool_devices, job->n_pool_devices, &after);
                        if (compress_judge(&before, &after, advised) != COMPRESS_UNKNOWN)
                                ratio = compress_delta_ratio(&before, &after);
                }
        }
        return 0;
}

static int reclaim_process_run(ReclaimProcessJob *job) {
        /* Only what reclaim_process_ranges() takes is kept while smaps
         * streams by. */
        const SmapsFilter filter = { .anonymous_only = true, .resident_only = true };
        _cleanup_free_ SmapsVma *vmas = NULL;
        _cleanup_free_ struct iovec *ranges = NULL;
        ProcStatus st;
        size_t n, n_ranges;
        int r;

        r = smaps_read(job->target.pid, &filter, &vmas, &n);
        if (r < 0)
                return r;
        /* What was read belongs to the process the pidfd holds only if
         * that process is still the one that was checked. */
        r = proc_target_check(&job->target);
        if (r <= 0)
                return r < 0 ? r : -ESRCH;

        if (job->action == POLICY_PAGEOUT && job->n_pool_devices > 0)
                r = reclaim_process_pool(job, vmas, n);
        else {
                ranges = calloc(n ? n : 1, sizeof(struct iovec));
                if (!ranges)
                        return -ENOMEM;
                n_ranges = reclaim_process_ranges(vmas, n, ranges);
                r = reclaim_advise(job->reclaim, job->target.pidfd, ranges, n_ranges, job->action, NULL,
                                   &job->advised_bytes);
        }
        if (r < 0)
                return r;
        if (proc_read_status(job->target.pid, &st) >= 0)
                job->swap_after_bytes = st.vm_swap_bytes;
        return 0;
}

static void *reclaim_process_thread(void *userdata) {
        ReclaimProcessJob *job = userdata;
        uint64_t start = now_usec(CLOCK_MONOTONIC), one = 1;

        /* Only the workers run at idle priority, never the bus. */
        (void) priority_lower();

        job->swap_before_bytes = job->target.vm_swap_bytes;
        job->swap_after_bytes = job->target.vm_swap_bytes;
        job->error = reclaim_process_run(job);
        job->duration_usec = now_usec(CLOCK_MONOTONIC) - start;
        (void) !write(job->done_fd, &one, sizeof(one));
        return NULL;
}

int reclaim_process_start(ReclaimProcessJob *job) {
        int r;

        job->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (job->done_fd < 0)
                return -errno;
        r = -pthread_create(&job->thread, NULL, reclaim_process_thread, job);
        if (r < 0) {
                close(job->done_fd);
                job->done_fd = -EBADF;
        }
        return r;
}

void reclaim_process_finish(ReclaimProcessJob *job) {
        (void) pthread_join(job->thread, NULL);
        if (job->done_fd >= 0)
                close(job->done_fd);
        job->done_fd = -EBADF;
        proc_target_done(&job->target);
}
