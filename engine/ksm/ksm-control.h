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
        long pages_to_scan; /* ours, without the advisor */
        uint64_t last_pages_sharing;
} KsmControl;

/* Name of the state file in the runtime directory. */
#define KSM_STATE_FILE "ksm.saved"

/* Reads the state file's lines "KNOB=VALUE" (values under 32 bytes) into
 * saved[] and original[]; other lines are skipped. */
void ksm_state_parse(const char *buf, size_t len, bool saved[_KSM_KNOB_MAX],
                     char original[_KSM_KNOB_MAX][32]);

int ksm_control_init(KsmControl *k, const char *runtime_dir);

/* Starts KSM (run=1) after saving what was set. Uses the kernel's advisor
 * (scan-time, its CPU bound max_cpu_percent) where there is one, else our
 * own tuning in ksm_control_tick(). -ENOENT without KSM. */
int ksm_control_start(KsmControl *k, const Config *c);

/* Measures ksmd's CPU use; without the advisor, tunes pages_to_scan. */
int ksm_control_tick(KsmControl *k, const Config *c);

/* Writes the originals back (KSM off again if it was). Merged pages stay
 * merged until they are written: stopping loses nothing. */
int ksm_control_stop(KsmControl *k);

void ksm_control_done(KsmControl *k);

/* Our tuning without the advisor, alone: the next pages_to_scan. Halves
 * when ksmd is over its CPU bound or when nothing merged since the last
 * tick, doubles while merging pays, and aims at one pass over the
 * mergeable pages per minute; always within [min, max]. */
long ksm_next_pages_to_scan(long current, double cpu_percent, unsigned max_cpu_percent,
                            uint64_t sharing_delta, uint64_t mergeable_pages, long sleep_millisecs);

/* Bytes KSM saves: general_profit where the kernel reports it (pages
 * shared away minus its bookkeeping), else (pages_sharing + ksm_zero_pages)
 * × page size. */
int64_t ksm_saved_bytes(const KsmCounters *c);
