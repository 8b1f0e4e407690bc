/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/profile.h"

/* The kernel knobs wolfram tunes, all under /proc/sys/vm. */
typedef enum TuningKnob {
        KNOB_SWAPPINESS,
        KNOB_PAGE_CLUSTER,
        KNOB_VFS_CACHE_PRESSURE,
        KNOB_COMPACTION_PROACTIVENESS,
        KNOB_WATERMARK_BOOST_FACTOR,
        KNOB_WATERMARK_SCALE_FACTOR,
        _KNOB_MAX,
} TuningKnob;

/* A knob's value that means "leave the kernel's value alone". */
#define KNOB_SKIP (-1)

/* "swappiness", "page-cluster", …: the file name under /proc/sys/vm. */
const char *tuning_knob_sysctl_name(TuningKnob k);

typedef enum IdleBackendChoice {
        IDLE_BACKEND_AUTO,
        IDLE_BACKEND_PAGE_IDLE,
        IDLE_BACKEND_REFS,
        _IDLE_BACKEND_MAX,
} IdleBackendChoice;

/* The effective configuration. Every field is valid after config_load(). */
typedef struct Config {
        /* [Engine] */
        Profile profile;
        bool profile_detected;
        char *profile_reason; /* why detection chose it, or where it was set */
        unsigned cycle_secs;
        unsigned idle_sample_secs;
        unsigned min_process_anon_mib;
        unsigned min_region_kib;
        double cold_threshold;
        /* Pacing: pageouts wait while memory or IO pressure (PSI some
         * avg10, percent) is above this; a process's pageouts wait while what came
         * back exceeds this share of its memory per minute. 0: off. */
        double pressure_limit_percent;
        double refault_budget_percent;
        double pageout_threshold;
        unsigned pageout_after_cycles;
        unsigned idle_backend; /* IdleBackendChoice */
        /* Mixed regions go to their cgroup's LRU (memory.reclaim) where a
         * region-level backend runs and the cgroup allows it. */
        bool cgroup_reclaim;
        bool dry_run;
        bool enable_hibernation;
        unsigned hibernate_after_cycles;
        bool enable_port_proxy;
        /* Where stats.json goes: an absolute path, "" for the state
         * directory's (see config_stats_file_path()), NULL for nowhere
         * (stats_file=no). */
        char *stats_file;
        /* node_exporter's textfile directory to write wolfram.prom into, ""
         * for none. */
        char *prometheus_textfile_dir;

        /* [Zram] */
        bool zram_enabled;
        unsigned zram_algorithm; /* index into the algorithm names, 0 = auto */
        unsigned zram_initial_percent;
        unsigned zram_max_percent;
        unsigned zram_grow_at_percent;
        unsigned zram_shrink_at_percent;
        int zram_swap_priority;
        unsigned zram_swapoff_margin_mib;
        unsigned zram_recompress_algorithm; /* index into the names, 0 = auto, 1 = none */
        unsigned zram_recompress_after_secs;
        char *zram_writeback_device; /* "" for none */
        unsigned zram_writeback_after_secs;
        unsigned zram_writeback_limit_mib; /* a day */

        /* [KSM] */
        bool ksm_enabled;
        unsigned ksm_max_cpu_percent;

        /* [Tuning] */
        bool tuning_enabled;
        int knobs[_KNOB_MAX]; /* a value or KNOB_SKIP */

        /* [Exclude] */
        char **excluded_names;
        size_t n_excluded_names;
        char **excluded_cgroups;
        size_t n_excluded_cgroups;
        /* When not empty, processes outside these cgroups are excluded. */
        char **only_cgroups;
        size_t n_only_cgroups;

        /* Where each setting came from: "default", "profile desktop",
         * "/etc/wolfram/wolfram.conf:12", "command line". Indexed like the
         * settings table. */
        char **sources;
} Config;

/* Where configuration comes from, besides the files. */
typedef struct ConfigLoadArgs {
        /* Read only this file instead of the search path; NULL for the
         * search path (below the root prefix, see paths.h). */
        const char *config_file;
        /* "Section.key=value" assignments from the command line, applied
         * last. */
        char *const *cli_assignments;
        size_t n_cli_assignments;
} ConfigLoadArgs;

/* Builds the configuration: built-in defaults, then the profile's, then
 * /etc/wolfram/wolfram.conf (else /run/…, else /usr/lib/…) and the drop-ins
 * of wolfram.conf.d in /etc, /run and /usr/lib (a name in /etc hides the
 * same name in /run and /usr/lib; all sorted by name), then the command
 * line. Returns 0, or -EINVAL with *ret_error set to a message naming the
 * file, the line and what is allowed; *ret is untouched then. */
int config_load(const ConfigLoadArgs *args, Config *ret, char **ret_error);

/* Frees what a configuration holds. */
void config_done(Config *c);

/* Writes the effective settings as a configuration file, each with a
 * comment saying where it came from. */
/* Replaces where the setting [section] key came from, as config_print()
 * shows it; -ENOENT for a setting that does not exist. */
int config_set_source(Config *c, const char *section, const char *key, const char *source);
/* Where the setting [section] key came from; NULL for no such setting. */
const char *config_get_source(const Config *c, const char *section, const char *key);

void config_print(const Config *c, FILE *f);

/* Whether a process name is excluded by the configuration (substring
 * match against comm, as the original daemon does). */
bool config_name_excluded(const Config *c, const char *comm);

/* The zram algorithm configured: "auto" or a compressor name. */
const char *config_zram_algorithm(const Config *c);

/* The second compressor configured: "auto", "none" or a compressor name. */
const char *config_zram_recompress_algorithm(const Config *c);

/* "auto", "page_idle" or "refs". */
const char *config_idle_backend(const Config *c);

/* The stats.json to write: [Engine] stats_file, else 'state_dir'/stats.json
 * ('state_dir' is $STATE_DIRECTORY or its default). Sets *ret to a newly
 * allocated path, or NULL when stats_file=no; returns 0 or -ENOMEM. */
int config_stats_file_path(const Config *c, const char *state_dir, char **ret);

/* Built-in values of one profile; config-profiles.c. */
typedef struct ProfileDefaults {
        unsigned cycle_secs;
        unsigned idle_sample_secs;
        unsigned min_process_anon_mib;
        int knobs[_KNOB_MAX];
        const char *const *excluded_names; /* NULL-terminated */
} ProfileDefaults;

const ProfileDefaults *profile_defaults(Profile p);
