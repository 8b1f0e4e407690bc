/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "kernel/proc-scan.h"
#include "kernel/reclaim.h"
#include "kernel/smaps.h"

/* One anonymous memory region (VMA) of a process and how much of it stayed
 * idle over the sample window. */
typedef struct IdleRegion {
        uint64_t start, end; /* virtual addresses */
        uint64_t resident_bytes; /* anonymous and present */
        uint64_t idle_bytes; /* of those, not touched during the window */
        uint64_t swap_bytes;
        /* page_idle only: the idle pages as address ranges, coalesced. */
        struct iovec *idle_ranges;
        size_t n_idle_ranges;
} IdleRegion;

typedef struct IdleResult {
        IdleRegion *regions;
        size_t n_regions;
} IdleResult;

void idle_result_done(IdleResult *r);

/* A region by its bounds, as smaps names it. */
typedef struct IdleSpan {
        uint64_t start, end;
} IdleSpan;

/* mark() left every bit of the process as it was: it can mark only the
 * whole process, and 'keep' asked it to leave some regions alone. */
#define IDLE_MARK_KEPT_WHOLE 1

/* An idle tracking backend. Both steps take a process scanned this cycle;
 * -ESRCH means it went away (dropped quietly by the caller). */
typedef struct IdleBackend {
        const char *name; /* "page_idle", "refs" */
        /* Whether the kernel offers what the backend needs: 1 yes, 0 no. */
        int (*probe)(void);
        /* Starts the window: marks the process's anonymous pages idle, at
         * least those in regions of min_region_bytes and more (the only
         * ones collect() looks at). 'cold' (NULL in a dry run): the refs
         * backend may mark those regions with MADV_COLD through t->pidfd,
         * which flushes the TLB entries of the pages it marks, instead of
         * clear_refs, which does not. The regions in 'keep' (refs only)
         * keep their bits: their reading runs on from an earlier mark.
         * Where only the whole process can be marked (clear_refs) and
         * 'keep' is not empty, nothing is, and it returns
         * IDLE_MARK_KEPT_WHOLE. */
        int (*mark)(const ProcTarget *t, uint64_t min_region_bytes, const Reclaim *cold,
                    const IdleSpan *keep, size_t n_keep, void **state);
        /* Ends it: which anonymous memory stayed idle, per region of at
         * least min_region_bytes. Frees *state. */
        int (*collect)(const ProcTarget *t, void **state, uint64_t min_region_bytes, IdleResult *ret);
        /* Whether idle_ranges are page-exact (page out only those). */
        bool page_exact;
} IdleBackend;

extern const IdleBackend idle_backend_refs;
extern const IdleBackend idle_backend_page_idle;

/* The backend the configuration asks for: page_idle where the kernel has
 * it (auto) else refs. NULL with a logged reason when a forced backend is
 * not available. */
const IdleBackend *idle_backend_pick(const Config *c);

/* ---- parsers, exposed for tests ---- */

/* pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst). */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_FILE_SHARED (1ULL << 61)
#define PM_EXCLUSIVE (1ULL << 56)
#define PM_PFN_MASK ((1ULL << 55) - 1)

/* From pagemap entries of 'n_pages' pages starting at 'start', and the
 * page_idle bits of their PFNs (is_idle(pfn) → 1 idle, 0 not), builds the
 * coalesced ranges of present, anonymous (not file/shared), idle pages.
 * Pages not present, swapped or without a PFN are never in a range. */
int idle_ranges_from_pagemap(uint64_t start, size_t page_size, const uint64_t *entries, size_t n_pages,
                             int (*is_idle)(uint64_t pfn, void *userdata), void *userdata,
                             struct iovec **ret, size_t *ret_n, uint64_t *ret_present_bytes,
                             uint64_t *ret_idle_bytes);
