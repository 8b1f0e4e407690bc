/* SPDX-License-Identifier: MIT */
#pragma once

/* Hot pages among cold ones, on kernels without page_idle. A region-level
 * idle backend (refs) knows how much of a region is idle, not which pages:
 * paging the region out takes the hot pages too. The kernel's LRU knows,
 * page by page, through the accessed bits. So the cycle makes such mixed
 * regions cold (MADV_COLD: to the inactive list, accessed bits cleared),
 * waits one idle window for the hot pages to be used again, and then asks
 * the process's memory cgroup for the idle amount (memcg.h: memory.reclaim
 * on cgroup v2, a dip of memory.limit_in_bytes on v1), in steps: the LRU
 * takes the pages not used since, and keeps the ones that were. It stops
 * as soon as pages come back (the cold memory is gone), under memory or IO
 * pressure, when the pool is full, or when the idle amount has moved.
 *
 * The cgroup's reclaim reaches every process in it, and the cgroups below
 * it: a cgroup takes this path only when it has none below it and every
 * process in it may be reclaimed (none excluded, none protected).
 * Elsewhere the region is paged out whole, as before. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "kernel/proc-scan.h"

/* A step asks for 1/LRU_STEP_FRACTION of the cgroup's memory, within
 * [LRU_STEP_MIN_BYTES, LRU_STEP_MAX_BYTES] and never more than is left of
 * the idle amount; one step a second. */
#define LRU_STEP_FRACTION 20U
#define LRU_STEP_MIN_BYTES (UINT64_C(1) << 20)
#define LRU_STEP_MAX_BYTES (UINT64_C(64) << 20)
#define LRU_STEP_INTERVAL_USEC (UINT64_C(1000000))
/* The steps of one cycle take at most this long; the rest waits for the
 * next cycle. */
#define LRU_STEPS_MAX_USEC (UINT64_C(60) * 1000000)
/* Cgroups whose idle amount is below this are left alone this cycle. */
#define LRU_MIN_BYTES (UINT64_C(1) << 20)

/* A cgroup of the cycle's processes. */
typedef struct LruCgroup {
        char *path; /* raw, below the memory controller's hierarchy */
        char *shown; /* escaped, as ProcTarget.memcg */
        bool eligible; /* its LRU may be asked */
        uint64_t budget_bytes; /* idle memory of its mixed regions, made cold this cycle */
} LruCgroup;

typedef struct LruPlan {
        LruCgroup *cgroups;
        size_t n_cgroups;
} LruPlan;

/* Whether this machine has what the path needs: a memory controller, on
 * cgroup v2 or v1. Says in the log which, once. */
bool lru_available(void);

/* The cgroups of the scan's processes that are not excluded, each with
 * whether its LRU may be asked: lru_cgroup_eligible(), and its memory.stat
 * holds at least half of its processes' anonymous memory (a cgroup leaves
 * the memory of a process moved in afterwards charged where it was).
 * -ENOMEM. */
int lru_plan_build(LruPlan *plan, const ProcScan *scan, const Config *c, const ProcProtected *protected);

/* The plan's entry for a cgroup (escaped, as ProcTarget.memcg), or NULL. */
LruCgroup *lru_plan_find(const LruPlan *plan, const char *shown);

void lru_plan_done(LruPlan *plan);

/* Whether the cgroup 'path' (raw; 'shown' escaped) may have its LRU
 * asked: it can be (memcg_has_reclaim()), has no cgroup below it, and none of its
 * processes is excluded or protected. Returns 1, or 0 with *ret_why set
 * to a phrase ("it holds an excluded process"), or a negative errno. */
int lru_cgroup_eligible(const char *path, const char *shown, const ProcScan *scan, const Config *c,
                        const ProcProtected *protected, const char **ret_why);

/* What one cycle asks a cgroup of 'anon' bytes of anonymous memory for,
 * of its idle amount 'budget': 9/10. The LRU keeps a page used since it
 * last looked; but asked for more than is cold, it looks at the same pages
 * again within one request, and a hot page read less often than that
 * goes. The rest waits for the next cycle, which asks again for a share
 * of what is idle then.
 * Where the idle amount is less than 1/LRU_TAIL_FRACTION of the anonymous
 * memory (the cold rest, once most of it moved), half of it: to find a few
 * cold pages among many hot ones the LRU goes through the hot ones again
 * and again, and a hot page or two the idle reading missed weighs as much
 * as the cold rest. */
#define LRU_TAIL_FRACTION 4U
uint64_t lru_target_bytes(uint64_t budget, uint64_t anon);

/* The bytes of the next step for a cgroup of 'current' bytes of memory
 * with 'remaining' bytes of its idle amount still to move. */
uint64_t lru_step_bytes(uint64_t current, uint64_t remaining);

/* Whether 'refault_pages' coming back during a step of 'step_bytes' says
 * the cold memory is gone: more than 1/16 of the step, plus a few pages
 * that were in flight. Once it is gone, what the LRU takes comes back
 * within a second: a third of the step and more, measured. */
bool lru_step_refaulted(uint64_t refault_pages, uint64_t step_bytes, size_t page_size);
