/* SPDX-License-Identifier: MIT */
/* The refs backend works on every kernel: clear the accessed bits (with
 * MADV_COLD where it may, then /proc/PID/clear_refs), wait, then count per
 * region what was referenced again (smaps). It knows regions, not pages:
 * page-exact decisions are the cycle's, from what came back. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/paths.h"
#include "idle/idle.h"

static int refs_probe(void) {
        return 1;
}

static int proc_file(const ProcTarget *t, const char *name, char **ret) {
        if (asprintf(ret, "%s/proc/%d/%s", root_prefix(), (int) t->pid, name) < 0)
                return -ENOMEM;
        return 0;
}

/* clear_refs clears the accessed bits without flushing the TLB (x86 does
 * so on purpose: a stale bit costs nothing but precision). A thread whose
 * translations stay cached reads its pages without a page walk, and so
 * without setting the bits again: the region of a thread that reads its
 * pages without a pause (a busy poller) reads as wholly idle. MADV_COLD
 * clears the bits of the pages only this process maps and flushes the
 * entries it cleared, so the next read walks and sets the bit. It also
 * puts those pages on the inactive list, where the kernel's reclaim looks
 * first and whence a page read again goes back (the kernel sees its
 * accessed bit). Pages shared with other processes are left to clear_refs,
 * as MADV_PAGEOUT leaves them anyway. */
static void refs_mark_cold(const ProcTarget *t, uint64_t min_region_bytes, const Reclaim *cold) {
        /* The regions collect() looks at, from maps: no page walk. */
        const SmapsFilter filter = { .anonymous_only = true, .min_size_bytes = min_region_bytes };
        _cleanup_free_ SmapsVma *vmas = NULL;
        _cleanup_free_ struct iovec *ranges = NULL;
        uint64_t bytes = 0;
        size_t n;
        int r;

        r = maps_read(t->pid, &filter, &vmas, &n);
        if (r >= 0 && n > 0) {
                ranges = calloc(n, sizeof(struct iovec));
                if (!ranges)
                        r = -ENOMEM;
                for (size_t i = 0; ranges && i < n; i++)
                        ranges[i] = (struct iovec){ .iov_base = (void *) (uintptr_t) vmas[i].start,
                                                    .iov_len = (size_t) (vmas[i].end - vmas[i].start) };
                if (ranges)
                        r = reclaim_advise(cold, t->pidfd, ranges, n, POLICY_COLD, NULL, &bytes);
        }
        /* Gone: clear_refs says so next. Anything else: clear_refs alone,
         * as where the kernel lacks MADV_COLD. */
        if (r < 0 && r != -ESRCH)
                log_debug_errno(r,
                                "Failed to mark %s[%d]'s regions cold, clearing its accessed bits only: %m",
                                t->comm, (int) t->pid);
}

static int refs_mark(const ProcTarget *t, uint64_t min_region_bytes, const Reclaim *cold, void **state) {
        _cleanup_free_ char *path = NULL;
        int r;

        /* MADV_COLD first: it flushes only the entries whose bit it finds
         * set, and after clear_refs it would find none. */
        if (cold && cold->have_cold && t->pidfd >= 0)
                refs_mark_cold(t, min_region_bytes, cold);
        r = proc_file(t, "clear_refs", &path);
        if (r < 0)
                return r;
        /* "1": clear the referenced/accessed bits of all the process's
         * pages; after MADV_COLD, those of the pages it left. */
        r = write_string_file(path, "1\n");
        return r == -ENOENT ? -ESRCH : r;
}

static int refs_collect(const ProcTarget *t, void **state, uint64_t min_region_bytes, IdleResult *ret) {
        /* Only regions worth advising are kept while smaps streams by: a
         * process with tens of thousands of small mappings costs the parse,
         * not memory. */
        const SmapsFilter filter = { .anonymous_only = true, .min_size_bytes = min_region_bytes };
        _cleanup_free_ SmapsVma *vmas = NULL;
        IdleResult res = {};
        size_t n;
        int r;

        r = smaps_read(t->pid, &filter, &vmas, &n);
        if (r < 0)
                return r;
        if (n > 0) {
                res.regions = calloc(n, sizeof(IdleRegion));
                if (!res.regions)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                const SmapsVma *v = &vmas[i];

                res.regions[res.n_regions++] = (IdleRegion){
                        .start = v->start,
                        .end = v->end,
                        .resident_bytes = v->anonymous_bytes,
                        .idle_bytes = v->anonymous_bytes > v->referenced_bytes
                                              ? v->anonymous_bytes - v->referenced_bytes
                                              : 0,
                        .swap_bytes = v->swap_bytes,
                };
        }
        *ret = res;
        return 0;
}

const IdleBackend idle_backend_refs = {
        .name = "refs",
        .probe = refs_probe,
        .mark = refs_mark,
        .collect = refs_collect,
        .page_exact = false,
};
