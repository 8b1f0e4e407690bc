/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "common/time-util.h"
#include "kernel/proc-scan.h"
#include "ksm/ksm-control.h"
#include "state/state-file.h"

#define OUR_SLEEP_MILLISECS 20L

static const char *const knob_names[_KSM_KNOB_MAX] = {
        "run",          "pages_to_scan", "sleep_millisecs", "advisor_max_cpu", "advisor_target_scan_time",
        "advisor_mode",
};

static long clamp_rate(double pages) {
        if (pages < (double) KSM_PAGES_TO_SCAN_IDLE)
                return KSM_PAGES_TO_SCAN_IDLE;
        if (pages > (double) KSM_PAGES_TO_SCAN_MAX)
                return KSM_PAGES_TO_SCAN_MAX;
        return (long) (pages + 0.5);
}

KsmRate ksm_next_rate(KsmRate current, const KsmRateInput *in) {
        KsmRate next = current;
        long sleep = in->sleep_millisecs > 0 ? in->sleep_millisecs : OUR_SLEEP_MILLISECS;
        uint64_t new_enough = in->tracked_pages / 100 > 256 ? in->tracked_pages / 100 : 256;
        double scanned = (double) in->pages_scanned;

        /* What a page costs ksmd: its CPU over the pages it scanned (or, on
         * kernels without the count, the pages it was told to scan). */
        if (scanned <= 0 && current.pages_to_scan > 0 && in->tick_usec > 0)
                scanned =
                        (double) current.pages_to_scan * ((double) in->tick_usec / 1000.0) / (double) sleep;
        if (scanned >= 1000 && in->cpu_percent > 0 && in->tick_usec > 0)
                next.usec_per_page = in->cpu_percent / 100.0 * (double) in->tick_usec / scanned;

        /* Work: memory ksmd had not seen, or pages merging. Passes without
         * either count down to idle. */
        if ((in->tracked_growth > 0 && (uint64_t) in->tracked_growth >= new_enough) ||
            in->merged_growth > 0) {
                next.passes_left = KSM_QUICK_PASSES;
                next.quiet_ticks = 0;
        } else {
                if (in->full_scans > 0 && next.passes_left > 0)
                        next.passes_left -= in->full_scans < next.passes_left ? (unsigned) in->full_scans
                                                                              : next.passes_left;
                next.quiet_ticks++;
                /* Nothing to scan (ksmd makes no passes then), or passes
                 * too slow to count down: quiet long enough is idle. */
                if (in->tracked_pages == 0 || next.quiet_ticks >= KSM_QUIET_TICKS)
                        next.passes_left = 0;
        }

        if (next.passes_left == 0) {
                next.pages_to_scan = KSM_PAGES_TO_SCAN_IDLE;
                return next;
        }

        /* Busy: one pass over what ksmd knows of every KSM_QUICK_PASS_MSEC,
         * at least the starting rate (the known pages grow as it scans),
         * never more than the CPU bound lets ksmd do. */
        double want = (double) in->tracked_pages * (double) sleep / KSM_QUICK_PASS_MSEC;
        if (want < (double) KSM_PAGES_TO_SCAN_BUSY_START)
                want = (double) KSM_PAGES_TO_SCAN_BUSY_START;
        if (next.usec_per_page > 0) {
                /* 90% of the bound: the measure lags one tick. */
                double cap =
                        0.9 * in->max_cpu_percent / 100.0 * (double) sleep * 1000.0 / next.usec_per_page;
                if (want > cap)
                        want = cap;
        }
        next.pages_to_scan = clamp_rate(want);
        return next;
}

int64_t ksm_saved_bytes(const KsmCounters *c) {
        if (c->has_general_profit)
                return c->general_profit;
        return (int64_t) ((c->pages_sharing + c->ksm_zero_pages) * (uint64_t) sysconf(_SC_PAGESIZE));
}

static int knob_path(KsmKnob k, char **ret) {
        return asprintf(ret, "%s/sys/kernel/mm/ksm/%s", root_prefix(), knob_names[k]) < 0 ? -ENOMEM : 0;
}

/* Reads a knob as the kernel shows it; advisor_mode as its bracketed word. */
static int knob_read(KsmKnob k, char value[32]) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        const char *open_b;
        int r;

        r = knob_path(k, &path);
        if (r < 0)
                return r;
        r = read_full_file(path, &buf, NULL);
        if (r < 0)
                return r;
        open_b = strchr(buf, '[');
        if (open_b)
                snprintf(value, 32, "%.*s", (int) strcspn(open_b + 1, "]"), open_b + 1);
        else
                snprintf(value, 32, "%.*s", (int) strcspn(buf, "\n"), buf);
        return 0;
}

static int knob_write(KsmKnob k, const char *value) {
        _cleanup_free_ char *path = NULL;
        int r = knob_path(k, &path);
        return r < 0 ? r : write_string_file(path, value);
}

static int state_write(const KsmControl *k) {
        char text[512] = "";
        size_t len = 0;
        bool any = false;

        for (KsmKnob i = 0; i < _KSM_KNOB_MAX; i++)
                if (k->saved[i]) {
                        any = true;
                        len += (size_t) snprintf(text + len, sizeof(text) - len, "%s=%s\n", knob_names[i],
                                                 k->original[i]);
                }
        if (!any)
                return unlink(k->state_file) < 0 && errno != ENOENT ? -errno : 0;
        return write_file_atomic(k->state_file, text);
}

void ksm_state_parse(const char *buf, size_t len, bool saved[_KSM_KNOB_MAX],
                     char original[_KSM_KNOB_MAX][32]) {
        const char *line;
        size_t pos = 0, line_len;

        while (next_line(buf, len, &pos, &line, &line_len))
                for (KsmKnob i = 0; i < _KSM_KNOB_MAX; i++) {
                        size_t n = strlen(knob_names[i]);
                        if (line_len > n && line_len - n - 1 < 32 && memcmp(line, knob_names[i], n) == 0 &&
                            line[n] == '=') {
                                snprintf(original[i], 32, "%.*s", (int) (line_len - n - 1), line + n + 1);
                                saved[i] = true;
                        }
                }
}

static void state_load(KsmControl *k) {
        _cleanup_free_ char *buf = NULL;
        size_t size;

        if (read_full_file(k->state_file, &buf, &size) < 0)
                return;
        log_notice("Found KSM settings saved by a previous run in %s; they will be restored on stop.",
                   k->state_file);
        ksm_state_parse(buf, size, k->saved, k->original);
}

int ksm_control_init(KsmControl *k, const char *runtime_dir) {
        *k = (KsmControl){};
        if (asprintf(&k->state_file, "%s/%s", runtime_dir, KSM_STATE_FILE) < 0) {
                k->state_file = NULL;
                return -ENOMEM;
        }
        return 0;
}

void ksm_control_done(KsmControl *k) {
        free(k->state_file);
        k->state_file = NULL;
}

/* Sets a knob, its original saved (on disk) first. */
static int ksm_set(KsmControl *k, KsmKnob knob, const char *value) {
        char now[32];
        int r;

        r = knob_read(knob, now);
        if (r < 0)
                return r;
        if (!k->saved[knob]) {
                memcpy(k->original[knob], now, sizeof(now));
                k->saved[knob] = true;
                r = state_write(k);
                if (r < 0)
                        return log_error_errno(r, "Failed to save the KSM settings to %s: %m",
                                               k->state_file);
        }
        if (streq(now, value))
                return 0;
        r = knob_write(knob, value);
        if (r < 0)
                return log_warning_errno(r, "Failed to set KSM %s to %s: %m", knob_names[knob], value);
        return 0;
}

static void ksm_measure(KsmControl *k) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        ProcStat s;

        /* ksmd keeps its pid; /proc is searched only when it is not known
         * or gone. */
        if ((k->ksmd_pid <= 0 || proc_read_stat(k->ksmd_pid, &s) < 0 || !streq(s.comm, "ksmd")) &&
            proc_find_ksmd(&k->ksmd_pid, &s) < 0)
                return;
        if (k->sample_usec > 0 && now > k->sample_usec) {
                uint64_t ticks = s.utime_ticks + s.stime_ticks - k->ksmd_ticks;
                uint64_t usec = ticks * 1000000 / (uint64_t) sysconf(_SC_CLK_TCK);

                k->cpu_percent = (double) usec * 100.0 / (double) (now - k->sample_usec);
                k->ksmd_cpu_usec_total += usec;
        }
        k->ksmd_ticks = s.utime_ticks + s.stime_ticks;
        k->sample_usec = now;
}

int ksm_control_start(KsmControl *k, const Config *c) {
        char value[32];
        int r;

        if (knob_read(KSM_KNOB_RUN, value) < 0)
                return -ENOENT;
        state_load(k);

        /* The advisor moves pages_to_scan too: keep what to go back to. */
        for (KsmKnob i = KSM_KNOB_PAGES_TO_SCAN; i <= KSM_KNOB_SLEEP_MILLISECS; i++)
                if (knob_read(i, value) >= 0)
                        (void) ksm_set(k, i, value);

        /* The advisor's pace comes from its history and aims at a pass in
         * minutes: a second copy of a service would wait that long to
         * merge. The rate is ours (ksm_next_rate), the advisor off. */
        k->has_advisor = knob_read(KSM_KNOB_ADVISOR_MODE, value) >= 0;
        if (k->has_advisor && !streq(value, "none")) {
                r = ksm_set(k, KSM_KNOB_ADVISOR_MODE, "none");
                if (r < 0)
                        return r;
        }
        k->rate =
                (KsmRate){ .pages_to_scan = KSM_PAGES_TO_SCAN_BUSY_START, .passes_left = KSM_QUICK_PASSES };
        k->have_last = false;
        snprintf(value, sizeof(value), "%ld", OUR_SLEEP_MILLISECS);
        r = ksm_set(k, KSM_KNOB_SLEEP_MILLISECS, value);
        snprintf(value, sizeof(value), "%ld", k->rate.pages_to_scan);
        if (r >= 0)
                r = ksm_set(k, KSM_KNOB_PAGES_TO_SCAN, value);
        if (r < 0)
                return r;
        r = ksm_set(k, KSM_KNOB_RUN, "1");
        if (r < 0)
                return r;
        k->started = true;
        ksm_measure(k);
        log_info("KSM started, scan rate tuned by wolfram%s, ksmd's CPU bounded to %u%%.",
                 k->has_advisor ? " (the kernel's advisor set to none)" : "", c->ksm_max_cpu_percent);
        return 0;
}

int ksm_control_tick(KsmControl *k, const Config *c) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        KsmCounters n;
        KsmRate next;
        char value[32];

        if (!k->started)
                return 0;
        ksm_measure(k);
        if (ksm_read_counters(&n) < 0)
                return 0;
        if (k->have_last) {
                uint64_t tracked = n.pages_shared + n.pages_sharing + n.pages_unshared + n.pages_volatile,
                         tracked_before = k->last.pages_shared + k->last.pages_sharing +
                                          k->last.pages_unshared + k->last.pages_volatile,
                         merged = n.pages_sharing + n.ksm_zero_pages,
                         merged_before = k->last.pages_sharing + k->last.ksm_zero_pages;
                KsmRateInput in = {
                        .sleep_millisecs = OUR_SLEEP_MILLISECS,
                        .max_cpu_percent = c->ksm_max_cpu_percent,
                        .cpu_percent = k->cpu_percent,
                        .tick_usec = now - k->last_tick_usec,
                        .tracked_pages = tracked,
                        .tracked_growth = (int64_t) tracked - (int64_t) tracked_before,
                        .merged_growth = merged > merged_before ? merged - merged_before : 0,
                        .full_scans =
                                n.full_scans > k->last.full_scans ? n.full_scans - k->last.full_scans : 0,
                        .pages_scanned = n.has_pages_scanned && n.pages_scanned > k->last.pages_scanned
                                                 ? n.pages_scanned - k->last.pages_scanned
                                                 : 0,
                };

                next = ksm_next_rate(k->rate, &in);
                if (next.pages_to_scan != k->rate.pages_to_scan) {
                        snprintf(value, sizeof(value), "%ld", next.pages_to_scan);
                        if (knob_write(KSM_KNOB_PAGES_TO_SCAN, value) < 0)
                                next.pages_to_scan = k->rate.pages_to_scan;
                        if ((next.passes_left == 0) != (k->rate.passes_left == 0))
                                log_debug("KSM %s: pages_to_scan %ld.",
                                          next.passes_left ? "has work, quick passes" : "idle",
                                          next.pages_to_scan);
                }
                k->rate = next;
        }
        k->last = n;
        k->have_last = true;
        k->last_tick_usec = now;
        return 0;
}

int ksm_control_stop(KsmControl *k) {
        int r = 0;

        /* Not started by us this time: a crashed predecessor's settings may
         * still wait to be put back. */
        if (!k->started)
                state_load(k);

        /* run last: the scan settings go back while ksmd still obeys them. */
        for (int i = _KSM_KNOB_MAX - 1; i >= 0; i--) {
                if (!k->saved[i])
                        continue;
                /* "run" first in the state, so restore it after the rest. */
                if (i == KSM_KNOB_RUN)
                        continue;
                if (knob_write((KsmKnob) i, k->original[i]) < 0)
                        r = log_warning_errno(errno, "Failed to restore KSM %s to %s.", knob_names[i],
                                              k->original[i]);
                else
                        k->saved[i] = false;
        }
        if (k->saved[KSM_KNOB_RUN]) {
                if (knob_write(KSM_KNOB_RUN, k->original[KSM_KNOB_RUN]) < 0)
                        r = log_warning_errno(errno, "Failed to restore KSM run to %s.",
                                              k->original[KSM_KNOB_RUN]);
                else {
                        k->saved[KSM_KNOB_RUN] = false;
                        log_info("KSM run restored to %s.", k->original[KSM_KNOB_RUN]);
                }
        }
        k->started = false;
        (void) state_write(k);
        return r;
}
