/* SPDX-License-Identifier: MIT */
#pragma once

/* What was changed at run time through the bus and must survive a restart:
 * exclusions, policy switches, and the lifetime counters. Kept as JSON in
 * the state directory (/var/lib/wolfram/runtime.json). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pool/zram-age.h"

#define RUNTIME_STATE_FILE "runtime.json"

/* At most this many exclusions may be added at run time. */
#define RUNTIME_EXCLUSIONS_MAX 256U

/* A cgroup pattern is a path or a unit name; a path may be long, 10 kB is
 * not. */
#define EXCLUSION_CGROUP_MAX 1024U

typedef enum ExclusionKind {
        EXCLUSION_NAME, /* substring of comm */
        EXCLUSION_CGROUP, /* unit, scope or cgroup path prefix */
        _EXCLUSION_KIND_MAX,
} ExclusionKind;

typedef struct Exclusion {
        ExclusionKind kind;
        char *pattern;
} Exclusion;

typedef enum PolicyName {
        POLICY_COMPRESSION,
        POLICY_KSM,
        POLICY_TUNING,
        _POLICY_MAX,
} PolicyName;

/* A policy switch not set at run time: the configuration decides. */
#define POLICY_UNSET (-1)

typedef struct RuntimeState {
        Exclusion *exclusions;
        size_t n_exclusions;
        int policies[_POLICY_MAX]; /* POLICY_UNSET, 0 or 1 */
        uint64_t lifetime_pageout_bytes;
        uint64_t lifetime_cold_bytes;
        /* The day the pool's writeback limit counts, so that a restart
         * does not begin a new one. */
        ZramAgeDay writeback_day;
} RuntimeState;

/* "name" or "cgroup". */
const char *exclusion_kind_to_string(ExclusionKind k);

/* "compression", "ksm", "tuning". */
const char *policy_name_to_string(PolicyName p);

/* The PolicyName of 's', or -EINVAL. */
int policy_name_from_string(const char *s);

/* Reads a pattern as AddExclusion takes it: an optional "name:" or
 * "cgroup:" prefix, else a cgroup pattern when it has a '/' or ends in
 * .service, .scope, .slice or .socket, else a process name. Sets *ret_kind
 * and *ret_pattern: what follows the prefix in the shown form
 * (escape_normalize()), newly allocated. On -EINVAL, *ret_error (static
 * text) says which rule the pattern broke; -ENOMEM. */
int exclusion_parse(const char *s, ExclusionKind *ret_kind, char **ret_pattern, const char **ret_error);

/* Whether exclusion_parse() takes 's': 0, -EINVAL with *ret_error, or
 * -ENOMEM. */
int exclusion_check(const char *s, const char **ret_error);

/* An empty state: no exclusions, every policy unset. */
void runtime_state_init(RuntimeState *s);

void runtime_state_done(RuntimeState *s);

/* The index of the exclusion, or -ENOENT. */
int runtime_state_find_exclusion(const RuntimeState *s, ExclusionKind kind, const char *pattern);

/* Adds an exclusion: 1 when added, 0 when it was there, -E2BIG when
 * RUNTIME_EXCLUSIONS_MAX are there already. */
int runtime_state_add_exclusion(RuntimeState *s, ExclusionKind kind, const char *pattern);

/* Removes the exclusion at 'index'. */
void runtime_state_remove_exclusion(RuntimeState *s, size_t index);

/* Parses the JSON text of a state file into 's' (initialised here). A part
 * that cannot be used (an exclusion AddExclusion would not take, an
 * unknown policy, a counter that is no number) is left out with a warning
 * and the rest kept. Only text that is no JSON object is -EBADMSG, with
 * *ret_error (static text) saying so, and 's' empty. */
int runtime_state_parse(const char *text, RuntimeState *s, const char **ret_error);

/* Loads 'path' into 's'. A missing file is an empty state (0). A file that
 * cannot be understood is moved aside to 'path'.bad, so nothing in it is
 * lost, logged, and the state is empty (0). */
int runtime_state_load(RuntimeState *s, const char *path);

/* Writes the state to 'path' atomically. */
int runtime_state_save(const RuntimeState *s, const char *path);
