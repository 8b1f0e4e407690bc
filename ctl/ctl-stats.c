/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "common/macro.h"
#include "ctl-stats.h"
#include "format.h"
#include "wolfram-bus.h"

static bool has_suffix(const char *s, const char *suffix) {
        size_t a, b;

        if (!s)
                return false;
        a = strlen(s);
        b = strlen(suffix);
        return a >= b && streq(s + a - b, suffix);
}

static void print_integer(FILE *f, const char *key, json_object *v, const OutputOptions *o) {
        int64_t i = json_object_get_int64(v);
        uint64_t u = i < 0 ? 0 : json_object_get_uint64(v);
        char buf[64];

        if (has_suffix(key, "Bytes"))
                fputs(i < 0 ? format_size_signed(buf, i, o) : format_size(buf, u, o), f);
        else if (has_suffix(key, "Usec") && i >= 0)
                fputs(format_duration(buf, sizeof(buf), u), f);
        else if (has_suffix(key, "Timestamp") && i >= 0)
                fputs(format_timestamp(buf, sizeof(buf), u), f);
        else if (i < 0)
                fprintf(f, "%" PRId64, i);
        else
                fprintf(f, "%" PRIu64, u);
}

static void print_scalar(FILE *f, const char *key, json_object *v, const OutputOptions *o) {
        switch (json_object_get_type(v)) {
        case json_type_null:
                fputs("-", f);
                break;
        case json_type_boolean:
                fputs(json_object_get_boolean(v) ? "yes" : "no", f);
                break;
        case json_type_int:
                print_integer(f, key, v, o);
                break;
        case json_type_double:
                fprintf(f, has_suffix(key, "Percent") ? "%.1f%%" : "%.2f", json_object_get_double(v));
                break;
        case json_type_string:
                fputs_escaped(f, *json_object_get_string(v) ? json_object_get_string(v) : "-");
                break;
        default:
                value_print_inline(f, key, v, o);
        }
}

void value_print_inline(FILE *f, const char *key, json_object *v, const OutputOptions *o) {
        bool first = true;

        if (json_object_is_type(v, json_type_object)) {
                if (key && streq(key, "Policies")) {
                        (void) print_policies(f, v, o);
                        return;
                }
                json_object_object_foreach(v, k, member) {
                        fputs(first ? "" : ", ", f);
                        fputs_escaped(f, k);
                        fputc('=', f);
                        value_print_inline(f, k, member, o);
                        first = false;
                }
                if (first)
                        fputs("none", f);
                return;
        }
        if (json_object_is_type(v, json_type_array)) {
                size_t n = json_object_array_length(v);

                for (size_t i = 0; i < n; i++) {
                        json_object *e = json_object_array_get_idx(v, i);

                        fputs(i > 0 ? ", " : "", f);
                        /* A struct's members have no names to go by. */
                        if (json_object_is_type(e, json_type_array))
                                for (size_t j = 0; j < json_object_array_length(e); j++) {
                                        fputs(j > 0 ? " " : "", f);
                                        value_print_inline(f, NULL, json_object_array_get_idx(e, j), o);
                                }
                        else
                                value_print_inline(f, key, e, o);
                }
                if (n == 0)
                        fputs("none", f);
                return;
        }
        print_scalar(f, key, v, o);
}

static bool is_list_of(json_object *v, json_type type) {
        return json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0 &&
               json_object_is_type(json_object_array_get_idx(v, 0), type);
}

/* Prints an object's members one a line at 'indent'; the first line starts
 * with 'first_prefix' instead (the "- " of a list item). */
static void print_tree(FILE *f, json_object *obj, int indent, const char *first_prefix,
                       const OutputOptions *o) {
        size_t width = 0;
        bool first = true;

        json_object_object_foreach(obj, key, v_) {
                (void) v_;
                if (text_width(key) > width)
                        width = text_width(key);
        }
        json_object_object_foreach(obj, k, v) {
                _cleanup_free_ char *ek = escape_text(k);

                if (first && first_prefix)
                        fprintf(f, "%*s%s", indent - (int) strlen(first_prefix), "", first_prefix);
                else
                        fprintf(f, "%*s", indent, "");
                first = false;
                fprintf(f, "%s:", ek ?: "?");

                if (json_object_is_type(v, json_type_object) && !streq(k, "Policies") &&
                    json_object_object_length(v) > 0) {
                        fputc('\n', f);
                        print_tree(f, v, indent + 2, NULL, o);
                } else if (is_list_of(v, json_type_object)) {
                        fputc('\n', f);
                        for (size_t i = 0; i < json_object_array_length(v); i++)
                                print_tree(f, json_object_array_get_idx(v, i), indent + 4, "- ", o);
                } else if (is_list_of(v, json_type_array)) {
                        fputc('\n', f);
                        for (size_t i = 0; i < json_object_array_length(v); i++) {
                                json_object *e = json_object_array_get_idx(v, i);

                                fprintf(f, "%*s- ", indent + 2, "");
                                for (size_t j = 0; j < json_object_array_length(e); j++) {
                                        fputs(j > 0 ? " " : "", f);
                                        value_print_inline(f, NULL, json_object_array_get_idx(e, j), o);
                                }
                                fputc('\n', f);
                        }
                } else {
                        /* Values line up after the longest key. */
                        fprintf(f, "%*s ", (int) (width - text_width(k)), "");
                        value_print_inline(f, k, v, o);
                        fputc('\n', f);
                }
        }
}

int stats_print(FILE *f, json_object *stats, const OutputOptions *o) {
        if (!json_object_is_type(stats, json_type_object))
                return -EINVAL;
        print_tree(f, stats, 0, NULL, o);
        return ferror(f) ? -EIO : 0;
}

static void print_tuning(FILE *f, json_object *stats) {
        json_object *tuning = json_get(stats, "Tuning");
        size_t n = tuning && json_object_is_type(tuning, json_type_array) ? json_object_array_length(tuning)
                                                                          : 0;
        bool any = false;

        for (size_t i = 0; i < n; i++) {
                json_object *t = json_object_array_get_idx(tuning, i);

                if (!json_get(t, "Original") || !json_get(t, "Value"))
                        continue;
                fputs(!any ? "   Tuning: vm." : "           vm.", f);
                fputs_escaped(f, json_get_str(t, "Name", "?"));
                fprintf(f, " %" PRId64 " (was %" PRId64, json_get_i64(t, "Value", 0),
                        json_get_i64(t, "Original", 0));
                /* The engine reads the kernel; Set is there when the value
                 * it wrote was changed since. */
                if (json_get(t, "Set"))
                        fprintf(f, "; wolfram set %" PRId64 ", changed since", json_get_i64(t, "Set", 0));
                fputs(")\n", f);
                any = true;
        }
        if (!any)
                fputs("   Tuning: none\n", f);
}

/* What came back of the pageouts, the pressure, and why pageouts wait
 * (engines that report them). */
static void print_pacing(FILE *f, json_object *stats, json_object *last, const OutputOptions *o) {
        uint64_t paged = json_get_u64(stats, "TotalPagedOutBytes", 0), back;
        char a[FORMAT_SIZE_MAX], b[FORMAT_SIZE_MAX];
        const char *hold;

        if (!json_get(stats, "TotalRefaultedBytes"))
                return;
        back = json_get_u64(stats, "TotalRefaultedBytes", 0);
        fprintf(f, " Refaults: %s of it came back", format_size(a, back, o));
        if (paged > 0)
                fprintf(f, " (%.1f%%)", 100.0 * (double) back / (double) paged);
        fprintf(f, ", %s since the cycle before; pressure: memory %.2f%%, IO %.2f%%\n",
                format_size(b, json_get_u64(last, "RefaultedBytes", 0), o),
                json_get_double(stats, "PressureMemoryPercent", 0),
                json_get_double(stats, "PressureIoPercent", 0));
        if (json_get_u64(stats, "WastedPageoutCpuUsec", 0) > 0)
                fprintf(f, "           paging out what came back cost %.2f s of CPU\n",
                        (double) json_get_u64(stats, "WastedPageoutCpuUsec", 0) / 1e6);
        hold = json_get_str(last, "HoldReason", "");
        if (*hold) {
                fputs("           pageouts wait: ", f);
                fputs_escaped(f, hold);
                fputc('\n', f);
        } else if (json_get_u64(last, "HeldProcesses", 0) > 0)
                fprintf(f,
                        "           pageouts wait for %" PRIu64
                        " processes over their refault budget (%s)\n",
                        json_get_u64(last, "HeldProcesses", 0),
                        format_size(a, json_get_u64(last, "HeldBytes", 0), o));
        if (json_get_u64(last, "IncompressibleBytes", 0) > 0)
                fprintf(f,
                        "           kept out: %s of idle memory compresses poorly (%s went in to learn "
                        "it)\n",
                        format_size(a, json_get_u64(last, "IncompressibleBytes", 0), o),
                        format_size(b, json_get_u64(last, "ProbeBytes", 0), o));
}

static void print_cycles(FILE *f, json_object *stats, const OutputOptions *o) {
        json_object *last = json_get(stats, "LastCycle");
        char a[FORMAT_SIZE_MAX], b[FORMAT_SIZE_MAX], c[FORMAT_SIZE_MAX];

        fputs("     Idle: ", f);
        fputs_escaped(f, json_get_str(stats, "IdleBackend", "?"));
        fputs(" tracking", f);
        if (json_get_u64(last, "Cycle", 0) > 0)
                fprintf(f,
                        ", cycle %" PRIu64 " looked at %" PRIu64
                        " processes in %.1f s, paged out %s, made cold %s%s\n",
                        json_get_u64(last, "Cycle", 0), json_get_u64(last, "Processes", 0),
                        (double) json_get_u64(last, "DurationUsec", 0) / 1e6,
                        format_size(a, json_get_u64(last, "PagedOutBytes", 0), o),
                        format_size(b, json_get_u64(last, "ColdBytes", 0), o),
                        json_get_bool(last, "DryRun", false) ? " (dry run: planned only)" : "");
        else
                fputs(", no cycle finished yet\n", f);
        /* Where the refs backend left mixed regions to their cgroup's LRU
         * (memory.reclaim on cgroup v2, a dip of the limit on v1). */
        if (json_get_u64(last, "CgroupReclaimBytes", 0) > 0)
                fprintf(f,
                        "           %s of that paged out by the LRU of %" PRIu64 " cgroups, page by page\n",
                        format_size(a, json_get_u64(last, "CgroupReclaimBytes", 0), o),
                        json_get_u64(last, "CgroupReclaimCgroups", 0));

        if (json_get(stats, "SavedBytes")) {
                fprintf(f, "    Saved: %s now", format_size(a, json_get_u64(stats, "SavedBytes", 0), o));
                if (json_get(stats, "PoolSavedBytes"))
                        fprintf(f, " (pool %s, KSM %s)",
                                format_size(b, json_get_u64(stats, "PoolSavedBytes", 0), o),
                                format_size_signed(c, json_get_i64(json_get(stats, "Ksm"), "SavedBytes", 0),
                                                   o));
                fputs("\n          ", f);
        } else
                fputs("    Saved:", f);
        fprintf(f, " %s paged out, %s made cold since start",
                format_size(a, json_get_u64(stats, "TotalPagedOutBytes", 0), o),
                format_size(b, json_get_u64(stats, "TotalColdBytes", 0), o));
        if (json_get(stats, "LifetimePagedOutBytes"))
                fprintf(f, ", %s over all runs",
                        format_size(c, json_get_u64(stats, "LifetimePagedOutBytes", 0), o));
        fputc('\n', f);
        print_pacing(f, stats, last, o);
}

/* The processes that sleep (HibernatedProcesses), and the restores that
 * failed (HibernateWakeFailures): their images wait for the admin. */
static void print_hibernated(FILE *f, json_object *stats, const OutputOptions *o) {
        json_object *sleeping = json_get(stats, "HibernatedProcesses"),
                    *failed = json_get(stats, "HibernateWakeFailures");
        size_t n = sleeping && json_object_is_type(sleeping, json_type_array)
                           ? json_object_array_length(sleeping)
                           : 0,
               n_failed = failed && json_object_is_type(failed, json_type_array)
                                  ? json_object_array_length(failed)
                                  : 0;
        char a[FORMAT_SIZE_MAX];

        if (n == 0)
                return;
        fprintf(f, "   Asleep: %zu hibernated process%s, %s returned (wolframctl processes, wake)\n", n,
                n == 1 ? "" : "es", format_size(a, json_get_u64(stats, "HibernatedSavedBytes", 0), o));
        for (size_t i = 0; i < n_failed; i++) {
                json_object *e = json_object_array_get_idx(failed, i);
                json_object *pid = json_object_array_get_idx(e, 0), *why = json_object_array_get_idx(e, 1);

                fprintf(f, "           waking %" PRId64 " failed, its images are kept: ",
                        pid ? json_object_get_int64(pid) : 0);
                fputs_escaped(f, why ? json_object_get_string(why) : "?");
                fputc('\n', f);
        }
}

/* The pool over time: recompression and writeback, where they run. */
static void print_ageing(FILE *f, json_object *stats, const OutputOptions *o) {
        const char *recompress = json_get_str(stats, "PoolRecompressAlgorithm", ""),
                   *backing = json_get_str(stats, "PoolWritebackDevice", ""),
                   *note = json_get_str(stats, "PoolAgeingNote", "");
        char a[FORMAT_SIZE_MAX], b[FORMAT_SIZE_MAX], c[FORMAT_SIZE_MAX];

        if (*recompress) {
                fputs("           recompressed with ", f);
                fputs_escaped(f, recompress);
                fprintf(f, " when idle: %s smaller, CPU %.1f s\n",
                        format_size(a, json_get_u64(stats, "PoolRecompressSavedBytes", 0), o),
                        (double) json_get_u64(stats, "PoolRecompressCpuUsec", 0) / 1e6);
        }
        if (*backing) {
                fputs("           written back to ", f);
                fputs_escaped(f, backing);
                fprintf(f, ": %s there now, %s today of %s a day\n",
                        format_size(a, json_get_u64(stats, "PoolWritebackStoredBytes", 0), o),
                        format_size(b, json_get_u64(stats, "PoolWritebackTodayBytes", 0), o),
                        format_size(c, json_get_u64(stats, "PoolWritebackLimitBytes", 0), o));
        }
        if (*note) {
                fputs("           ageing: ", f);
                fputs_escaped(f, note);
                fputc('\n', f);
        }
}

static void print_pool(FILE *f, json_object *stats, const OutputOptions *o) {
        json_object *pool = json_get(stats, "Pool"), *devices = json_get(pool, "Devices");
        char a[FORMAT_SIZE_MAX], b[FORMAT_SIZE_MAX];
        const char *note;
        uint64_t compressed;

        if (!devices || !json_object_is_type(devices, json_type_array) ||
            json_object_array_length(devices) == 0) {
                fputs("     Pool: none\n", f);
                goto note;
        }
        fputs("     Pool:", f);
        for (size_t i = 0; i < json_object_array_length(devices); i++) {
                fputc(' ', f);
                fputs_escaped(f, json_object_get_string(json_object_array_get_idx(devices, i)));
        }
        fputs(" (", f);
        fputs_escaped(f, json_get_str(pool, "Algorithm", "?"));
        compressed = json_get_u64(pool, "CompressedBytes", 0);
        fprintf(f, "), %s stored in %s, ratio %.2f\n",
                format_size(a, json_get_u64(pool, "OriginalBytes", 0), o),
                format_size(b, json_get_u64(pool, "MemoryUsedBytes", 0), o),
                compressed > 0 ? (double) json_get_u64(pool, "OriginalBytes", 0) / (double) compressed
                               : 0.0);
        fprintf(f, "           budget %s of RAM, cap %s\n",
                format_size(a, json_get_u64(pool, "BudgetBytes", 0), o),
                format_size(b, json_get_u64(pool, "CapBytes", 0), o));
        print_ageing(f, stats, o);
note:
        /* A note matters most when there is no pool, e.g. zswap pinned on. */
        note = json_get_str(pool, "Note", "");
        if (*note) {
                fputs("     Note: ", f);
                fputs_escaped(f, note);
                fputc('\n', f);
        }
}

static void print_ksm(FILE *f, json_object *stats, const OutputOptions *o) {
        json_object *ksm = json_get(stats, "Ksm");
        char a[FORMAT_SIZE_MAX];

        if (!json_get_bool(stats, "KsmAvailable", false) || !ksm) {
                fputs("      KSM: not available\n", f);
                return;
        }
        fputs("      KSM: ", f);
        fputs_escaped(f, json_get_str(ksm, "Mode", "?"));
        fprintf(f, ", %" PRIu64 " pages sharing, saves %s, ksmd %.1f%% CPU\n",
                json_get_u64(ksm, "PagesSharing", 0),
                format_size_signed(a, json_get_i64(ksm, "SavedBytes", 0), o),
                json_get_double(ksm, "CpuPercent", 0.0));
}

static void print_exclusion_count(FILE *f, json_object *stats) {
        json_object *list = json_get(stats, "Exclusions");
        size_t n, runtime = 0;

        if (!list || !json_object_is_type(list, json_type_array))
                return;
        n = json_object_array_length(list);
        for (size_t i = 0; i < n; i++) {
                json_object *origin = json_object_array_get_idx(json_object_array_get_idx(list, i), 2);

                if (origin && streq(json_object_get_string(origin), "runtime"))
                        runtime++;
        }
        fprintf(f, " Excluded: %zu pattern%s", n, n == 1 ? "" : "s");
        if (runtime > 0)
                fprintf(f, " (%zu added at runtime)", runtime);
        fputc('\n', f);
}

int status_print(FILE *f, json_object *stats, const OutputOptions *o) {
        char a[FORMAT_SIZE_MAX], b[FORMAT_SIZE_MAX], c[FORMAT_SIZE_MAX], t[64];
        const char *state = json_get_str(stats, "State", "?");
        json_object *zram = json_get(stats, "ZramDevices");
        size_t n_zram =
                zram && json_object_is_type(zram, json_type_array) ? json_object_array_length(zram) : 0;

        fprintf(f, "%swolframd%s ", ansi_bold(o), ansi_normal(o));
        fputs_escaped(f, json_get_str(stats, "Version", "?"));
        fprintf(f, ": %s", ansi_for_state(o, state));
        fputs_escaped(f, state);
        fprintf(f, "%s\n", ansi_normal(o));
        /* "Started: DATE (up 2h 3min)", or what of it the engine sends. */
        if (json_get(stats, "StartTimestamp")) {
                fprintf(f, "  Started: %s",
                        format_timestamp(t, sizeof(t), json_get_u64(stats, "StartTimestamp", 0)));
                if (json_get(stats, "UptimeUsec"))
                        fprintf(f, " (up %s)",
                                format_duration(a, sizeof(a), json_get_u64(stats, "UptimeUsec", 0)));
                fputc('\n', f);
        } else if (json_get(stats, "UptimeUsec"))
                fprintf(f, "   Uptime: %s\n",
                        format_duration(a, sizeof(a), json_get_u64(stats, "UptimeUsec", 0)));
        fputs("  Profile: ", f);
        fputs_escaped(f, json_get_str(stats, "Profile", "?"));
        fputs(" (", f);
        fputs_escaped(f, json_get_str(stats, "ProfileReason", "?"));
        fputs(")\n", f);
        if (json_get_bool(stats, "DryRun", false))
                fputs("  Dry run: yes, nothing is changed\n", f);
        if (json_get(stats, "Policies")) {
                json_object *overrides = json_get(stats, "PolicyOverrides");

                fputs(" Policies: ", f);
                (void) print_policies(f, json_get(stats, "Policies"), o);
                /* What wolframctl set changed over the configuration. */
                if (overrides && json_object_is_type(overrides, json_type_array) &&
                    json_object_array_length(overrides) > 0) {
                        fputs(" (set at run time: ", f);
                        for (size_t i = 0; i < json_object_array_length(overrides); i++) {
                                json_object *name = json_object_array_get_idx(overrides, i);

                                fputs(i > 0 ? ", " : "", f);
                                fputs_escaped(f, json_object_is_type(name, json_type_string)
                                                         ? json_object_get_string(name)
                                                         : "?");
                        }
                        fputs("; wolframctl set POLICY default undoes it)", f);
                }
                fputc('\n', f);
        }
        fprintf(f, "   Memory: %s total, %s available\n",
                format_size(a, json_get_u64(stats, "MemoryTotalBytes", 0), o),
                format_size(b, json_get_u64(stats, "MemoryAvailableBytes", 0), o));
        fprintf(f, "     Swap: %s used of %s\n", format_size(a, json_get_u64(stats, "SwapUsedBytes", 0), o),
                format_size(b, json_get_u64(stats, "SwapTotalBytes", 0), o));

        if (n_zram == 0)
                fputs("     zram: no devices\n", f);
        for (size_t i = 0; i < n_zram; i++) {
                json_object *d = json_object_array_get_idx(zram, i);

                fputs(i == 0 ? "     zram: " : "           ", f);
                fputs_escaped(f, json_get_str(d, "Name", "?"));
                fprintf(f, ": %s stored in %s (%s of RAM)%s\n",
                        format_size(a, json_get_u64(d, "OriginalBytes", 0), o),
                        format_size(b, json_get_u64(d, "CompressedBytes", 0), o),
                        format_size(c, json_get_u64(d, "MemoryUsedBytes", 0), o),
                        json_get_bool(d, "IsSwap", false) ? ", swap" : ", not swap");
        }

        print_cycles(f, stats, o);
        print_hibernated(f, stats, o);
        print_pool(f, stats, o);
        print_tuning(f, stats);
        print_ksm(f, stats, o);
        print_exclusion_count(f, stats);
        return ferror(f) ? -EIO : 0;
}

static int get_stats(sd_bus *bus, const CtlContext *c, json_object **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = ctl_call(bus, "GetStats", CTL_NO_START, 0, &error, &reply, NULL);
        if (r < 0)
                return ctl_report_error(c, "get status", &error, r);
        return ctl_reply_to_json(reply, "statistics", ret);
}

static int verb_stats_common(sd_bus *bus, const CtlContext *c, bool summary) {
        json_object *stats = NULL;
        int r;

        r = get_stats(bus, c, &stats);
        if (r != CTL_EXIT_SUCCESS)
                return r;
        if (c->json)
                r = print_json(stdout, stats, true);
        else if (summary)
                r = status_print(stdout, stats, &c->output);
        else
                r = stats_print(stdout, stats, &c->output);
        json_object_put(stats);
        return r < 0 ? CTL_EXIT_FAILED : CTL_EXIT_SUCCESS;
}

int verb_status(sd_bus *bus, const CtlContext *c, char **args) {
        (void) args;
        return verb_stats_common(bus, c, true);
}

int verb_stats(sd_bus *bus, const CtlContext *c, char **args) {
        (void) args;
        return verb_stats_common(bus, c, false);
}
