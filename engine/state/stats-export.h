/* SPDX-License-Identifier: MIT */
#pragma once

/* stats.json, which the original daemon's users (a web dashboard among
 * them) read, and a Prometheus text file for node_exporter's textfile
 * collector. Pure: the caller gathers the figures, this module only formats
 * and writes them. */

#include <stdbool.h>
#include <stdint.h>

/* One moment of the engine, as the files report it. Filled by the caller;
 * a NULL string reads as "". (Not named StatsSnapshot: stats.h has that, the
 * raw kernel figures this is partly made of.) */
typedef struct StatsReport {
        uint64_t timestamp_usec; /* CLOCK_REALTIME */
        uint64_t uptime_usec; /* since the engine started */
        uint64_t cycles; /* finished since the engine started */
        const char *state; /* "running" or "paused" */
        bool dry_run;
        const char *profile; /* "server", "desktop", … */
        const char *idle_backend; /* the backend in use: "page_idle", "refs" */
        const char *pool_algorithm; /* the pool's compressor: "lz4", … */

        /* The engine's zram pool */
        unsigned zram_devices;
        uint64_t original_bytes; /* stored in it, uncompressed */
        uint64_t compressed_bytes; /* their compressed size */
        uint64_t pool_memory_used_bytes; /* RAM it takes, overhead included */
        uint64_t pool_budget_bytes; /* the size it may use now */
        uint64_t pool_cap_bytes; /* the most it may ever grow to */
        /* Its ageing: the second compressor and the backing device (""
         * none), what recompression saved and cost and what was written
         * back since the engine started, what the backing device holds,
         * today's writeback and the daily limit. */
        const char *recompress_algorithm;
        const char *writeback_device;
        uint64_t recompress_saved_bytes;
        uint64_t recompress_cpu_usec;
        uint64_t written_back_bytes;
        uint64_t writeback_stored_bytes;
        uint64_t writeback_today_bytes;
        uint64_t writeback_limit_bytes;

        /* KSM, from /sys/kernel/mm/ksm */
        uint64_t ksm_pages_sharing;
        uint64_t ksm_pages_shared;
        uint64_t ksm_pages_unshared;
        uint64_t ksm_pages_volatile;
        uint64_t ksm_zero_pages;
        uint64_t ksm_full_scans;
        int64_t ksm_saved_bytes; /* general_profit: negative when KSM costs more than it saves */

        /* Cold memory */
        uint64_t total_cold_bytes; /* advised MADV_COLD since the engine started */
        uint64_t total_paged_out_bytes; /* advised MADV_PAGEOUT since the engine started */
        uint64_t lifetime_paged_out_bytes; /* the same over every run remembered; at least the above */
        uint64_t last_cycle_duration_usec;
        uint64_t last_cycle_cpu_usec;
        uint64_t last_cycle_incompressible_bytes; /* idle memory kept out: it compresses poorly */
        uint64_t last_cycle_cgroup_reclaim_bytes; /* of its pageouts, what cgroups' LRUs moved */
        uint64_t refaulted_bytes; /* of the pageouts, needed again since the engine started */
        uint64_t wasted_pageout_cpu_usec; /* the pageouts' CPU, the share of what came back */
        const char *pageout_hold; /* why the last cycle held every pageout back; "" or NULL: it did not */

        /* Pressure (PSI some avg10), in hundredths of a percent as the kernel prints it */
        uint64_t pressure_memory_hundredths;
        uint64_t pressure_io_hundredths;

        /* Hibernation: the processes asleep, what their stop returned */
        unsigned hibernated_processes;
        uint64_t hibernated_saved_bytes;

        /* The machine, from /proc/meminfo */
        uint64_t mem_total_bytes;
        uint64_t mem_available_bytes;
        uint64_t swap_total_bytes;
        uint64_t swap_used_bytes;

        /* Which policies are on */
        bool policy_compression;
        bool policy_ksm;
        bool policy_tuning;
} StatsReport;

/* What the pool saves: original bytes less the memory the pool uses, 0 when
 * it uses more. */
uint64_t stats_report_pool_saved_bytes(const StatsReport *s);

/* Pool + KSM + hibernation savings; a KSM loss counts against the others,
 * and the sum is 0 at least. */
uint64_t stats_report_total_saved_bytes(const StatsReport *s);

/* Formats the stats.json object (the original daemon's fields, then
 * wolfram's) into a newly allocated, newline-terminated string. Returns 0
 * or -ENOMEM. */
int stats_report_format_json(const StatsReport *s, char **ret);

/* Formats the Prometheus text exposition (every family with HELP and TYPE,
 * base units) into a newly allocated string. Returns 0 or -ENOMEM. */
int stats_report_format_prometheus(const StatsReport *s, char **ret);

/* Replaces the file 'path' with the JSON, atomically, mode 0644. Returns 0
 * or a negative errno; on failure the old file is as it was. */
int stats_export_json(const StatsReport *s, const char *path);

/* Replaces 'dir'/wolfram.prom atomically, mode 0644; the temporary file's
 * name does not end in .prom, so the collector never reads half of it.
 * Returns 0 or a negative errno; on failure the old file is as it was. */
int stats_export_prometheus(const StatsReport *s, const char *dir);

/* The name of the file stats_export_prometheus() writes in its directory. */
#define STATS_PROMETHEUS_FILE "wolfram.prom"
