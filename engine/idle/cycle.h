/* SPDX-License-Identifier: MIT */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "idle/compress.h"
#include "idle/idle.h"
#include "idle/lru.h"
#include "idle/pacing.h"
#include "idle/policy.h"
#include "idle/refault.h"
#include "kernel/proc-scan.h"
#include "kernel/reclaim.h"
#include "pool/zram-age.h"

/* What the engine remembers about a region across cycles. */
typedef struct RegionRecord {
        uint64_t start, end;
        unsigned streak; /* consecutive cycles idle enough to page out */
        bool mixed; /* hot pages among idle ones, left to its cgroup's LRU (lru.h) */
        bool hot_seen; /* held hot pages (came back, or mixed) and has not gone out whole since */
        bool confirmed; /* went out whole after its hot pages were confirmed cold; none came back yet */
        unsigned confirm; /* readings in a row that must find it idle (0: the default, region_confirm()) */
        bool came_back; /* pages the engine paged out came back to it this cycle */
        PageMemory memory; /* what the engine paged out and what came back */
        CompressSegment *segments; /* how each COMPRESS_SEGMENT_PAGES compress; NULL: never probed */
        size_t n_segments;
} RegionRecord;

/* A region that held hot pages goes out whole, or forgets which of its
 * pages came back, only after this many readings in a row found it idle
 * (or pageout_after_cycles, where that is more): one reading is not
 * enough to undo what the refaults showed. */
#define HOT_CONFIRM_CYCLES 3

/* Each time pages come back to a region that went out whole after such
 * a confirmation, the next one needs twice as many readings, up to this. */
#define HOT_CONFIRM_CYCLES_MAX 32

/* A process using less of one CPU than this, in percent, does nothing. */
#define IDLE_CPU_PERCENT 1

/* What the engine knows about one process, as ListProcesses shows it. */
typedef struct ProcessRecord {
        pid_t pid;
        uint64_t start_time;
        char comm[PROC_COMM_SIZE]; /* escaped (proc-scan.h) */
        char *cgroup; /* escaped */
        char *memcg; /* escaped: its memory cgroup (ProcTarget.memcg) */
        uint64_t rss_anon_bytes;
        uint64_t swap_bytes;
        double idle_share; /* of its resident anonymous memory, last window */
        unsigned cycles_idle; /* longest region streak */
        /* Consecutive cycles in which it did nothing: under IDLE_CPU_PERCENT
         * of a CPU since the cycle before, and what came back of its
         * pageouts within the refault budget. The automatic hibernation's
         * measure (engine-hibernate.c). */
        unsigned cycles_whole_idle;
        uint64_t cpu_ticks; /* utime and stime, all threads */
        uint64_t cpu_read_usec; /* CLOCK_MONOTONIC, when they were read; 0: never */
        uint64_t cold_bytes; /* advised MADV_COLD, over the engine's life */
        uint64_t pageout_bytes; /* advised MADV_PAGEOUT */
        uint64_t refault_bytes; /* of those, needed again afterwards */
        uint64_t last_refault_bytes; /* came back since the last cycle */
        uint64_t collected_usec; /* CLOCK_MONOTONIC, when the refaults were counted */
        uint64_t lru_bytes; /* idle memory made cold this cycle and left to its cgroup's LRU (lru.h) */
        PaceState pace; /* pageouts wait while pace.hold_cycles > 0 */
        bool held; /* a pageout was due this cycle and waited */
        PolicyAction last_action;
        bool excluded;
        bool protected; /* never advised, whatever the configuration */
        ProcKsmStat ksm; /* as of the cycle's scan */
        RegionRecord *regions;
        size_t n_regions;
} ProcessRecord;

/* What the engine remembers about a cgroup whose LRU it asked to reclaim
 * (lru.h). */
typedef struct CgroupRecord {
        char *path; /* raw, as /proc/PID/cgroup has it */
        PaceState pace; /* its reclaim waits while pace.hold_cycles > 0 */
        uint64_t window_usec; /* CLOCK_MONOTONIC: its processes' idle window began about then */
        unsigned window_cycles; /* the window's length in cycles (1: every cycle marks and asks) */
        unsigned window_left; /* cycles it runs on after this one: no mark, no MADV_COLD, no LRU */
        uint64_t window_refault_pages; /* memory.stat's refaults when the window began */
        uint64_t refault_pages; /* memory.stat's refaults (anon and file) when last read */
        uint64_t looked_usec; /* CLOCK_MONOTONIC, when they were read */
        bool refused; /* its reclaim file refused a write: never asked again */
} CgroupRecord;

typedef struct ProcessTable {
        ProcessRecord *records;
        size_t n_records;
        CgroupRecord *cgroups;
        size_t n_cgroups;
} ProcessTable;

void process_table_done(ProcessTable *t);

/* The figures of one cycle. */
typedef struct CycleStats {
        uint64_t started_usec; /* CLOCK_REALTIME */
        uint64_t duration_usec;
        uint64_t cpu_usec; /* the worker's CPU time */
        unsigned processes; /* looked at (not excluded) */
        uint64_t scanned_bytes; /* their resident anonymous memory */
        uint64_t cold_bytes; /* advised (or, in dry run, planned) */
        uint64_t pageout_bytes;
        uint64_t pageout_cpu_usec; /* the worker's CPU in pageouts (the kernel compresses in it) */
        uint64_t refault_bytes; /* of the engine's pageouts, needed again since the last cycle */
        uint64_t held_bytes; /* pageouts that waited (pressure, refault budget, the pool full) */
        uint64_t incompressible_bytes; /* idle memory kept out: it compresses poorly */
        uint64_t probe_bytes; /* paged out to learn how segments compress */
        uint64_t lru_bytes; /* of pageout_bytes, what cgroups' LRUs moved at the engine's request */
        unsigned lru_cgroups; /* the cgroups they moved it from */
        unsigned held_processes; /* processes whose pageouts waited for their refaults */
        char hold_reason[96]; /* why every pageout waited, "" when none did */
        bool dry_run;
        bool cancelled;
} CycleStats;

/* One cycle, run by a worker thread off the event loop: scan /proc, mark,
 * wait, collect, decide, advise. The loop thread hands it what the scan
 * needs (its own copy of the exclusions, the protected pids) and the
 * previous table, and gets the new table and the figures back. */
typedef struct CycleJob {
        /* in */
        Config scan_config; /* the exclusions and min_process_anon_mib alone, the job's own copy */
        ProcProtected protected;
        ProcScan scan; /* filled by the thread */
        int scan_error; /* the scan's, negative: the cycle did nothing */
        const ProcessTable *previous; /* read-only while the job runs */
        const IdleBackend *backend;
        const Reclaim *reclaim;
        PolicySettings policy;
        PacingSettings pacing;
        unsigned idle_sample_secs;
        bool dry_run;
        /* Mixed regions (hot pages among idle ones, which a region-level
         * backend cannot tell apart) go to their cgroup's LRU in paced
         * steps of its reclaim, where the cgroup allows it (lru.h). */
        bool lru;
        const char *lru_pending; /* the record of a lowered v1 limit (memcg_reclaim()) */
        LruPlan lru_plan; /* filled by the thread */
        /* The pool's devices, whose figures judge what each pageout put in:
         * none (no pool) pages out without probing. */
        unsigned pool_devices[COMPRESS_POOL_DEVICES_MAX];
        size_t n_pool_devices;
        /* A step of the pool's ageing after the pageouts, when due. */
        bool age;
        ZramAgeSettings age_settings;
        /* out */
        ZramAgeResult age_result;
        ProcessTable table;
        CycleStats stats;
        /* control */
        pthread_t thread;
        int done_fd; /* eventfd: written when the job finished */
        int cancel_fd; /* eventfd: written to cancel */
        atomic_bool cancel;
        atomic_int tid; /* the thread's id once it runs, 0 before */
} CycleJob;

/* Inside the job's thread (cycle.c, cycle-lru.c): */
/* Waits 'usec' or until the job is cancelled: false then. */
bool cycle_wait_usec(CycleJob *job, uint64_t usec);
/* Whether the machine's memory or IO pressure holds every pageout back
 * now; says why in the stats' hold_reason. */
void cycle_check_pressure(CycleJob *job);
/* The rest of the cycle's pageouts wait: the pool has no room. */
void cycle_hold_pool_full(CycleJob *job, const CompressPoolFigures *f);
/* Fills job->lru_plan from the scan (lru_plan_build()), less the
 * cgroups that refused the engine before. -ENOMEM. */
int cycle_lru_plan(CycleJob *job);
/* The steps of cgroup reclaim for the plan's cgroups (lru.h). */
void cycle_lru_run(CycleJob *job);
/* Whether the idle window of the processes in memory cgroup 'memcg'
 * (escaped, as ProcTarget.memcg) runs on through this cycle: their
 * cgroup's LRU is held back (its refaults went over the budget), or its
 * window is longer than one cycle (it went over before, and the window
 * grew); they are neither marked nor made cold again, and the LRU, when
 * next asked, keeps every page used since the window began, not only
 * those used within one idle_sample_secs. */
bool cycle_lru_window_runs_on(const CycleJob *job, const char *memcg);

/* Starts the job's thread. The caller watches job->done_fd. */
int cycle_job_start(CycleJob *job);

/* Asks a running job to stop early (between steps; the wait ends at once),
 * and lifts its thread to the service's priority so that it gets there
 * promptly on a busy machine: the loop is about to wait for it. */
void cycle_job_cancel(CycleJob *job);

/* Waits for the thread and frees the job's inputs (not the output table). */
void cycle_job_finish(CycleJob *job);

/* Frees the job's inputs (the scan, its configuration): what
 * cycle_job_finish() does after the join, for a job whose thread never
 * started. */
void cycle_job_finish_inputs(CycleJob *job);

/* Copies what the scan reads of 'c' into job->scan_config. -ENOMEM. */
int cycle_job_set_scan_config(CycleJob *job, const Config *c);
