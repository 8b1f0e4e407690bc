/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/log.h"
#include "common/macro.h"
#include "idle/lru.h"
#include "kernel/memcg.h"

/* Pages that may come back during a step without stopping it: a few were
 * in flight when the step began. */
#define LRU_REFAULT_SLACK_PAGES 8U

bool lru_available(void) {
        static int said = -1;
        MemcgHierarchy h = memcg_hierarchy();

        if ((int) h != said) {
                if (h == MEMCG_NONE)
                        log_info("No memory controller here: regions with hot pages among idle ones are "
                                 "paged out whole, and what comes back is learned.");
                else if (h == MEMCG_V1)
                        log_info("Memory controller on cgroup v1: regions with hot pages among idle ones go "
                                 "to their cgroup's LRU through short dips of its memory.limit_in_bytes.");
                said = (int) h;
        }
        return h != MEMCG_NONE;
}

void lru_plan_done(LruPlan *plan) {
        for (size_t i = 0; i < plan->n_cgroups; i++) {
                free(plan->cgroups[i].path);
                free(plan->cgroups[i].shown);
        }
        free(plan->cgroups);
        *plan = (LruPlan){};
}

LruCgroup *lru_plan_find(const LruPlan *plan, const char *shown) {
        if (!shown)
                return NULL;
        for (size_t i = 0; i < plan->n_cgroups; i++)
                if (streq(plan->cgroups[i].shown, shown))
                        return &plan->cgroups[i];
        return NULL;
}

/* Whether a process the scan passed over is excluded, by its name or by
 * its cgroup: 'memcg' where that is its cgroup too (v2), else the one its
 * /proc/PID/cgroup names. 1, 0, or a negative errno. */
static int small_excluded(const Config *c, pid_t pid, const char *comm, const char *memcg) {
        _cleanup_free_ char *cgroup = NULL;
        int r;

        if (memcg_hierarchy() != MEMCG_V1)
                return proc_excluded_by(c, comm, memcg) != NULL;
        r = proc_read_cgroup(pid, &cgroup);
        if (r == -ESRCH)
                return 0;
        if (r < 0 && r != -ENOENT)
                return r;
        return proc_excluded_by(c, comm, cgroup) != NULL;
}

int lru_cgroup_eligible(const char *path, const char *shown, const ProcScan *scan, const Config *c,
                        const ProcProtected *protected, const char **ret_why) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r;

        r = memcg_has_reclaim(path);
        if (r <= 0) {
                *ret_why = "it has no memory.reclaim";
                return r;
        }
        r = memcg_has_children(path);
        if (r != 0) {
                *ret_why = "it has cgroups below it";
                return r < 0 ? r : 0;
        }
        r = memcg_read_pids(path, &pids, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                const ProcTarget *t = proc_scan_find(scan, pids[i]);
                ProcStat st;

                if (t) {
                        if (t->protected) {
                                *ret_why = "it holds a protected process";
                                return 0;
                        }
                        if (t->excluded) {
                                *ret_why = "it holds an excluded process";
                                return 0;
                        }
                        continue;
                }
                /* Too small for the scan, or new: its name decides. */
                if (pids[i] == protected->self) {
                        *ret_why = "it holds the engine";
                        return 0;
                }
                r = proc_read_stat(pids[i], &st);
                if (r == -ESRCH || r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                if (proc_protected_reason(protected, pids[i], st.comm)) {
                        *ret_why = "it holds a protected process";
                        return 0;
                }
                r = small_excluded(c, pids[i], st.comm, shown);
                if (r < 0)
                        return r;
                if (r > 0) {
                        *ret_why = "it holds an excluded process";
                        return 0;
                }
        }
        return 1;
}

/* Whether the cgroup holds its processes' memory: a process moved into it
 * after it allocated (cgroup v2 moves no charges) has its memory charged
 * where it was, out of this cgroup's memory.reclaim's reach. */
static bool charged_here(const LruCgroup *g, const ProcScan *scan) {
        uint64_t anon = 0;
        MemcgStat st;

        for (size_t i = 0; i < scan->n_targets; i++)
                if (scan->targets[i].memcg && streq(scan->targets[i].memcg, g->shown))
                        anon += scan->targets[i].rss_anon_bytes;
        return memcg_read_stat(g->path, &st) >= 0 && st.anon >= anon / 2;
}

int lru_plan_build(LruPlan *plan, const ProcScan *scan, const Config *c, const ProcProtected *protected) {
        *plan = (LruPlan){};
        for (size_t i = 0; i < scan->n_targets; i++) {
                const ProcTarget *t = &scan->targets[i];
                const char *why = NULL;
                LruCgroup *l, *g;
                int r;

                if (t->excluded || !t->memcg || lru_plan_find(plan, t->memcg))
                        continue;
                l = reallocarray(plan->cgroups, plan->n_cgroups + 1, sizeof(LruCgroup));
                if (!l)
                        return -ENOMEM;
                plan->cgroups = l;
                g = &plan->cgroups[plan->n_cgroups];
                *g = (LruCgroup){ .shown = strdup(t->memcg), .path = unescape_bytes(t->memcg, NULL) };
                plan->n_cgroups++;
                if (!g->shown || !g->path)
                        return -ENOMEM;
                r = lru_cgroup_eligible(g->path, g->shown, scan, c, protected, &why);
                if (r > 0 && !charged_here(g, scan)) {
                        why = "its processes' memory is charged to another cgroup";
                        r = 0;
                }
                g->eligible = r > 0;
                if (r < 0)
                        log_debug_errno(r,
                                        "Cannot tell whether cgroup %s may be reclaimed, leaving it be: %m",
                                        g->shown);
                else if (r == 0)
                        log_debug("Cgroup %s is paged out region by region: %s.", g->shown, why);
        }
        return 0;
}

uint64_t lru_target_bytes(uint64_t budget, uint64_t anon) {
        if (budget < anon / LRU_TAIL_FRACTION)
                return budget / 2;
        return budget / 10 * 9;
}

uint64_t lru_step_bytes(uint64_t current, uint64_t remaining) {
        uint64_t step = current / LRU_STEP_FRACTION;

        if (step < LRU_STEP_MIN_BYTES)
                step = LRU_STEP_MIN_BYTES;
        if (step > LRU_STEP_MAX_BYTES)
                step = LRU_STEP_MAX_BYTES;
        return step < remaining ? step : remaining;
}

bool lru_step_refaulted(uint64_t refault_pages, uint64_t step_bytes, size_t page_size) {
        return refault_pages > step_bytes / page_size / 16 + LRU_REFAULT_SLACK_PAGES;
}
