/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "config/config.h"
#include "hibernate/hibernate.h"
#include "idle/cycle.h"
#include "idle/reclaim-process.h"
#include "kernel/stats.h"
#include "kernel/tuning.h"
#include "ksm/ksm-control.h"
#include "pool/zram-pool.h"
#include "state/runtime-state.h"

typedef enum EngineState {
        ENGINE_RUNNING,
        ENGINE_PAUSED,
        _ENGINE_STATE_MAX,
} EngineState;

/* What changed, for the bus adapter to announce: each bit stands for the
 * properties that change with it (dbus/bus-vtables.c). */
typedef enum EngineChange {
        ENGINE_CHANGED_PROFILE = 1 << 0,
        ENGINE_CHANGED_DRY_RUN = 1 << 1,
        ENGINE_CHANGED_TUNING = 1 << 2,
        ENGINE_CHANGED_POOL = 1 << 3,
        ENGINE_CHANGED_CYCLE = 1 << 4, /* a cycle finished: figures and CycleFinished */
        ENGINE_CHANGED_BACKEND = 1 << 5,
        ENGINE_CHANGED_KSM = 1 << 6,
        ENGINE_CHANGED_EXCLUSIONS = 1 << 7,
        ENGINE_CHANGED_POLICIES = 1 << 8,
        ENGINE_CHANGED_LIFETIME = 1 << 9,
        ENGINE_CHANGED_STATE = 1 << 10, /* paused or running */
} EngineChange;

/* What the configuration files (and profile) said before the runtime
 * state was laid over them: their exclusions come first in the lists. */
typedef struct ConfigOrigin {
        size_t n_names;
        size_t n_cgroups;
        bool zram_enabled;
        bool ksm_enabled;
        bool tuning_enabled;
} ConfigOrigin;

/* When the first cycle starts after the engine did. */
#define ENGINE_FIRST_CYCLE_USEC (1ULL * 1000000ULL)

/* How often the pool's budget follows its use. */
#define ENGINE_POOL_CHECK_USEC (2ULL * 1000000ULL)

typedef struct BusServer BusServer;

/* A run of the hibernation helper (engine-hibernate.c), for one process. */
typedef struct HibernateJob {
        pid_t pid;
        bool wake; /* restore, else checkpoint */
        void *userdata; /* the call to answer */
        int pidfd; /* the helper (or systemd-run) */
        sd_event_source *exit_source;
        int out_fd; /* its stdout and stderr */
        char *output;
        size_t output_len;
        uint64_t start_usec;
        uint64_t duration_usec;
        int status; /* its exit status: 0 done, 1 failed, 2 refused by CRIU, 3 no such process, 4
                       protected or excluded; -1 killed */
        bool automatic; /* the engine's own choice (enable_hibernation), not a call's */
        uint64_t start_time; /* the process's, for an automatic one */
} HibernateJob;

/* A process the automatic level tried and the helper refused: not tried
 * again while it lives. */
typedef struct HibernateRefused {
        pid_t pid;
        uint64_t start_time;
} HibernateRefused;

/* The engine's state; the D-Bus adapter (BusServer) is its only window to
 * the bus. */
typedef struct Engine Engine;

struct Engine {
        sd_event *event;
        EngineState state;
        BusServer *bus_server;
        ConfigLoadArgs config_args;
        Config config; /* the files' settings with the runtime state laid over them */
        ConfigOrigin origin;
        Tuning tuning;
        ZramPool pool;
        KsmControl ksm;
        bool pool_started;
        sd_event_source *pool_timer;
        /* The pool being removed (its swapoffs in a thread), or NULL. */
        ZramPoolStop *pool_stop;
        sd_event_source *pool_stop_source;
        /* Called when neither a pool removal nor a cancelled cycle is left
         * (engine_settling), to answer the calls that waited for them. */
        void (*on_settled)(Engine *e);
        char *runtime_dir;
        char *memcg_pending; /* a v1 cgroup limit lowered for a reclaim step, while it is (memcg.h) */
        uint64_t start_realtime_usec;
        uint64_t start_monotonic_usec;

        /* Changed through the bus and kept across restarts in state_dir. */
        char *state_dir;
        char *runtime_state_path;
        RuntimeState runtime;
        bool compression_on;

        /* ReclaimProcess in progress, or NULL; on_reclaim_done answers it. */
        ReclaimProcessJob *reclaim_job;
        sd_event_source *reclaim_source;
        void (*on_reclaim_done)(Engine *e, ReclaimProcessJob *job);

        /* HibernateProcess or WakeProcess in progress, or NULL. */
        HibernateJob *hibernate_job;
        void (*on_hibernate_done)(Engine *e, HibernateJob *job);
        HibernateRefused *hibernate_refused;
        size_t n_hibernate_refused;
        bool stopping; /* engine_stop() runs: nothing new starts */

        /* A failing export is logged once, not every cycle. */
        bool export_json_failed;
        bool export_prometheus_failed;

        /* Finding cold memory */
        Reclaim reclaim;
        const IdleBackend *backend;
        sd_event_source *cycle_timer;
        sd_event_source *job_source;
        CycleJob *job; /* the cycle in progress (or ending after a cancel), or NULL */
        bool cycle_restart; /* the next cycle soon after the cancelled one ends */
        ProcessTable processes; /* as of the last finished cycle */
        uint64_t cycle_count;
        CycleStats last_cycle;
        uint64_t total_cold_bytes;
        uint64_t total_pageout_bytes;
        uint64_t total_refault_bytes; /* of those, needed again */
        uint64_t total_pageout_cpu_usec;

        /* The pool's ageing (pool/zram-age.h): when the last step ran,
         * what every step did since the engine started (the day the
         * writeback limit counts is in the runtime state). */
        uint64_t ageing_last_usec; /* CLOCK_MONOTONIC; 0: none yet */
        uint64_t ageing_last_realtime_usec;
        bool ageing_no_age; /* the kernel takes no age for 'idle' */
        uint64_t recompress_saved_bytes;
        uint64_t recompress_cpu_usec;
        uint64_t written_back_bytes;

        /* Never advised, as the bus reports them (bus adapter); 0: unknown. */
        pid_t bus_daemon_pid;
        pid_t polkitd_pid;

        /* Told about changes made outside a method call (timer, SIGHUP), so
         * the bus adapter can announce them. */
        void (*on_change)(Engine *e, int changes);
};

/* "running" or "paused". */
const char *engine_state_to_string(EngineState s);

/* The runtime directory: $RUNTIME_DIRECTORY, else /run/wolfram; and
 * creating it (logged on failure). */
const char *engine_runtime_dir(void);
int engine_make_runtime_dir(void);

/* Loads the configuration (a bad one fails with its message logged) and
 * prepares the runtime directory ($RUNTIME_DIRECTORY, else /run/wolfram).
 * 'args' must stay valid as long as the engine: reloads read it again. */
/* Where state that survives reboots is kept: $STATE_DIRECTORY (systemd's
 * StateDirectory=), else /var/lib/wolfram. */
const char *engine_state_dir(void);

/* wolframd --print-config: the configuration files' settings with what
 * was changed at run time (wolframctl set, exclude; runtime.json in the
 * state directory) laid over them as the engine does, each with where it
 * came from. Returns 0 or a negative errno, having logged why. */
int engine_print_config(const ConfigLoadArgs *args, FILE *f);

int engine_init(Engine *e, sd_event *event, const ConfigLoadArgs *args);

/* Applies what the configuration asks of the kernel: tuning, the zram pool
 * and its budget timer. */
int engine_start(Engine *e);

/* Reads the configuration again. On success it is in force and the return
 * value is a mask of EngineChange; on error the old one stays in force,
 * -EINVAL comes with *ret_error saying what is wrong. */
int engine_reload(Engine *e, char **ret_error);

/* Puts back what the engine changed: removes the pool where that is safe,
 * restores zswap and the sysctls. */
void engine_stop(Engine *e);

/* Frees everything the engine holds. */
void engine_done(Engine *e);

/* Pauses the engine's work. Returns 1 when the state changed, 0 when it was
 * already paused. */
int engine_pause(Engine *e);

/* Resumes the engine's work. Returns 1 when the state changed, 0 when it was
 * already running. */
int engine_resume(Engine *e);

/* Adds a runtime exclusion (as exclusion_parse() reads it) and keeps it in
 * the state directory. 1 when added, 0 when already excluded; -EINVAL with
 * *ret_error (static) for a bad pattern, -E2BIG at the limit, another
 * negative errno when it could not be saved (then nothing changed). */
int engine_add_exclusion(Engine *e, const char *pattern, const char **ret_error);

/* Removes a runtime exclusion. 1 when removed; -EINVAL (bad pattern, with
 * *ret_error), -ENOENT when not excluded, -EPERM when it comes from the
 * configuration files, another negative errno when it could not be saved. */
int engine_remove_exclusion(Engine *e, const char *pattern, const char **ret_error);

/* Switches a policy on or off, now and across restarts. Returns a mask of
 * EngineChange (0: it was in force already); -EOPNOTSUPP when the kernel
 * lacks it (KSM), another negative errno when it could not be saved. */
/* Drops the run-time switch of 'p' (SetPolicy's), so that the
 * configuration decides again; saved first, applied at once. 0 when
 * there was none. */
int engine_reset_policy(Engine *e, PolicyName p);
int engine_set_policy(Engine *e, PolicyName p, bool enabled);

/* Whether the policy is on. */
bool engine_policy_enabled(const Engine *e, PolicyName p);

/* Whether what a call asked for is still under way: the pool being
 * removed (its swapoffs), or a cycle cancelled (Pause, an exclusion, a
 * reload) that has not reached its next check yet. Such a call is answered
 * once on_settled is called: after it, nothing more is advised and the pool
 * is gone. */
bool engine_settling(const Engine *e);

/* Why a ReclaimProcess request was not started; the bus words it. */
typedef enum ReclaimRefusal {
        RECLAIM_REFUSED_MODE, /* 'detail' is the unknown mode */
        RECLAIM_REFUSED_BUSY, /* pid and comm of the reclaim still running */
        RECLAIM_REFUSED_DRY_RUN,
        RECLAIM_REFUSED_NO_ADVICE, /* the kernel lacks 'detail' ("MADV_PAGEOUT") */
        RECLAIM_REFUSED_NO_PROCESS,
        RECLAIM_REFUSED_KERNEL_THREAD,
        RECLAIM_REFUSED_PROTECTED, /* 'detail' says what the process is */
        RECLAIM_REFUSED_EXCLUDED, /* 'detail' is the pattern */
        RECLAIM_REFUSED_FAILED, /* 'error' says why it could not start */
} ReclaimRefusal;

typedef struct ReclaimRefused {
        ReclaimRefusal reason;
        pid_t pid;
        char comm[PROC_COMM_SIZE]; /* empty when the process was not read */
        const char *detail; /* valid while the request is handled */
        int error;
} ReclaimRefused;

/* Starts advising all of one process's anonymous memory ("cold" or
 * "pageout"); on_reclaim_done is called when it ends, with 'userdata' in
 * the job. When refused, returns a negative errno (-EINVAL a bad mode,
 * -EBUSY one runs already, -EOPNOTSUPP not possible here, -ESRCH no such
 * process, -EPERM a protected or excluded one) and says why in *ret. */
int engine_reclaim_process(Engine *e, uint32_t pid, const char *mode, void *userdata, ReclaimRefused *ret);

/* What engine_reclaim_process() refuses from its arguments alone (a bad
 * mode, a pid that cannot be one), checked before anyone is asked for
 * authorization: 0 or the refusal, as there. */
int engine_reclaim_check_arguments(uint32_t pid, const char *mode, ReclaimRefused *ret);

/* Runs the hibernation helper to checkpoint and stop process 'pid', or
 * (wake) to restore it; on_hibernate_done is called with the job when it
 * ends, its exit status and last line saying how it went. Refused: -EBUSY
 * while one runs, -EOPNOTSUPP for a checkpoint in dry run; -ESRCH (no such
 * process) and -EPERM (protected, or excluded, run-time exclusions too)
 * with the reason in 'message'; or why the helper could not start. */
int engine_hibernate_process(Engine *e, uint32_t pid, bool wake, void *userdata, char *message, size_t size);

/* After a cycle, with enable_hibernation: checkpoints the largest process
 * that did nothing for hibernate_after_cycles cycles (ProcessRecord's
 * cycles_whole_idle; every process of its tree too), whose parent is init,
 * that is neither protected nor excluded nor refused before. One at a
 * time; a refusal moves on to the next. */
void engine_hibernate_idle(Engine *e);

/* With enable_port_proxy: a port proxy (the helper's `proxy`) for every
 * hibernated process that listened on TCP and has none. */
void engine_hibernate_start_proxies(Engine *e);

/* At the engine's stop: every hibernated process restored, one after the
 * other (a failure keeps that one's images, logged). */
void engine_hibernate_wake_all(Engine *e);

/* At the engine's start: the helper's "recover", which resumes the
 * processes whose checkpoint never finished (an engine or helper killed
 * half-way) and removes those images; recorded ones stay hibernated. */
void engine_hibernate_recover(Engine *e);

/* The helper's verdict: the last line it wrote. */
const char *engine_hibernate_message(const HibernateJob *job);

/* The helper's path: LIBEXECDIR/wolfram/wolfram-hibernate, or
 * $WOLFRAM_HIBERNATE_HELPER (tests). */
const char *engine_hibernate_helper(void);

/* The processes never advised: PID 1, the engine, the bus and polkitd. */
ProcProtected engine_protected(const Engine *e);

/* What the engine reports, derived in one place from its own state and
 * one read of the kernel's counters. */
typedef struct EngineFigures {
        StatsSnapshot kernel; /* meminfo, swaps, every zram device, KSM */
        int kernel_error; /* meminfo or swaps could not be read: zeros there */
        ZramPoolStats pool; /* the pool's devices, from kernel.zram */
        double pool_ratio; /* stored / compressed, 0 when empty */
        uint64_t pool_saved_bytes; /* what it holds minus what it takes */
        uint64_t pool_budget_bytes; /* 0 without a pool */
        uint64_t pool_cap_bytes;
        const char *pool_algorithm; /* "" without devices */
        const char *ksm_mode; /* "off", "advisor" or "wolfram" */
        int64_t ksm_saved_bytes;
        uint64_t saved_bytes; /* the pool's and KSM's savings, each only when positive */
        uint64_t uptime_usec;
        double pressure_memory_percent; /* PSI some avg10; 0 without PSI */
        double pressure_io_percent;
        uint64_t system_refault_bytes; /* workingset_refault_anon since boot */
        uint64_t swap_in_bytes; /* pswpin since boot */
        /* The tuned knobs' values read from the kernel now (tuning_read),
         * for those the engine set (Tuning.applied). */
        long tuning_now[_KNOB_MAX];
        bool tuning_now_read[_KNOB_MAX];
        /* The CPU the engine spent on pageouts of what came back: its
         * pageout CPU per byte times the bytes that came back. */
        uint64_t wasted_pageout_cpu_usec;
        /* The pool's ageing: its second compressor and backing device ("":
         * none), why one is missing, what the steps did since the engine
         * started, the backing device's bd_stat now, and today's writeback
         * against the daily limit. */
        const char *recompress_algorithm;
        const char *writeback_device;
        const char *ageing_note;
        uint64_t recompress_saved_bytes;
        uint64_t recompress_cpu_usec;
        uint64_t written_back_bytes;
        uint64_t writeback_stored_bytes;
        uint64_t writeback_read_bytes;
        uint64_t writeback_today_bytes;
        uint64_t writeback_limit_bytes;
        uint64_t ageing_last_timestamp; /* CLOCK_REALTIME, µs; 0: no step yet */
        /* Hibernated processes (hibernate/hibernate.h), from their records
         * below the state directory, by pid; what their stop returned. */
        HibernateRecord *hibernated;
        size_t n_hibernated;
        uint64_t hibernated_saved_bytes;
} EngineFigures;

/* Reads the kernel once and derives every figure from that. */
void engine_figures_read(Engine *e, EngineFigures *ret);

/* Frees what the figures hold. */
void engine_figures_done(EngineFigures *f);

/* Microseconds since the engine started. */
uint64_t engine_uptime_usec(const Engine *e);

/* Writes stats.json and the Prometheus textfile where the configuration
 * says (engine-export.c); failures are logged, never fatal. */
void engine_export_stats(Engine *e);

struct StatsReport;
/* The figures those files hold, read now. */
void engine_stats_report(Engine *e, struct StatsReport *ret);
