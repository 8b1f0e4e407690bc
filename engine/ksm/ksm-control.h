/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "kernel/ksm.h"

/* The KSM knobs wolfram sets; their originals are saved before the first
 * change and written back on stop, also by the next run after a crash. */
typedef enum KsmKnob {
        KSM_KNOB_RUN,
        KSM_KNOB_PAGES_TO_SCAN,
        KSM_KNOB_SLEEP_MILLISECS,
        KSM_KNOB_ADVISOR_MAX_CPU,
        KSM_KNOB_ADVISOR_TARGET_SCAN_TIME,
        KSM_KNOB_ADVISOR_MODE, /* a word: "none" or "scan-time" */
        _KSM_KNOB_MAX,
} KsmKnob;

/* The scan rate, the engine's own on every kernel (the kernel's advisor,
 * where there is one, is set to none while the engine runs): quick passes
 * while there is work — new mergeable memory, or pages still merging — and
 * a low rate once nothing merges, always within ksmd's CPU bound. */
typedef struct KsmRate {
        long pages_to_scan;
        unsigned passes_left; /* quick full passes still to make; 0: idle */
        unsigned quiet_ticks; /* ticks since the last sign of work */
        double usec_per_page; /* ksmd's CPU per page scanned, learnt; 0: not yet */
} KsmRate;

/* What one tick saw, for ksm_next_rate(). */
typedef struct KsmRateInput {
        long sleep_millisecs;
        unsigned max_cpu_percent;
        double cpu_percent; /* ksmd's since the last tick */
        uint64_t tick_usec; /* time since the last tick */
        uint64_t tracked_pages; /* shared + sharing + unshared + volatile: what ksmd knows of */
        int64_t tracked_growth; /* since the last tick */
        uint64_t merged_growth; /* pages_sharing + ksm_zero_pages, since the last tick */
        uint64_t full_scans; /* passes completed since the last tick */
        uint64_t pages_scanned; /* since the last tick; 0: unknown (before 6.9) */
} KsmRateInput;

/* How fast: one pass over the known pages in this long while busy; this
 * many quick passes after the last sign of work (a page needs two or three
 * passes to merge: its checksum must hold between them); the rates' bounds
 * (pages per wake-up of sleep_millisecs). */
#define KSM_QUICK_PASS_MSEC 2000
#define KSM_QUICK_PASSES 3
/* Idle after this many ticks (2 s) without work, passes or not. */
#define KSM_QUIET_TICKS 15
#define KSM_PAGES_TO_SCAN_IDLE 64L
#define KSM_PAGES_TO_SCAN_BUSY_START 1000L
#define KSM_PAGES_TO_SCAN_MAX 16384L

/* The rate for the next tick: the decision alone, for the unit tests. */
KsmRate ksm_next_rate(KsmRate current, const KsmRateInput *in);

typedef struct KsmControl {
        char *state_file;
        bool started;
        bool has_advisor;
        bool saved[_KSM_KNOB_MAX];
        char original[_KSM_KNOB_MAX][32];
        /* ksmd's CPU use, measured between ticks */
        pid_t ksmd_pid;
        uint64_t ksmd_ticks;
        uint64_t sample_usec;
        double cpu_percent;
        uint64_t ksmd_cpu_usec_total; /* since the engine started KSM */
        KsmRate rate; /* what ksmd scans, set by ksm_next_rate() */
        KsmCounters last; /* at the last tick */
        bool have_last;
        uint64_t last_tick_usec;
} KsmControl;

/* Name of the state file in the runtime directory. */
#define KSM_STATE_FILE "ksm.saved"

/* Reads the state file's lines "KNOB=VALUE" (values under 32 bytes) into
 * saved[] and original[]; other lines are skipped. */
void ksm_state_parse(const char *buf, size_t len, bool saved[_KSM_KNOB_MAX],
                     char original[_KSM_KNOB_MAX][32]);

int ksm_control_init(KsmControl *k, const char *runtime_dir);

/* Starts KSM (run=1) after saving what was set, quick passes first; the
 * kernel's advisor, where there is one, is set to none (the rate is
 * ksm_control_tick()'s). -ENOENT without KSM. */
int ksm_control_start(KsmControl *k, const Config *c);

/* Measures ksmd's CPU use and sets pages_to_scan (ksm_next_rate). */
int ksm_control_tick(KsmControl *k, const Config *c);

/* Writes the originals back (KSM off again if it was). Merged pages stay
 * merged until they are written: stopping loses nothing. */
int ksm_control_stop(KsmControl *k);

void ksm_control_done(KsmControl *k);

/* Bytes KSM saves: general_profit where the kernel reports it (pages
 * shared away minus its bookkeeping), else (pages_sharing + ksm_zero_pages)
 * × page size. */
int64_t ksm_saved_bytes(const KsmCounters *c);
