/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "build-config.h"
#include "common/macro.h"
#include "state/state-file.h"
#include "state/stats-export.h"

#define USEC_PER_SEC UINT64_C(1000000)
#define KIB UINT64_C(1024)
#define MIB (UINT64_C(1024) * 1024)

uint64_t stats_report_pool_saved_bytes(const StatsReport *s) {
        assert(s);
        return s->original_bytes > s->pool_memory_used_bytes ? s->original_bytes - s->pool_memory_used_bytes
                                                             : 0;
}

uint64_t stats_report_total_saved_bytes(const StatsReport *s) {
        /* 128 bits: three 64-bit figures and a signed one cannot overflow. */
        __int128 total;

        assert(s);
        total = (__int128) stats_report_pool_saved_bytes(s) + s->ksm_saved_bytes + s->hibernated_saved_bytes;
        if (total < 0)
                return 0;
        return total > UINT64_MAX ? UINT64_MAX : (uint64_t) total;
}

/* Writes num/den rounded to 'decimals' places (at most 6), with digits
 * only: printf's %f would follow LC_NUMERIC and might write a comma. */
static void format_fixed(char *buf, size_t size, uint64_t num, uint64_t den, unsigned decimals) {
        unsigned __int128 scaled;
        uint64_t scale = 1;

        assert(den > 0);
        assert(decimals <= 6);
        for (unsigned i = 0; i < decimals; i++)
                scale *= 10;
        scaled = ((unsigned __int128) num * scale + den / 2) / den;
        if (decimals == 0)
                snprintf(buf, size, "%" PRIu64, (uint64_t) scaled);
        else
                snprintf(buf, size, "%" PRIu64 ".%0*" PRIu64, (uint64_t) (scaled / scale), (int) decimals,
                         (uint64_t) (scaled % scale));
}

/* A JSON number with two decimals, "0.00" for 0/0. */
static json_object *json_fixed2(uint64_t num, uint64_t den) {
        char buf[64];

        if (den == 0)
                return json_object_new_double_s(0.0, "0.00");
        format_fixed(buf, sizeof(buf), num, den, 2);
        return json_object_new_double_s(strtod(buf, NULL), buf);
}

/* Adds 'value' under 'key' unless an earlier addition failed (*r < 0);
 * a NULL 'value' (out of memory) fails this one. */
static void json_put_field(json_object *o, const char *key, json_object *value, int *r) {
        if (*r >= 0 && value && json_object_object_add(o, key, value) >= 0)
                return;
        if (*r >= 0)
                *r = -ENOMEM;
        if (value)
                json_object_put(value);
}

static json_object *json_u64(uint64_t v) {
        return json_object_new_uint64(v);
}

static json_object *json_str(const char *v) {
        return json_object_new_string(strempty(v));
}

static void json_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

static int format_timestamp(uint64_t usec, char *buf, size_t size) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return -ERANGE;
        return 0;
}

int stats_report_format_json(const StatsReport *s, char **ret) {
        _cleanup_(json_putp) json_object *o = NULL;
        json_object *policies;
        uint64_t ksm_saved;
        char timestamp[64];
        const char *text;
        int r = 0;

        assert(s);
        assert(ret);

        if (format_timestamp(s->timestamp_usec, timestamp, sizeof(timestamp)) < 0)
                return -ERANGE;
        ksm_saved = s->ksm_saved_bytes > 0 ? (uint64_t) s->ksm_saved_bytes : 0;
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;

        /* The original daemon's fields, with its names and units. */
        json_put_field(o, "timestamp", json_str(timestamp), &r);
        json_put_field(o, "uptime_secs", json_u64(s->uptime_usec / USEC_PER_SEC), &r);
        json_put_field(o, "cycles", json_u64(s->cycles), &r);
        json_put_field(o, "compression_backend", json_str("zram"), &r);
        json_put_field(o, "original_bytes", json_u64(s->original_bytes), &r);
        json_put_field(o, "compressed_bytes", json_u64(s->compressed_bytes), &r);
        json_put_field(o, "saved_bytes", json_u64(stats_report_pool_saved_bytes(s)), &r);
        json_put_field(o, "compression_ratio", json_fixed2(s->original_bytes, s->compressed_bytes), &r);
        json_put_field(o, "zram_devices", json_u64(s->zram_devices), &r);
        json_put_field(o, "ksm_pages_sharing", json_u64(s->ksm_pages_sharing), &r);
        json_put_field(o, "ksm_saved_mib", json_fixed2(ksm_saved, MIB), &r);
        json_put_field(o, "hibernated_processes", json_u64(s->hibernated_processes), &r);
        json_put_field(o, "hibernated_saved_mib", json_fixed2(s->hibernated_saved_bytes, MIB), &r);
        json_put_field(o, "total_saved_mib", json_fixed2(stats_report_total_saved_bytes(s), MIB), &r);
        json_put_field(o, "lifetime_compressed_kib", json_u64(s->lifetime_paged_out_bytes / KIB), &r);

        /* wolfram's own, in bytes and microseconds. */
        json_put_field(o, "version", json_str(PACKAGE_VERSION), &r);
        json_put_field(o, "state", json_str(s->state), &r);
        json_put_field(o, "dry_run", json_object_new_boolean(s->dry_run), &r);
        json_put_field(o, "profile", json_str(s->profile), &r);
        json_put_field(o, "idle_backend", json_str(s->idle_backend), &r);
        json_put_field(o, "pool_algorithm", json_str(s->pool_algorithm), &r);
        json_put_field(o, "pool_memory_used_bytes", json_u64(s->pool_memory_used_bytes), &r);
        json_put_field(o, "pool_budget_bytes", json_u64(s->pool_budget_bytes), &r);
        json_put_field(o, "pool_cap_bytes", json_u64(s->pool_cap_bytes), &r);
        json_put_field(o, "pool_recompress_algorithm", json_str(s->recompress_algorithm), &r);
        json_put_field(o, "pool_recompress_saved_bytes", json_u64(s->recompress_saved_bytes), &r);
        json_put_field(o, "pool_recompress_cpu_usec", json_u64(s->recompress_cpu_usec), &r);
        json_put_field(o, "pool_writeback_device", json_str(s->writeback_device), &r);
        json_put_field(o, "pool_written_back_bytes", json_u64(s->written_back_bytes), &r);
        json_put_field(o, "pool_writeback_stored_bytes", json_u64(s->writeback_stored_bytes), &r);
        json_put_field(o, "pool_writeback_today_bytes", json_u64(s->writeback_today_bytes), &r);
        json_put_field(o, "pool_writeback_limit_bytes", json_u64(s->writeback_limit_bytes), &r);
        json_put_field(o, "ksm_pages_shared", json_u64(s->ksm_pages_shared), &r);
        json_put_field(o, "ksm_pages_unshared", json_u64(s->ksm_pages_unshared), &r);
        json_put_field(o, "ksm_pages_volatile", json_u64(s->ksm_pages_volatile), &r);
        json_put_field(o, "ksm_zero_pages", json_u64(s->ksm_zero_pages), &r);
        json_put_field(o, "ksm_full_scans", json_u64(s->ksm_full_scans), &r);
        json_put_field(o, "ksm_saved_bytes", json_object_new_int64(s->ksm_saved_bytes), &r);
        json_put_field(o, "total_saved_bytes", json_u64(stats_report_total_saved_bytes(s)), &r);
        json_put_field(o, "total_cold_bytes", json_u64(s->total_cold_bytes), &r);
        json_put_field(o, "total_paged_out_bytes", json_u64(s->total_paged_out_bytes), &r);
        json_put_field(o, "lifetime_paged_out_bytes", json_u64(s->lifetime_paged_out_bytes), &r);
        json_put_field(o, "last_cycle_duration_usec", json_u64(s->last_cycle_duration_usec), &r);
        json_put_field(o, "last_cycle_cpu_usec", json_u64(s->last_cycle_cpu_usec), &r);
        json_put_field(o, "last_cycle_incompressible_bytes", json_u64(s->last_cycle_incompressible_bytes),
                       &r);
        json_put_field(o, "last_cycle_cgroup_reclaim_bytes", json_u64(s->last_cycle_cgroup_reclaim_bytes),
                       &r);
        json_put_field(o, "refaulted_bytes", json_u64(s->refaulted_bytes), &r);
        json_put_field(o, "wasted_pageout_cpu_usec", json_u64(s->wasted_pageout_cpu_usec), &r);
        json_put_field(o, "pageout_hold", json_str(s->pageout_hold), &r);
        json_put_field(o, "pressure_memory_percent", json_fixed2(s->pressure_memory_hundredths, 100), &r);
        json_put_field(o, "pressure_io_percent", json_fixed2(s->pressure_io_hundredths, 100), &r);
        json_put_field(o, "mem_total_bytes", json_u64(s->mem_total_bytes), &r);
        json_put_field(o, "mem_available_bytes", json_u64(s->mem_available_bytes), &r);
        json_put_field(o, "swap_total_bytes", json_u64(s->swap_total_bytes), &r);
        json_put_field(o, "swap_used_bytes", json_u64(s->swap_used_bytes), &r);
        policies = json_object_new_object();
        if (policies) {
                json_put_field(policies, "compression", json_object_new_boolean(s->policy_compression), &r);
                json_put_field(policies, "ksm", json_object_new_boolean(s->policy_ksm), &r);
                json_put_field(policies, "tuning", json_object_new_boolean(s->policy_tuning), &r);
        }
        json_put_field(o, "policies", policies, &r);
        if (r < 0)
                return r;

        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text || asprintf(ret, "%s\n", text) < 0)
                return -ENOMEM;
        return 0;
}

/* One metric family with its HELP and TYPE lines. */
static void prom_family(FILE *f, const char *name, const char *type, const char *help) {
        fprintf(f, "# HELP wolfram_%s %s\n# TYPE wolfram_%s %s\n", name, help, name, type);
}

static void prom_u64(FILE *f, const char *name, const char *type, const char *help, uint64_t value) {
        prom_family(f, name, type, help);
        fprintf(f, "wolfram_%s %" PRIu64 "\n", name, value);
}

/* A figure kept in microseconds, in seconds. */
static void prom_seconds(FILE *f, const char *name, const char *help, uint64_t usec) {
        char buf[64];

        format_fixed(buf, sizeof(buf), usec, USEC_PER_SEC, 6);
        prom_family(f, name, "gauge", help);
        fprintf(f, "wolfram_%s %s\n", name, buf);
}

/* A label value as the text format wants it: backslash, double quote and
 * newline escaped. */
static void prom_label_value(FILE *f, const char *v) {
        fputc('"', f);
        for (const char *p = strempty(v); *p; p++)
                switch (*p) {
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                default:
                        fputc(*p, f);
                }
        fputc('"', f);
}

static void prom_info(FILE *f, const StatsReport *s) {
        const char *labels[][2] = {
                { "version", PACKAGE_VERSION },          { "profile", s->profile },
                { "compression_backend", "zram" },       { "idle_backend", s->idle_backend },
                { "pool_algorithm", s->pool_algorithm },
        };

        prom_family(f, "info", "gauge", "Always 1; the labels say what wolfram runs with.");
        fputs("wolfram_info{", f);
        for (size_t i = 0; i < ELEMENTSOF(labels); i++) {
                fprintf(f, "%s%s=", i > 0 ? "," : "", labels[i][0]);
                prom_label_value(f, labels[i][1]);
        }
        fputs("} 1\n", f);
}

int stats_report_format_prometheus(const StatsReport *s, char **ret) {
        const struct {
                const char *name;
                bool on;
        } policies[] = {
                { "compression", s->policy_compression },
                { "ksm", s->policy_ksm },
                { "tuning", s->policy_tuning },
        };
        _cleanup_free_ char *text = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;
        char ratio[64];

        assert(s);
        assert(ret);

        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;

        prom_info(f, s);
        prom_u64(f, "paused", "gauge", "1 when the engine is paused, else 0.",
                 streq(strempty(s->state), "paused"));
        prom_u64(f, "dry_run", "gauge", "1 when the engine only reports what it would do, else 0.",
                 s->dry_run);
        prom_family(f, "policy_enabled", "gauge", "1 when the policy is on, else 0.");
        for (size_t i = 0; i < ELEMENTSOF(policies); i++)
                fprintf(f, "wolfram_policy_enabled{policy=\"%s\"} %d\n", policies[i].name, policies[i].on);

        prom_seconds(f, "last_update_timestamp_seconds", "When these figures were taken, in Unix time.",
                     s->timestamp_usec);
        prom_seconds(f, "uptime_seconds", "Time since the engine started.", s->uptime_usec);
        prom_u64(f, "cycles_total", "counter", "Cycles finished since the engine started.", s->cycles);
        prom_seconds(f, "last_cycle_duration_seconds", "Wall-clock time the last cycle took.",
                     s->last_cycle_duration_usec);
        prom_seconds(f, "last_cycle_cpu_seconds", "CPU time the last cycle used.", s->last_cycle_cpu_usec);

        prom_u64(f, "zram_devices", "gauge", "zram devices in the engine's pool.", s->zram_devices);
        prom_u64(f, "pool_original_bytes", "gauge", "Data stored in the zram pool, uncompressed.",
                 s->original_bytes);
        prom_u64(f, "pool_compressed_bytes", "gauge", "Data stored in the zram pool, compressed.",
                 s->compressed_bytes);
        prom_u64(f, "pool_memory_used_bytes", "gauge", "Memory the zram pool takes, overhead included.",
                 s->pool_memory_used_bytes);
        prom_u64(f, "pool_budget_bytes", "gauge", "Size the zram pool may use now.", s->pool_budget_bytes);
        prom_u64(f, "pool_cap_bytes", "gauge", "Size the zram pool may grow to at most.", s->pool_cap_bytes);
        if (s->compressed_bytes > 0)
                format_fixed(ratio, sizeof(ratio), s->original_bytes, s->compressed_bytes, 4);
        else
                strcpy(ratio, "0");
        prom_family(f, "pool_compression_ratio", "gauge",
                    "Original over compressed size of the zram pool's data; 0 when it holds none.");
        fprintf(f, "wolfram_pool_compression_ratio %s\n", ratio);
        prom_u64(f, "pool_saved_bytes", "gauge", "Memory the zram pool saves: original less memory used.",
                 stats_report_pool_saved_bytes(s));
        prom_u64(
                f, "pool_recompress_saved_bytes_total", "counter",
                "How much smaller recompressing idle and huge pages made the pool since the engine started.",
                s->recompress_saved_bytes);
        char cpu[32];
        format_fixed(cpu, sizeof(cpu), s->recompress_cpu_usec, 1000000, 6);
        prom_family(f, "pool_recompress_cpu_seconds_total", "counter",
                    "CPU the engine spent recompressing pool pages since it started.");
        fprintf(f, "wolfram_pool_recompress_cpu_seconds_total %s\n", cpu);
        prom_u64(f, "pool_written_back_bytes_total", "counter",
                 "Pool pages written to the backing device since the engine started.",
                 s->written_back_bytes);
        prom_u64(f, "pool_writeback_stored_bytes", "gauge", "What the pool's backing device holds now.",
                 s->writeback_stored_bytes);
        prom_u64(f, "pool_writeback_today_bytes", "gauge",
                 "Written to the backing device in the current day of the daily limit.",
                 s->writeback_today_bytes);
        prom_u64(f, "pool_writeback_limit_bytes", "gauge",
                 "The daily writeback limit; 0 without a backing device.", s->writeback_limit_bytes);

        prom_u64(f, "ksm_pages_sharing", "gauge", "Pages KSM deduplicated (pages_sharing).",
                 s->ksm_pages_sharing);
        prom_u64(f, "ksm_pages_shared", "gauge", "Shared pages KSM keeps (pages_shared).",
                 s->ksm_pages_shared);
        prom_u64(f, "ksm_pages_unshared", "gauge", "Pages KSM checks but found unique (pages_unshared).",
                 s->ksm_pages_unshared);
        prom_u64(f, "ksm_pages_volatile", "gauge", "Pages changing too fast for KSM (pages_volatile).",
                 s->ksm_pages_volatile);
        prom_u64(f, "ksm_zero_pages", "gauge", "Empty pages KSM merged with the zero page (ksm_zero_pages).",
                 s->ksm_zero_pages);
        prom_u64(f, "ksm_full_scans_total", "counter", "Full scans KSM made (full_scans).",
                 s->ksm_full_scans);
        prom_family(f, "ksm_saved_bytes", "gauge",
                    "Memory KSM saves less what its bookkeeping costs (general_profit); may be negative.");
        fprintf(f, "wolfram_ksm_saved_bytes %" PRId64 "\n", s->ksm_saved_bytes);

        prom_u64(f, "saved_bytes", "gauge", "Memory saved by the zram pool, KSM and hibernation together.",
                 stats_report_total_saved_bytes(s));
        prom_u64(f, "cold_bytes_total", "counter", "Memory advised MADV_COLD since the engine started.",
                 s->total_cold_bytes);
        prom_u64(f, "paged_out_bytes_total", "counter",
                 "Memory advised MADV_PAGEOUT since the engine started.", s->total_paged_out_bytes);
        prom_u64(f, "lifetime_paged_out_bytes_total", "counter",
                 "Memory advised MADV_PAGEOUT over every run the state directory remembers.",
                 s->lifetime_paged_out_bytes);
        prom_u64(f, "refaulted_bytes_total", "counter",
                 "Of the memory paged out since the engine started, what was needed again.",
                 s->refaulted_bytes);
        format_fixed(cpu, sizeof(cpu), s->wasted_pageout_cpu_usec, 1000000, 6);
        prom_family(f, "wasted_pageout_cpu_seconds_total", "counter",
                    "CPU the engine spent paging out what was needed again, since it started: its "
                    "pageouts' CPU in the share of what came back.");
        fprintf(f, "wolfram_wasted_pageout_cpu_seconds_total %s\n", cpu);
        prom_u64(f, "last_cycle_incompressible_bytes", "gauge",
                 "Idle memory the last cycle kept out of the pool because it compresses poorly.",
                 s->last_cycle_incompressible_bytes);
        prom_u64(f, "last_cycle_cgroup_reclaim_bytes", "gauge",
                 "Of what the last cycle paged out, what cgroups' LRUs moved through memory.reclaim.",
                 s->last_cycle_cgroup_reclaim_bytes);
        prom_u64(f, "pageout_held", "gauge",
                 "1 when the last cycle held every pageout back (memory or IO pressure), else 0.",
                 s->pageout_hold && *s->pageout_hold ? 1 : 0);
        char memory[32], io[32];
        format_fixed(memory, sizeof(memory), s->pressure_memory_hundredths, 100, 2);
        format_fixed(io, sizeof(io), s->pressure_io_hundredths, 100, 2);
        prom_family(f, "pressure_percent", "gauge",
                    "Share of the last ten seconds in which some task stalled for lack of the resource (PSI "
                    "some "
                    "avg10).");
        fprintf(f, "wolfram_pressure_percent{resource=\"memory\"} %s\n", memory);
        fprintf(f, "wolfram_pressure_percent{resource=\"io\"} %s\n", io);

        if (ferror(f))
                return -ENOMEM;
        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(text);
        return 0;
}

int stats_export_json(const StatsReport *s, const char *path) {
        _cleanup_free_ char *text = NULL;
        int r;

        assert(s);
        assert(path);

        r = stats_report_format_json(s, &text);
        if (r < 0)
                return r;
        return write_file_atomic(path, text);
}

int stats_export_prometheus(const StatsReport *s, const char *dir) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        int r;

        assert(s);
        assert(dir);

        r = stats_report_format_prometheus(s, &text);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s", dir, STATS_PROMETHEUS_FILE) < 0)
                return -ENOMEM;
        return write_file_atomic(path, text);
}
