/* SPDX-License-Identifier: MIT */
/* The refs backend works on every kernel: clear the accessed bits (with
 * MADV_COLD where it may, else /proc/PID/clear_refs), wait, then count per
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

/* Whether start-end is one of the regions in 'keep': the same bounds, as
 * the cycle matches a region with its record. Both are in address order,
 * and *next walks 'keep' along with the calls. */
static bool span_kept(const IdleSpan *keep, size_t n_keep, size_t *next, uint64_t start, uint64_t end) {
        while (*next < n_keep && keep[*next].start < start)
                (*next)++;
        return *next < n_keep && keep[*next].start == start && keep[*next].end == end;
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
 * accessed bit).
 *
 * Where MADV_COLD marked the regions, clear_refs does not follow: such a
 * thread reads its pages again within microseconds of the flush, and a
 * clear_refs after that leaves the entries it fetched stale (a CI run read
 * a 2.5 MiB hot region as wholly idle in one window of six; with 20 ms
 * between the two calls, as when this idle-priority thread is preempted,
 * two of six here). Pages shared with other processes (fork, KSM), which
 * MADV_COLD skips, then keep their bits and count as used; MADV_PAGEOUT
 * skips them too, so nothing the process path could take is hidden.
 *
 * The regions in 'keep' are left out: their bits stay as they are.
 *
 * Returns 0 when MADV_COLD went over the regions, < 0 when clear_refs must
 * do the marking (-ESRCH: the process is gone). */
static int refs_mark_cold(const ProcTarget *t, uint64_t min_region_bytes, const Reclaim *cold,
                          const IdleSpan *keep, size_t n_keep) {
        /* The regions collect() looks at, from maps: no page walk. */
        const SmapsFilter filter = { .anonymous_only = true, .min_size_bytes = min_region_bytes };
        _cleanup_free_ SmapsVma *vmas = NULL;
        _cleanup_free_ struct iovec *ranges = NULL;
        uint64_t bytes = 0;
        size_t n, n_ranges = 0, next = 0;
        int r;

        r = maps_read(t->pid, &filter, &vmas, &n);
        if (r < 0)
                return r;
        if (n == 0)
                return 0; /* collect() finds no region either */
        ranges = calloc(n, sizeof(struct iovec));
        if (!ranges)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (span_kept(keep, n_keep, &next, vmas[i].start, vmas[i].end))
                        continue;
                ranges[n_ranges++] = (struct iovec){ .iov_base = (void *) (uintptr_t) vmas[i].start,
                                                     .iov_len = (size_t) (vmas[i].end - vmas[i].start) };
        }
        if (n_ranges == 0)
                return 0;
        /* A range the kernel refuses (gone, locked) is skipped and keeps
         * its bits: it reads as used, and could not be paged out. */
        return reclaim_advise(cold, t->pidfd, ranges, n_ranges, POLICY_COLD, NULL, &bytes);
}

static int refs_mark(const ProcTarget *t, uint64_t min_region_bytes, const Reclaim *cold,
                     const IdleSpan *keep, size_t n_keep, void **state) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (cold && cold->have_cold && t->pidfd >= 0) {
                r = refs_mark_cold(t, min_region_bytes, cold, keep, n_keep);
                if (r >= 0 || r == -ESRCH)
                        return r;
                log_debug_errno(
                        r, "Failed to mark %s[%d]'s regions cold, clearing its accessed bits instead: %m",
                        t->comm, (int) t->pid);
        }
        /* clear_refs clears the whole process or nothing: the kept
         * regions' readings run on, and so do all the others'. */
        if (n_keep > 0)
                return IDLE_MARK_KEPT_WHOLE;
        r = proc_file(t, "clear_refs", &path);
        if (r < 0)
                return r;
        /* "1": clear the referenced/accessed bits of all the process's
         * pages, without a flush. */
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
