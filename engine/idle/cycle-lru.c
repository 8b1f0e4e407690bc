/* SPDX-License-Identifier: MIT */
/* The cycle's steps of cgroup reclaim (lru.h): after the processes, the
 * cgroups whose mixed regions were made cold have their LRU asked for the
 * idle amount, one paced step at a time. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "common/time-util.h"
#include "idle/cycle.h"
#include "kernel/memcg.h"
#include "kernel/pressure.h"

typedef struct LruRun {
        const LruCgroup *cgroup;
        size_t record; /* its CgroupRecord in the job's table */
        bool active;
        const char *stopped; /* why its steps ended */
        unsigned steps;
        uint64_t target_bytes; /* what the steps ask for at most (lru_target_bytes()) */
        uint64_t asked_bytes; /* what the steps asked for */
        uint64_t swap_start; /* memory.swap.current before the first step */
        uint64_t moved_bytes; /* swap gained since */
        uint64_t step_bytes; /* the last step */
        uint64_t step_refaults; /* refaults (pages) before the last step: read before the first, then by
                                   each step's measure */
        uint64_t refaults; /* pages that came back during the steps */
        uint64_t window_usec; /* how long its idle window had run before the wait for the first step */
} LruRun;

static uint64_t refaults_of(const MemcgStat *st) {
        return st->workingset_refault_anon + st->workingset_refault_file;
}

static const CgroupRecord *previous_cgroup(const ProcessTable *t, const char *path) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cgroups; i++)
                if (streq(t->cgroups[i].path, path))
                        return &t->cgroups[i];
        return NULL;
}

static CgroupRecord *cgroup_record_append(ProcessTable *t, const char *path) {
        CgroupRecord *l = reallocarray(t->cgroups, t->n_cgroups + 1, sizeof(CgroupRecord));
        char *p = strdup(path);

        if (!l || !p) {
                free(p);
                if (l)
                        t->cgroups = l;
                return NULL;
        }
        t->cgroups = l;
        l[t->n_cgroups] = (CgroupRecord){ .path = p };
        return &l[t->n_cgroups++];
}

/* What its processes' records counted as come back this cycle: the
 * engine's own pageouts, page by page. */
static uint64_t processes_refaulted(const CycleJob *job, const char *shown) {
        uint64_t bytes = 0;

        for (size_t i = 0; i < job->table.n_records; i++)
                if (job->table.records[i].memcg && streq(job->table.records[i].memcg, shown))
                        bytes += job->table.records[i].last_refault_bytes;
        return bytes;
}

/* The cgroup's refaults since the engine last looked: they count as its
 * pageouts' refaults (less what its processes' records counted already)
 * and pace its reclaim as a process's pace its pageouts. Returns the
 * record, with its anonymous memory in *ret_anon, or NULL when the cgroup
 * cannot be read. */
static CgroupRecord *cgroup_settle(CycleJob *job, const LruCgroup *g, const CgroupRecord *prev,
                                   size_t page_size, uint64_t now, uint64_t *ret_anon) {
        uint64_t current = 0, swap = 0, counted;
        MemcgStat st;
        CgroupRecord *rec;

        if (memcg_read_stat(g->path, &st) < 0)
                return NULL;
        rec = cgroup_record_append(&job->table, g->path);
        if (!rec)
                return NULL;
        if (prev) {
                uint64_t pages =
                        refaults_of(&st) > prev->refault_pages ? refaults_of(&st) - prev->refault_pages : 0;
                bool over;

                (void) memcg_read_current(g->path, &current);
                (void) memcg_read_swap(g->path, &st, &swap);
                over = pacing_over_budget(&job->pacing, pages * page_size, current + swap,
                                          now - prev->looked_usec);
                rec->pace = pacing_next(prev->pace, over);
                counted = processes_refaulted(job, g->shown);
                if (pages * page_size > counted)
                        job->stats.refault_bytes += pages * page_size - counted;
                if (!over && prev->pace.hold_cycles == 0) {
                        /* pacing_next() halved the wait: a cgroup's window
                         * changes its length only at its end, and halves
                         * only when what came back over it stayed under
                         * half the budget, so that it does not swing back
                         * to a length that went over. */
                        rec->pace.backoff = prev->pace.backoff;
                        if (prev->window_left == 1) {
                                uint64_t back = refaults_of(&st) > prev->window_refault_pages
                                                        ? refaults_of(&st) - prev->window_refault_pages
                                                        : 0;
                                PacingSettings half = job->pacing;

                                half.refault_budget_percent /= 2;
                                if (!pacing_over_budget(&half, back * page_size, current + swap,
                                                        now - prev->window_usec))
                                        rec->pace.backoff =
                                                prev->pace.backoff > 1 ? prev->pace.backoff / 2 : 1;
                        }
                }
        }
        rec->refault_pages = refaults_of(&st);
        rec->looked_usec = now;
        if (prev && (prev->pace.hold_cycles > 0 || prev->window_left > 0) && prev->window_usec) {
                /* Its processes were not marked this cycle: the window
                 * runs on (cycle_lru_window_runs_on()). */
                rec->window_usec = prev->window_usec;
                rec->window_cycles = prev->window_cycles;
                rec->window_left = prev->window_left > 0 ? prev->window_left - 1 : 0;
                rec->window_refault_pages = prev->window_refault_pages;
        } else {
                /* Its mixed regions were made cold just now: a new window,
                 * as long as the pace's backoff says. */
                rec->window_usec = now;
                rec->window_cycles = rec->pace.backoff ? rec->pace.backoff : 1;
                rec->window_left = rec->window_cycles - 1;
                rec->window_refault_pages = refaults_of(&st);
        }
        if (rec->pace.hold_cycles > 0)
                rec->window_left = 0; /* the hold runs the window on */
        *ret_anon = st.anon;
        return rec;
}

bool cycle_lru_window_runs_on(const CycleJob *job, const char *memcg) {
        const LruCgroup *g;
        const CgroupRecord *prev;

        if (!job->lru || !memcg)
                return false;
        g = lru_plan_find(&job->lru_plan, memcg);
        if (!g || !g->eligible)
                return false;
        prev = previous_cgroup(job->previous, g->path);
        return prev && !prev->refused && (prev->pace.hold_cycles > 0 || prev->window_left > 0);
}

int cycle_lru_plan(CycleJob *job) {
        int r = lru_plan_build(&job->lru_plan, &job->scan, &job->scan_config, &job->protected);

        if (r < 0)
                return r;
        /* A cgroup whose reclaim file refused a write is paged out
         * region by region from then on. */
        for (size_t i = 0; i < job->lru_plan.n_cgroups; i++) {
                LruCgroup *g = &job->lru_plan.cgroups[i];
                const CgroupRecord *prev = previous_cgroup(job->previous, g->path);

                if (prev && prev->refused)
                        g->eligible = false;
        }
        return 0;
}

static bool lru_any_active(const LruRun *runs, size_t n_runs) {
        for (size_t i = 0; i < n_runs; i++)
                if (runs[i].active)
                        return true;
        return false;
}

static void lru_stop_all(LruRun *runs, size_t n_runs, const char *why) {
        for (size_t i = 0; i < n_runs; i++)
                if (runs[i].active) {
                        runs[i].active = false;
                        runs[i].stopped = why;
                }
}

/* Whether the pool has room for 'want' bytes more, at the ratio it has;
 * else the cycle holds with "the pool is full". */
static bool lru_pool_room(CycleJob *job, uint64_t want) {
        CompressPoolFigures f;

        if (job->n_pool_devices == 0)
                return true;
        compress_pool_read(job->pool_devices, job->n_pool_devices, &f);
        if (compress_pool_has_room(&f, want,
                                   f.orig_bytes ? (double) f.compr_bytes / (double) f.orig_bytes : 1.0))
                return true;
        cycle_hold_pool_full(job, &f);
        return false;
}

/* One step for each cgroup still going, when the pool has room for all
 * of them. */
static void lru_step(CycleJob *job, LruRun *runs, size_t n_runs) {
        uint64_t want = 0;

        for (size_t i = 0; i < n_runs; i++) {
                LruRun *run = &runs[i];
                const char *why = NULL;
                uint64_t current;
                MemcgStat st = {};
                int r;

                if (!run->active)
                        continue;
                /* A process may have joined it since the plan. */
                r = lru_cgroup_eligible(run->cgroup->path, run->cgroup->shown, &job->scan, &job->scan_config,
                                        &job->protected, &why);
                if (r <= 0) {
                        run->active = false;
                        run->stopped = r < 0 ? "it could not be read" : why;
                        continue;
                }
                if (memcg_read_current(run->cgroup->path, &current) < 0 ||
                    (run->steps == 0 && memcg_read_stat(run->cgroup->path, &st) < 0)) {
                        run->active = false;
                        run->stopped = "it could not be read";
                        continue;
                }
                run->step_bytes = lru_step_bytes(current, run->target_bytes > run->moved_bytes
                                                                  ? run->target_bytes - run->moved_bytes
                                                                  : 0);
                if (run->step_bytes == 0) {
                        run->active = false;
                        run->stopped = "the idle amount moved";
                        continue;
                }
                if (run->steps == 0)
                        run->step_refaults = refaults_of(&st);
                want += run->step_bytes;
        }
        if (want == 0 || !lru_pool_room(job, want)) {
                lru_stop_all(runs, n_runs, job->stats.hold_reason);
                return;
        }

        for (size_t i = 0; i < n_runs; i++) {
                LruRun *run = &runs[i];
                int r;

                if (!run->active)
                        continue;
                r = memcg_reclaim(run->cgroup->path, run->step_bytes, job->lru_pending);
                run->steps++;
                run->asked_bytes += run->step_bytes;
                if (r == -EAGAIN) {
                        run->active = false;
                        run->stopped = "the kernel found nothing more to take";
                } else if (r < 0) {
                        /* Read-only: the unit's sandbox leaves this
                         * slice's cgroups closed (ReadWritePaths=). */
                        log_full_errno(
                                r == -EROFS ? LOG_WARNING : LOG_NOTICE, r, "Failed to write %s of %s: %m%s",
                                memcg_reclaim_file(), run->cgroup->shown,
                                r == -EROFS ? " (its slice is not in the unit's ReadWritePaths=)" : "");
                        run->active = false;
                        run->stopped = "its cgroup refused the write";
                        job->table.cgroups[run->record].refused = true;
                }
        }
}

/* What each step did: stops a cgroup whose pages came back, or whose idle
 * amount has moved. */
static void lru_measure(LruRun *runs, size_t n_runs, size_t page_size) {
        for (size_t i = 0; i < n_runs; i++) {
                LruRun *run = &runs[i];
                uint64_t swap, back;
                MemcgStat st;
                bool have_stat;

                if (run->steps == 0)
                        continue;
                /* A run still going reads memory.stat for its refaults; on
                 * cgroup v1 its swap is there too. */
                have_stat = run->active && memcg_read_stat(run->cgroup->path, &st) >= 0;
                if (memcg_read_swap(run->cgroup->path, have_stat ? &st : NULL, &swap) >= 0)
                        run->moved_bytes = swap > run->swap_start ? swap - run->swap_start : 0;
                if (!have_stat)
                        continue;
                back = refaults_of(&st) > run->step_refaults ? refaults_of(&st) - run->step_refaults : 0;
                run->refaults += back;
                run->step_refaults = refaults_of(&st);
                if (lru_step_refaulted(back, run->step_bytes, page_size)) {
                        run->active = false;
                        run->stopped = "pages came back: the idle memory is gone";
                } else if (run->moved_bytes >= run->target_bytes) {
                        run->active = false;
                        run->stopped = "the idle amount moved";
                } else if (run->asked_bytes >= 2 * run->cgroup->budget_bytes) {
                        run->active = false;
                        run->stopped = "twice the idle amount was asked for";
                }
        }
}

/* The processes' share of what their cgroup's LRU moved: their swap grew. */
static void lru_attribute(CycleJob *job, const LruRun *runs, size_t n_runs) {
        for (size_t i = 0; i < job->table.n_records; i++) {
                ProcessRecord *rec = &job->table.records[i];
                ProcStatus st;

                if (rec->lru_bytes == 0 || !rec->memcg)
                        continue;
                for (size_t k = 0; k < n_runs; k++) {
                        if (runs[k].moved_bytes == 0 || !streq(runs[k].cgroup->shown, rec->memcg))
                                continue;
                        if (proc_read_status(rec->pid, &st) >= 0) {
                                if (st.vm_swap_bytes > rec->swap_bytes)
                                        rec->pageout_bytes += st.vm_swap_bytes - rec->swap_bytes;
                                rec->rss_anon_bytes = st.rss_anon_bytes;
                                rec->swap_bytes = st.vm_swap_bytes;
                                rec->last_action = POLICY_PAGEOUT;
                        }
                        break;
                }
        }
}

void cycle_lru_run(CycleJob *job) {
        size_t page_size = (size_t) sysconf(_SC_PAGESIZE), n_runs = 0;
        uint64_t now = now_usec(CLOCK_MONOTONIC), deadline, cpu_start;
        _cleanup_free_ LruRun *runs = calloc(job->lru_plan.n_cgroups ?: 1, sizeof(LruRun));

        if (!runs)
                return;
        for (size_t i = 0; i < job->lru_plan.n_cgroups; i++) {
                const LruCgroup *g = &job->lru_plan.cgroups[i];
                const CgroupRecord *prev = previous_cgroup(job->previous, g->path);
                CgroupRecord *rec;
                uint64_t anon = 0;

                if (prev && prev->refused) {
                        CgroupRecord *kept = cgroup_record_append(&job->table, g->path);

                        if (kept)
                                kept->refused = true;
                        continue;
                }
                if (!g->eligible || (!prev && g->budget_bytes < LRU_MIN_BYTES))
                        continue;
                rec = cgroup_settle(job, g, prev, page_size, now, &anon);
                if (!rec || g->budget_bytes < LRU_MIN_BYTES)
                        continue;
                if (rec->pace.hold_cycles > 0 && (!prev || prev->pace.hold_cycles == 0))
                        log_info("Cgroup %s: what came back of its pages went over the refault budget: its "
                                 "LRU waits %u cycle%s, and its idle window runs on through them.",
                                 g->shown, rec->pace.hold_cycles, rec->pace.hold_cycles == 1 ? "" : "s");
                if (rec->pace.hold_cycles > 0 || job->stats.hold_reason[0]) {
                        job->stats.held_bytes += g->budget_bytes;
                        continue;
                }
                if (rec->window_left > 0) {
                        if (rec->window_left + 1 == rec->window_cycles)
                                log_info("Cgroup %s: its idle window runs %u cycles; its LRU is asked at "
                                         "the end.",
                                         g->shown, rec->window_cycles);
                        continue;
                }
                if (job->dry_run) {
                        job->stats.pageout_bytes += g->budget_bytes;
                        job->stats.lru_bytes += g->budget_bytes;
                        continue;
                }
                runs[n_runs++] = (LruRun){ .cgroup = g,
                                           .record = job->table.n_cgroups - 1,
                                           .active = true,
                                           .window_usec = now - rec->window_usec,
                                           .target_bytes = lru_target_bytes(g->budget_bytes, anon) };
                (void) memcg_read_swap(g->path, NULL, &runs[n_runs - 1].swap_start);
        }
        if (n_runs == 0)
                return;

        /* One idle window for the hot pages to be used again: MADV_COLD
         * cleared their accessed bits. */
        if (!cycle_wait_usec(job, (uint64_t) job->idle_sample_secs * 1000000))
                return;

        cpu_start = now_usec(CLOCK_THREAD_CPUTIME_ID);
        deadline = now_usec(CLOCK_MONOTONIC) + LRU_STEPS_MAX_USEC;
        while (lru_any_active(runs, n_runs)) {
                if (now_usec(CLOCK_MONOTONIC) >= deadline) {
                        lru_stop_all(runs, n_runs, "the cycle's time for it ran out");
                        break;
                }
                cycle_check_pressure(job);
                if (job->stats.hold_reason[0]) {
                        lru_stop_all(runs, n_runs, job->stats.hold_reason);
                        break;
                }
                lru_step(job, runs, n_runs);
                if (!cycle_wait_usec(job, LRU_STEP_INTERVAL_USEC)) {
                        lru_stop_all(runs, n_runs, "the cycle was cancelled");
                        lru_measure(runs, n_runs, page_size);
                        break;
                }
                lru_measure(runs, n_runs, page_size);
        }
        job->stats.pageout_cpu_usec += now_usec(CLOCK_THREAD_CPUTIME_ID) - cpu_start;

        for (size_t i = 0; i < n_runs; i++) {
                LruRun *run = &runs[i];

                job->stats.pageout_bytes += run->moved_bytes;
                job->stats.lru_bytes += run->moved_bytes;
                if (run->moved_bytes > 0)
                        job->stats.lru_cgroups++;
                log_info("Cgroup %s: its LRU moved %" PRIu64 " of %" PRIu64
                         " MiB idle to swap in %u steps, after an idle window of %" PRIu64 " s; %" PRIu64
                         " pages came back meanwhile (%s).",
                         run->cgroup->shown, run->moved_bytes >> 20, run->cgroup->budget_bytes >> 20,
                         run->steps,
                         (uint64_t) ((run->window_usec + (uint64_t) job->idle_sample_secs * USEC_PER_SEC) /
                                     USEC_PER_SEC),
                         run->refaults, run->stopped ?: "done");
        }
        lru_attribute(job, runs, n_runs);
}
