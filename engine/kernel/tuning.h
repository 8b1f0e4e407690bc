/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

/* The kernel knobs under /proc/sys/vm that wolfram changed, and what they
 * were before. The originals live in a file in the runtime directory from
 * before the first change until they are restored, so a crashed engine's
 * successor restores them too. */
typedef struct Tuning {
        char *state_file;
        bool loaded;
        bool saved[_KNOB_MAX]; /* original[] holds the kernel's value */
        long original[_KNOB_MAX];
        bool applied[_KNOB_MAX]; /* we wrote value[] */
        long value[_KNOB_MAX];
        bool missing[_KNOB_MAX]; /* the kernel has no such knob */
} Tuning;

/* Name of the file (in the runtime directory) holding the originals. */
#define TUNING_STATE_FILE "sysctl.saved"

/* Sets up the state file path; nothing is read or written yet. */
int tuning_init(Tuning *t, const char *runtime_dir);

/* Brings the knobs to what 'c' asks for: records each original before its
 * first change, writes the values, restores knobs 'c' no longer tunes. In
 * dry run only logs what it would do. Knobs the kernel lacks are skipped
 * with one line in the log. Returns 0 or the error of saving the state
 * file (then nothing was changed). */
int tuning_apply(Tuning *t, const Config *c);

/* Writes every saved original back and removes the state file once all
 * are restored. Returns 0, or the first write error (those knobs stay in
 * the state file for the next start). */
int tuning_restore(Tuning *t);

/* Frees the path. */
void tuning_done(Tuning *t);

/* The knob's value in the kernel now: what status shows, whatever the
 * engine believes it wrote. */
int tuning_read_now(TuningKnob k, long *ret);

/* Parses the state file: lines "vm.NAME=VALUE". Unknown names and
 * malformed lines are skipped with a warning. */
int tuning_state_parse(const char *buf, size_t len, bool saved[_KNOB_MAX], long original[_KNOB_MAX]);
