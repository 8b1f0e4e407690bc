/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "common/strv.h"
#include "common/time-util.h"
#include "idle/cycle.h"
#include "kernel/pagemap.h"
#include "kernel/pressure.h"
#include "kernel/priority.h"

/* Pages read from pagemap at a time: 512 KiB of entries, 256 MiB of memory. */
#define PAGEMAP_CHUNK_PAGES 65536U

/* Regions whose pageouts are remembered page by page: at most 2^26 pages
 * (256 GiB of address space, 16 MiB of bits), and a region over 256 MiB
 * only when at least a sixteenth of it is memory (resident or swapped). */
#define LEARN_PAGES_MAX (UINT64_C(1) << 26)
#define LEARN_SPARSE_MIN_BYTES (UINT64_C(256) << 20)

static void record_free(ProcessRecord *r) {
        for (size_t i = 0; i < r->n_regions; i++) {
                page_memory_done(&r->regions[i].memory);
                free(r->regions[i].segments);
        }
        free(r->cgroup);
        free(r->memcg);
        free(r->regions);
}

void process_table_done(ProcessTable *t) {
        for (size_t i = 0; i < t->n_records; i++)
                record_free(&t->records[i]);
        free(t->records);
        for (size_t i = 0; i < t->n_cgroups; i++)
                free(t->cgroups[i].path);
        free(t->cgroups);
        *t = (ProcessTable){};
}

static const ProcessRecord *table_find(const ProcessTable *t, pid_t pid, uint64_t start_time) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_records; i++)
                if (t->records[i].pid == pid && t->records[i].start_time == start_time)
                        return &t->records[i];
        return NULL;
}

/* The region's record from the last cycle: the same start and end, or
 * NULL. Regions are in address order, as smaps lists them: a binary
 * search keeps a process with tens of thousands of regions from costing
 * their square. */
static const RegionRecord *previous_region(const ProcessRecord *prev, const IdleRegion *region) {
        size_t lo = 0, hi;

        if (!prev)
                return NULL;
        hi = prev->n_regions;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (prev->regions[mid].start < region->start)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < prev->n_regions && prev->regions[lo].start == region->start &&
            prev->regions[lo].end == region->end)
                return &prev->regions[lo];
        return NULL;
}

/* Readings in a row that must find a region whose hot pages were seen
 * idle before they go: HOT_CONFIRM_CYCLES, pageout_after_cycles where that
 * is more, or more still after such a confirmation proved wrong. */
static unsigned region_confirm(const PolicySettings *p, const RegionRecord *rr) {
        unsigned c =
                p->pageout_after_cycles > HOT_CONFIRM_CYCLES ? p->pageout_after_cycles : HOT_CONFIRM_CYCLES;

        return rr && rr->confirm > c ? rr->confirm : c;
}

/* Whether the region is being confirmed cold: its hot pages were seen, it
 * read idle, but not yet as many times in a row as they need. Until that
 * ends it is not marked again, so that each reading covers every cycle
 * since the confirmation began: idle means idle all along, not in the last
 * sample alone, which a visitor that comes every minute or so (a cache's
 * crawler, a collector) slips between. The process's other regions are
 * marked as ever. */
static bool region_confirming(const PolicySettings *p, const RegionRecord *rr) {
        return rr->hot_seen && !rr->mixed && rr->streak > 0 && rr->streak < region_confirm(p, rr);
}

/* The process's regions being confirmed cold, in address order, for the
 * mark to leave alone; *ret is NULL when there are none. Only a
 * region-level backend (refs) confirms: it keeps no state from mark to
 * collect. */
static int confirming_spans(const CycleJob *job, const ProcTarget *t, IdleSpan **ret, size_t *ret_n) {
        const ProcessRecord *prev =
                job->backend->page_exact ? NULL : table_find(job->previous, t->pid, t->start_time);
        _cleanup_free_ IdleSpan *spans = NULL;
        size_t n = 0;

        for (size_t i = 0; prev && i < prev->n_regions; i++) {
                const RegionRecord *rr = &prev->regions[i];

                if (!region_confirming(&job->policy, rr))
                        continue;
                if (!spans) {
                        spans = calloc(prev->n_regions, sizeof(IdleSpan));
                        if (!spans)
                                return -ENOMEM;
                }
                spans[n++] = (IdleSpan){ .start = rr->start, .end = rr->end };
        }
        *ret = TAKE_PTR(spans);
        *ret_n = n;
        return 0;
}

/* Whether the engine learns page by page what comes back of the region's
 * pageouts. Not where that would mean reading and remembering far more
 * address space than there is memory in it: the terabytes a sanitizer or
 * a JVM reserves and barely touches. Those are advised as a whole. */
static bool region_learns(const IdleRegion *region, size_t page_size) {
        uint64_t size = region->end - region->start, used = region->resident_bytes + region->swap_bytes;

        if (size / page_size > LEARN_PAGES_MAX)
                return false;
        return size <= LEARN_SPARSE_MIN_BYTES || used >= size / 16;
}

/* 'action' on the region's idle memory as a whole: all of it, or a
 * page-exact backend's idle pages. */
static int advise_region(const Reclaim *rc, const IdleBackend *backend, int pidfd, const IdleRegion *region,
                         PolicyAction action, bool dry_run, const atomic_bool *cancel, uint64_t *ret_bytes) {
        struct iovec whole = { .iov_base = (void *) (uintptr_t) region->start,
                               .iov_len = region->end - region->start };
        const struct iovec *ranges = &whole;
        size_t n = 1;

        /* Page-exact backends name the idle pages; the hot ones around them
         * are never touched. */
        if (backend->page_exact) {
                ranges = region->idle_ranges;
                n = region->n_idle_ranges;
        }
        /* The kernel counts the length of the ranges advised; what can move
         * is at most what was resident in them. */
        uint64_t movable = backend->page_exact ? region->idle_bytes : region->resident_bytes, advised = 0;
        int r;

        if (dry_run) {
                *ret_bytes += movable;
                return 0;
        }
        /* Chunked (and cancellable between chunks) where there is memory
         * to move; a mostly empty reservation goes in one call. */
        r = reclaim_advise(rc, pidfd, ranges, n, action,
                           region->resident_bytes * 2 >= region->end - region->start ? cancel : NULL,
                           &advised);
        *ret_bytes += advised < movable ? advised : movable;
        return r;
}

/* Reads the region's pagemap and counts the pages the engine paged out
 * that came back since. */
static int settle_region(int pagemap, const IdleRegion *region, size_t page_size, PageMemory *m,
                         uint64_t *entries, uint64_t *ret_pages) {
        for (size_t first = 0; first < m->n_pages; first += PAGEMAP_CHUNK_PAGES) {
                size_t want =
                        m->n_pages - first < PAGEMAP_CHUNK_PAGES ? m->n_pages - first : PAGEMAP_CHUNK_PAGES;
                ssize_t n = pagemap_read(pagemap, region->start + (uint64_t) first * page_size, page_size,
                                         entries, want);

                if (n < 0)
                        return (int) n;
                *ret_pages += page_memory_settle(m, first, entries, (size_t) n);
        }
        return 0;
}

static void pool_figures(const CycleJob *job, CompressPoolFigures *ret) {
        compress_pool_read(job->pool_devices, job->n_pool_devices, ret);
}

/* No room left in the pool's budget: the rest of the cycle's pageouts wait
 * (the loop grows the budget, up to its cap, as the pool fills), rather
 * than the kernel failing writes past mem_limit. */
void cycle_hold_pool_full(CycleJob *job, const CompressPoolFigures *f) {
        snprintf(job->stats.hold_reason, sizeof(job->stats.hold_reason),
                 "the pool is full (%" PRIu64 " of %" PRIu64 " MiB)", f->used_bytes >> 20,
                 f->limit_bytes >> 20);
}

/* Pages out 'ranges' and adds what moved (at most 'movable') to *ret_bytes
 * and *ret_moved. */
static int pageout_ranges(CycleJob *job, int pidfd, const struct iovec *ranges, size_t n_ranges,
                          uint64_t movable, uint64_t *ret_bytes, uint64_t *ret_moved) {
        uint64_t advised = 0, cpu_start = now_usec(CLOCK_THREAD_CPUTIME_ID);
        int r;

        r = reclaim_advise(job->reclaim, pidfd, ranges, n_ranges, POLICY_PAGEOUT, &job->cancel, &advised);
        job->stats.pageout_cpu_usec += now_usec(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
        *ret_moved = advised < movable ? advised : movable;
        *ret_bytes += *ret_moved;
        return r;
}

/* pageout_region() where there is a pool to judge by: segment by segment,
 * a probe of the first COMPRESS_PROBE_PAGES movable pages first, then the
 * rest only when the probe compressed well and the pool has room for it;
 * poor segments wait (compress.h). */
static int pageout_segments(CycleJob *job, int pidfd, int pagemap, const IdleRegion *region,
                            size_t page_size, RegionRecord *rr, uint64_t *entries, struct iovec **ranges,
                            size_t *allocated, uint64_t *ret_bytes) {
        size_t n_pages = (size_t) ((region->end - region->start) / page_size),
               n_segments = (n_pages + COMPRESS_SEGMENT_PAGES - 1) / COMPRESS_SEGMENT_PAGES;
        const struct iovec *idle = job->backend->page_exact ? region->idle_ranges : NULL;
        size_t n_idle = job->backend->page_exact ? region->n_idle_ranges : 0;
        PageMemory *m = &rr->memory;
        int r;

        if (!rr->segments || rr->n_segments != n_segments) {
                free(rr->segments);
                rr->segments = calloc(n_segments ?: 1, sizeof(CompressSegment));
                rr->n_segments = rr->segments ? n_segments : 0;
                if (!rr->segments)
                        return -ENOMEM;
        }

        for (size_t seg = 0; seg < n_segments && !atomic_load(&job->cancel) && !job->stats.hold_reason[0];
             seg++) {
                CompressSegment *cs = &rr->segments[seg];
                size_t first = seg * COMPRESS_SEGMENT_PAGES,
                       want = n_pages - first < COMPRESS_SEGMENT_PAGES ? n_pages - first
                                                                       : COMPRESS_SEGMENT_PAGES,
                       k = 0, n_ranges = 0;
                uint64_t probe = 0, rest = 0, moved = 0;
                CompressPoolFigures before, after, end;
                CompressVerdict v;
                bool skip = compress_segment_skip(cs);
                ssize_t n = pagemap_read(pagemap, region->start + (uint64_t) first * page_size, page_size,
                                         entries, want);

                if (n <= 0)
                        return (int) n;
                if (skip) {
                        r = page_memory_pageout_ranges(m, region->start, page_size, first, entries,
                                                       (size_t) n, idle, n_idle, NULL, NULL, NULL, &rest);
                        if (r < 0)
                                return r;
                        job->stats.incompressible_bytes += rest;
                        continue;
                }

                pool_figures(job, &before);
                if (!compress_pool_has_room(&before, (uint64_t) COMPRESS_PROBE_PAGES * page_size, 1.0)) {
                        cycle_hold_pool_full(job, &before);
                        break;
                }
                /* The probe: pages up to the first COMPRESS_PROBE_PAGES movable ones. */
                while (k < (size_t) n && probe < (uint64_t) COMPRESS_PROBE_PAGES * page_size) {
                        size_t step = (size_t) n - k < 32 ? (size_t) n - k : 32;

                        r = page_memory_pageout_ranges(m, region->start, page_size, first + k, entries + k,
                                                       step, idle, n_idle, ranges, &n_ranges, allocated,
                                                       &probe);
                        if (r < 0)
                                return r;
                        k += step;
                }
                if (n_ranges == 0)
                        continue;
                r = pageout_ranges(job, pidfd, *ranges, n_ranges, probe, ret_bytes, &moved);
                job->stats.probe_bytes += moved;
                if (r < 0)
                        return r;
                pool_figures(job, &after);
                v = compress_judge(&before, &after, moved);
                compress_segment_update(cs, v);

                r = page_memory_pageout_ranges(m, region->start, page_size, first + k, entries + k,
                                               (size_t) n - k, idle, n_idle, NULL, NULL, NULL, &rest);
                if (r < 0)
                        return r;
                if (v == COMPRESS_POOR) {
                        job->stats.incompressible_bytes += rest;
                        continue;
                }
                if (rest == 0)
                        continue;
                if (!compress_pool_has_room(&after, rest, compress_delta_ratio(&before, &after))) {
                        cycle_hold_pool_full(job, &after);
                        break;
                }
                n_ranges = 0;
                rest = 0;
                r = page_memory_pageout_ranges(m, region->start, page_size, first + k, entries + k,
                                               (size_t) n - k, idle, n_idle, ranges, &n_ranges, allocated,
                                               &rest);
                if (r < 0)
                        return r;
                r = pageout_ranges(job, pidfd, *ranges, n_ranges, rest, ret_bytes, &moved);
                if (r < 0)
                        return r;
                /* What the rest did is the segment's verdict for the next cycle. */
                pool_figures(job, &end);
                compress_segment_update(cs, compress_judge(&after, &end, moved));
        }
        return 0;
}

/* MADV_PAGEOUT on the region's pages worth it: present, not known to be
 * hot, and (page-exact backends) idle; remembers them as out, so that the
 * next cycle sees which came back. Adds what moved (or, in dry run, would)
 * to *ret_bytes. */
static int pageout_region(CycleJob *job, int pidfd, int pagemap, const IdleRegion *region, size_t page_size,
                          RegionRecord *rr, uint64_t *entries, uint64_t *ret_bytes) {
        _cleanup_free_ struct iovec *ranges = NULL;
        PageMemory *m = &rr->memory;
        size_t n_pages = (size_t) ((region->end - region->start) / page_size), allocated = 0;
        const struct iovec *idle = job->backend->page_exact ? region->idle_ranges : NULL;
        size_t n_idle = job->backend->page_exact ? region->n_idle_ranges : 0;
        int r;

        if (page_memory_empty(m) && !job->dry_run) {
                r = page_memory_new(m, n_pages);
                if (r < 0)
                        return r;
        }
        if (job->n_pool_devices > 0 && !job->dry_run)
                return pageout_segments(job, pidfd, pagemap, region, page_size, rr, entries, &ranges,
                                        &allocated, ret_bytes);
        for (size_t first = 0; first < n_pages; first += PAGEMAP_CHUNK_PAGES) {
                size_t want = n_pages - first < PAGEMAP_CHUNK_PAGES ? n_pages - first : PAGEMAP_CHUNK_PAGES,
                       n_ranges = 0;
                uint64_t chunk_start = region->start + (uint64_t) first * page_size, movable = 0,
                         advised = 0, cpu_start;
                ssize_t n = pagemap_read(pagemap, chunk_start, page_size, entries, want);

                if (n <= 0)
                        return (int) n;
                r = page_memory_pageout_ranges(m, region->start, page_size, first, entries, (size_t) n, idle,
                                               n_idle, &ranges, &n_ranges, &allocated, &movable);
                if (r < 0)
                        return r;
                if (job->dry_run || n_ranges == 0) {
                        *ret_bytes += movable;
                        continue;
                }
                cpu_start = now_usec(CLOCK_THREAD_CPUTIME_ID);
                r = reclaim_advise(job->reclaim, pidfd, ranges, n_ranges, POLICY_PAGEOUT, &job->cancel,
                                   &advised);
                job->stats.pageout_cpu_usec += now_usec(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
                *ret_bytes += advised < movable ? advised : movable;
                if (r < 0)
                        return r;
        }
        return 0;
}

bool cycle_wait_usec(CycleJob *job, uint64_t usec) {
        struct pollfd p = { .fd = job->cancel_fd, .events = POLLIN };
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + usec;

        for (;;) {
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                int r;

                if (atomic_load(&job->cancel))
                        return false;
                if (now >= deadline)
                        return true;
                r = poll(&p, 1, (int) ((deadline - now) / 1000) + 1);
                if (r > 0)
                        return false;
        }
}

static int table_append(ProcessTable *t, const ProcessRecord *r) {
        ProcessRecord *l = realloc(t->records, (t->n_records + 1) * sizeof(ProcessRecord));
        if (!l)
                return -ENOMEM;
        l[t->n_records++] = *r;
        t->records = l;
        return 0;
}

/* Collects, decides and advises for one process; fills its record. First
 * what came back of the engine's earlier pageouts, which paces the
 * process; then the advice. 'kept_whole': it was not marked this cycle,
 * and the reading of every region runs on. */
static int cycle_process(CycleJob *job, ProcTarget *t, void **state, bool kept_whole, ProcessRecord *rec) {
        const ProcessRecord *prev = table_find(job->previous, t->pid, t->start_time);
        size_t page_size = (size_t) sysconf(_SC_PAGESIZE);
        _cleanup_free_ uint64_t *entries = NULL;
        _cleanup_close_ int pagemap = -EBADF;
        uint64_t resident = 0, idle = 0, refault_pages = 0, now;
        IdleResult res = {};
        LruCgroup *lru;
        bool over, quiet;
        int r;

        if (prev) {
                rec->cold_bytes = prev->cold_bytes;
                rec->pageout_bytes = prev->pageout_bytes;
                rec->refault_bytes = prev->refault_bytes;
        }
        r = job->backend->collect(t, state, job->policy.min_region_bytes, &res);
        if (r < 0)
                return r;
        /* What was read belongs to the pinned process only if it is still
         * alive now. */
        r = proc_target_check(t);
        if (r <= 0) {
                idle_result_done(&res);
                return r < 0 ? r : -ESRCH;
        }

        rec->regions = calloc(res.n_regions ?: 1, sizeof(RegionRecord));
        entries = malloc(PAGEMAP_CHUNK_PAGES * sizeof(uint64_t));
        if (!rec->regions || !entries) {
                idle_result_done(&res);
                return -ENOMEM;
        }
        pagemap = pagemap_open(t->pid);
        if (pagemap < 0) {
                idle_result_done(&res);
                return pagemap;
        }

        /* Pass 1: the regions' records, and what came back of what was
         * paged out in them. */
        for (size_t i = 0; i < res.n_regions; i++) {
                const IdleRegion *region = &res.regions[i];
                const RegionRecord *before = previous_region(prev, region);
                RegionRecord *rr = &rec->regions[rec->n_regions++];

                *rr = (RegionRecord){ .start = region->start, .end = region->end };
                if (before && before->segments) {
                        rr->segments = malloc(before->n_segments * sizeof(CompressSegment));
                        if (!rr->segments) {
                                idle_result_done(&res);
                                return -ENOMEM;
                        }
                        memcpy(rr->segments, before->segments, before->n_segments * sizeof(CompressSegment));
                        rr->n_segments = before->n_segments;
                }
                rr->hot_seen = before && before->hot_seen;
                rr->confirmed = before && before->confirmed;
                rr->confirm = before ? before->confirm : 0;
                if (!before || page_memory_empty(&before->memory))
                        continue;
                uint64_t came_back = refault_pages;
                r = page_memory_copy(&rr->memory, &before->memory);
                if (r >= 0)
                        r = settle_region(pagemap, region, page_size, &rr->memory, entries, &refault_pages);
                if (r < 0) {
                        idle_result_done(&res);
                        return r;
                }
                if (refault_pages > came_back) {
                        rr->hot_seen = true;
                        rr->came_back = true;
                        if (rr->confirmed) {
                                /* It was confirmed cold and was not: the
                                 * next confirmation takes twice as long. */
                                unsigned c = region_confirm(&job->policy, before) * 2;

                                rr->confirm = c > HOT_CONFIRM_CYCLES_MAX ? HOT_CONFIRM_CYCLES_MAX : c;
                                rr->confirmed = false;
                        }
                }
        }
        now = now_usec(CLOCK_MONOTONIC);
        rec->last_refault_bytes = refault_pages * page_size;
        rec->refault_bytes += rec->last_refault_bytes;
        rec->collected_usec = now;
        job->stats.refault_bytes += rec->last_refault_bytes;
        over = pacing_over_budget(&job->pacing, rec->last_refault_bytes,
                                  t->rss_anon_bytes + t->vm_swap_bytes,
                                  prev && prev->collected_usec ? now - prev->collected_usec : 0);
        rec->pace = pacing_next(prev ? prev->pace : (PaceState){}, over);
        /* Its cgroup's LRU may take the idle pages of mixed regions. */
        lru = job->lru ? lru_plan_find(&job->lru_plan, t->memcg) : NULL;
        if (lru && !lru->eligible)
                lru = NULL;

        /* Pass 2: decide and advise. */
        for (size_t i = 0; i < res.n_regions && !atomic_load(&job->cancel); i++) {
                const IdleRegion *region = &res.regions[i];
                const RegionRecord *before = previous_region(prev, region);
                RegionRecord *rr = &rec->regions[i];
                /* Hot pages among idle ones, for the LRU: what went to swap
                 * was idle too, so the share stays while the LRU moves the
                 * idle part, a step at a time, over cycles. */
                bool mixed = lru && region->idle_bytes < region->resident_bytes;
                double share = mixed ? (double) (region->idle_bytes + region->swap_bytes) /
                                               (double) (region->resident_bytes + region->swap_bytes)
                               : region->resident_bytes
                                       ? (double) region->idle_bytes / (double) region->resident_bytes
                                       : 0.0;
                /* Its streak while it was mixed counted what went to swap
                 * as idle; read as idle whole, it starts again, so that one
                 * cycle's reading does not take its hot pages with it. Nor
                 * do the readings before pages came back count: they were
                 * used after them. */
                unsigned streak = policy_next_streak(
                        &job->policy, share,
                        before && (!before->mixed || mixed) && !rr->came_back ? before->streak : 0);
                PolicyAction action = policy_decide(&job->policy, share, streak);
                unsigned confirm = region_confirm(&job->policy, rr);
                bool hot_seen = rr->hot_seen || mixed;
                uint64_t bytes = 0;

                rr->streak = streak;
                rr->mixed = mixed;
                resident += region->resident_bytes;
                idle += region->idle_bytes;
                if (streak > rec->cycles_idle)
                        rec->cycles_idle = streak;
                if (action == POLICY_PAGEOUT && !mixed && hot_seen && streak < confirm) {
                        /* Its hot pages were seen, and the engine does not
                         * know them one by one (the LRU moved its idle
                         * ones): a whole pageout waits until more readings
                         * agree that they cooled. */
                        if (page_memory_empty(&rr->memory)) {
                                log_debug("%s[%d] %" PRIx64 "-%" PRIx64
                                          ": idle enough %u of %u cycles in a row, "
                                          "its hot pages stay",
                                          t->comm, (int) t->pid, region->start, region->end, streak,
                                          confirm);
                                action = POLICY_NONE;
                        }
                } else if (action == POLICY_PAGEOUT && !mixed &&
                           region->idle_bytes >= region->resident_bytes) {
                        /* Wholly idle long enough: the pages that came
                         * back have cooled, and may go again. */
                        if (hot_seen)
                                rr->confirmed = true;
                        page_memory_forget_hot(&rr->memory);
                        hot_seen = false;
                }
                rr->hot_seen = hot_seen;
                if (action == POLICY_PAGEOUT && (rec->pace.hold_cycles > 0 || job->stats.hold_reason[0])) {
                        /* Pageouts wait; the region still goes cold. */
                        rec->held = true;
                        job->stats.held_bytes += region->idle_bytes;
                        action = POLICY_COLD;
                }
                /* Hot pages among the idle ones: made cold, and left to
                 * the LRU, which tells them apart (lru.h). */
                if (action == POLICY_PAGEOUT && mixed) {
                        action = POLICY_COLD;
                        rec->lru_bytes += region->idle_bytes;
                }
                if (action > rec->last_action)
                        rec->last_action = action;
                if (action != POLICY_NONE)
                        log_debug("%s[%d] %" PRIx64 "-%" PRIx64 ": %" PRIu64 " KiB resident, %" PRIu64
                                  " KiB idle, %" PRIu64 " KiB swapped, streak %u%s: %s",
                                  t->comm, (int) t->pid, region->start, region->end,
                                  region->resident_bytes / 1024, region->idle_bytes / 1024,
                                  region->swap_bytes / 1024, streak, mixed ? ", mixed" : "",
                                  action == POLICY_PAGEOUT ? "pageout" : "cold");

                if (action == POLICY_PAGEOUT && region_learns(region, page_size))
                        r = pageout_region(job, t->pidfd, pagemap, region, page_size, rr, entries, &bytes);
                else if (action == POLICY_COLD &&
                         (kept_whole || (before && region_confirming(&job->policy, before))))
                        r = 0; /* its reading goes on: its bits stay */
                else if (action != POLICY_NONE)
                        r = advise_region(job->reclaim, job->backend, t->pidfd, region, action, job->dry_run,
                                          &job->cancel, &bytes);
                else
                        r = 0;
                if (r == -ESRCH || r == -EPERM) {
                        idle_result_done(&res);
                        return r;
                }
                if (action == POLICY_PAGEOUT) {
                        rec->pageout_bytes += job->dry_run ? 0 : bytes;
                        job->stats.pageout_bytes += bytes;
                } else if (action == POLICY_COLD) {
                        rec->cold_bytes += job->dry_run ? 0 : bytes;
                        job->stats.cold_bytes += bytes;
                }
        }
        /* Doing nothing: under 1% of a CPU since the last cycle (the
         * scan's reading; 'now' is as far from it in every cycle), and what
         * was paged out stays out. */
        rec->cpu_ticks = t->cpu_ticks;
        rec->cpu_read_usec = now;
        quiet = prev && prev->cpu_read_usec && rec->cpu_read_usec > prev->cpu_read_usec &&
                rec->cpu_ticks >= prev->cpu_ticks &&
                (rec->cpu_ticks - prev->cpu_ticks) * (USEC_PER_SEC / (uint64_t) sysconf(_SC_CLK_TCK)) *
                                100 <=
                        (rec->cpu_read_usec - prev->cpu_read_usec) * IDLE_CPU_PERCENT;
        rec->cycles_whole_idle = quiet && !over ? prev->cycles_whole_idle + 1 : 0;
        if (lru)
                lru->budget_bytes += rec->lru_bytes;
        if (rec->held && rec->pace.hold_cycles > 0)
                job->stats.held_processes++;
        rec->idle_share = resident ? (double) idle / (double) resident : 0.0;
        /* What the advice did shows in the process's figures. */
        if (!job->dry_run && rec->last_action != POLICY_NONE) {
                ProcStatus status;
                if (proc_read_status(t->pid, &status) >= 0) {
                        rec->rss_anon_bytes = status.rss_anon_bytes;
                        rec->swap_bytes = status.vm_swap_bytes;
                }
        }
        job->stats.scanned_bytes += resident;
        idle_result_done(&res);
        return 0;
}

void cycle_check_pressure(CycleJob *job) {
        Psi memory, io;
        bool have_memory = psi_read("memory", &memory) >= 0, have_io = psi_read("io", &io) >= 0;

        job->stats.hold_reason[0] = 0;
        (void) pacing_pressure_hold(&job->pacing, have_memory ? &memory : NULL, have_io ? &io : NULL,
                                    job->stats.hold_reason, sizeof(job->stats.hold_reason));
}

/* How a process's window began this cycle. */
typedef enum MarkState {
        MARK_NONE, /* not marked: skipped */
        MARK_DONE, /* marked, but for the regions being confirmed idle */
        MARK_KEPT_WHOLE, /* not marked: every region's reading runs on */
} MarkState;

static void *cycle_thread(void *userdata) {
        CycleJob *job = userdata;
        uint64_t start = now_usec(CLOCK_MONOTONIC), cpu_start = now_usec(CLOCK_THREAD_CPUTIME_ID);
        void **states = NULL;
        MarkState *marked = NULL;
        uint64_t one = 1;

        /* Only the workers run at idle priority, never the bus. */
        atomic_store(&job->tid, (int) gettid());
        (void) priority_lower();
        /* Cancelled before the id was there to lift: lift it here. */
        if (atomic_load(&job->cancel))
                (void) priority_restore_thread(gettid());

        job->stats.started_usec = now_usec(CLOCK_REALTIME);
        job->stats.dry_run = job->dry_run;

        /* Here, not on the loop: thousands of processes take a while, and
         * the bus is answered meanwhile. */
        job->scan_error = proc_scan(&job->scan_config, &job->protected, &job->scan);
        if (job->scan_error < 0)
                log_warning_errno(job->scan_error, "Failed to scan /proc, skipping this cycle: %m");
        else {
                /* Region-level backends only: a page-exact one names the
                 * idle pages itself. */
                if (job->lru && (job->backend->page_exact || !lru_available()))
                        job->lru = false;
                if (job->lru && cycle_lru_plan(job) < 0)
                        job->lru = false;
                states = calloc(job->scan.n_targets ?: 1, sizeof(void *));
                marked = calloc(job->scan.n_targets ?: 1, sizeof(MarkState));
        }

        for (size_t i = 0; states && marked && i < job->scan.n_targets && !atomic_load(&job->cancel); i++) {
                ProcTarget *t = &job->scan.targets[i];
                _cleanup_free_ IdleSpan *keep = NULL;
                size_t n_keep = 0;
                int r;

                if (t->excluded)
                        continue;
                /* Its cgroup's LRU window began cycles ago: what its
                 * processes used since then keeps its bits. Only a
                 * region-level backend (refs) has one, and it keeps no
                 * state from mark to collect. */
                if (cycle_lru_window_runs_on(job, t->memcg)) {
                        marked[i] = MARK_KEPT_WHOLE;
                        continue;
                }
                /* Nor do its regions being confirmed idle lose their bits. */
                r = confirming_spans(job, t, &keep, &n_keep);
                if (r >= 0)
                        r = proc_target_pin(t);
                if (r >= 0) {
                        r = job->backend->mark(t, job->policy.min_region_bytes,
                                               job->dry_run ? NULL : job->reclaim, keep, n_keep, &states[i]);
                        proc_target_unpin(t);
                }
                if (r < 0 && r != -ESRCH)
                        log_full_errno(LOG_NOTICE, r, "Failed to mark %s[%d] idle, skipping it: %m", t->comm,
                                       (int) t->pid);
                marked[i] = r < 0 ? MARK_NONE : r == IDLE_MARK_KEPT_WHOLE ? MARK_KEPT_WHOLE : MARK_DONE;
        }

        if (states && marked && cycle_wait_usec(job, (uint64_t) job->idle_sample_secs * 1000000)) {
                cycle_check_pressure(job);
                for (size_t i = 0; i < job->scan.n_targets && !atomic_load(&job->cancel); i++) {
                        ProcTarget *t = &job->scan.targets[i];
                        ProcessRecord rec = { .pid = t->pid,
                                              .start_time = t->start_time,
                                              .rss_anon_bytes = t->rss_anon_bytes,
                                              .swap_bytes = t->vm_swap_bytes,
                                              .excluded = t->excluded,
                                              .protected = t->protected,
                                              .ksm = t->ksm };
                        int r = 0;

                        memcpy(rec.comm, t->comm, sizeof(rec.comm));
                        if (!t->excluded) {
                                if (marked[i] == MARK_NONE)
                                        continue;
                                job->stats.processes++;
                                r = proc_target_pin(t);
                                if (r >= 0) {
                                        r = cycle_process(job, t, &states[i], marked[i] == MARK_KEPT_WHOLE,
                                                          &rec);
                                        proc_target_unpin(t);
                                }
                        }
                        if (r == -ESRCH) {
                                /* Gone during the window: nothing to report. */
                                record_free(&rec);
                                continue;
                        }
                        if (r == -EPERM)
                                log_notice("Not allowed to advise %s[%d]'s memory, skipping it.", t->comm,
                                           (int) t->pid);
                        else if (r < 0)
                                log_debug_errno(r, "Failed to work on %s[%d], skipping it: %m", t->comm,
                                                (int) t->pid);
                        rec.cgroup = t->cgroup ? strdup(t->cgroup) : NULL;
                        rec.memcg = t->memcg ? strdup(t->memcg) : NULL;
                        if (table_append(&job->table, &rec) < 0)
                                record_free(&rec);
                }
        }

        if (job->lru && !atomic_load(&job->cancel))
                cycle_lru_run(job);

        /* The pool's ageing works on what is in the pool already: after
         * the pageouts, unless the cycle is cancelled. */
        if (job->age && !atomic_load(&job->cancel) && job->n_pool_devices > 0)
                zram_age_run(job->pool_devices, job->n_pool_devices, &job->age_settings, &job->age_result);

        job->stats.cancelled = atomic_load(&job->cancel);
        job->stats.duration_usec = now_usec(CLOCK_MONOTONIC) - start;
        job->stats.cpu_usec = now_usec(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
        free(states);
        free(marked);
        (void) !write(job->done_fd, &one, sizeof(one));
        return NULL;
}

int cycle_job_start(CycleJob *job) {
        int r;

        job->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        job->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        atomic_store(&job->cancel, false);
        atomic_store(&job->tid, 0);
        if (job->done_fd < 0 || job->cancel_fd < 0) {
                r = -errno;
                goto fail;
        }
        r = -pthread_create(&job->thread, NULL, cycle_thread, job);
        if (r < 0)
                goto fail;
        return 0;

fail:
        if (job->done_fd >= 0)
                close(job->done_fd);
        if (job->cancel_fd >= 0)
                close(job->cancel_fd);
        job->done_fd = job->cancel_fd = -EBADF;
        return r;
}

void cycle_job_cancel(CycleJob *job) {
        uint64_t one = 1;

        atomic_store(&job->cancel, true);
        if (job->cancel_fd >= 0)
                (void) !write(job->cancel_fd, &one, sizeof(one));
        (void) priority_restore_thread((pid_t) atomic_load(&job->tid));
}

void cycle_job_finish(CycleJob *job) {
        (void) pthread_join(job->thread, NULL);
        if (job->done_fd >= 0)
                close(job->done_fd);
        if (job->cancel_fd >= 0)
                close(job->cancel_fd);
        job->done_fd = job->cancel_fd = -EBADF;
        cycle_job_finish_inputs(job);
}

void cycle_job_finish_inputs(CycleJob *job) {
        proc_scan_done(&job->scan);
        lru_plan_done(&job->lru_plan);
        strv_clear(&job->scan_config.excluded_names, &job->scan_config.n_excluded_names);
        strv_clear(&job->scan_config.excluded_cgroups, &job->scan_config.n_excluded_cgroups);
        strv_clear(&job->scan_config.only_cgroups, &job->scan_config.n_only_cgroups);
}

static int strv_copy(char *const *from, size_t n, char ***to, size_t *to_n) {
        for (size_t i = 0; i < n; i++) {
                int r = strv_append_unique(to, to_n, from[i]);

                if (r < 0)
                        return r;
        }
        return 0;
}

int cycle_job_set_scan_config(CycleJob *job, const Config *c) {
        Config *s = &job->scan_config;
        int r;

        *s = (Config){ .min_process_anon_mib = c->min_process_anon_mib };
        r = strv_copy(c->excluded_names, c->n_excluded_names, &s->excluded_names, &s->n_excluded_names);
        if (r >= 0)
                r = strv_copy(c->excluded_cgroups, c->n_excluded_cgroups, &s->excluded_cgroups,
                              &s->n_excluded_cgroups);
        if (r >= 0)
                r = strv_copy(c->only_cgroups, c->n_only_cgroups, &s->only_cgroups, &s->n_only_cgroups);
        return r;
}
