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

#define PAGES_TO_SCAN_MIN 64L
#define PAGES_TO_SCAN_MAX 16384L
#define OUR_SLEEP_MILLISECS 20L
/* The advisor's default aims at one pass over all mergeable memory in 200 s;
 * merged memory pays off sooner with 30 s, and the CPU bound still holds. */
#define ADVISOR_TARGET_SCAN_SECS "30"

static const char *const knob_names[_KSM_KNOB_MAX] = {
        "run",          "pages_to_scan", "sleep_millisecs", "advisor_max_cpu", "advisor_target_scan_time",
        "advisor_mode",
};

long ksm_next_pages_to_scan(long current, double cpu_percent, unsigned max_cpu_percent,
                            uint64_t sharing_delta, uint64_t mergeable_pages, long sleep_millisecs) {
        long target =
                (long) (mergeable_pages / (uint64_t) (60000 / (sleep_millisecs > 0 ? sleep_millisecs : 20)));
        long next = current;

        if (cpu_percent > max_cpu_percent || sharing_delta == 0)
                next = current / 2;
        else if (current < target)
                next = current * 2 < target ? current * 2 : target;
        if (next < PAGES_TO_SCAN_MIN)
                next = PAGES_TO_SCAN_MIN;
        if (next > PAGES_TO_SCAN_MAX)
                next = PAGES_TO_SCAN_MAX;
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

        k->has_advisor = knob_read(KSM_KNOB_ADVISOR_MODE, value) >= 0;
        if (k->has_advisor) {
                snprintf(value, sizeof(value), "%u", c->ksm_max_cpu_percent);
                r = ksm_set(k, KSM_KNOB_ADVISOR_MAX_CPU, value);
                if (r >= 0)
                        r = ksm_set(k, KSM_KNOB_ADVISOR_TARGET_SCAN_TIME, ADVISOR_TARGET_SCAN_SECS);
                if (r >= 0)
                        r = ksm_set(k, KSM_KNOB_ADVISOR_MODE, "scan-time");
                if (r < 0)
                        k->has_advisor = false;
        }
        if (!k->has_advisor) {
                k->pages_to_scan = PAGES_TO_SCAN_MIN * 4;
                snprintf(value, sizeof(value), "%ld", OUR_SLEEP_MILLISECS);
                r = ksm_set(k, KSM_KNOB_SLEEP_MILLISECS, value);
                snprintf(value, sizeof(value), "%ld", k->pages_to_scan);
                if (r >= 0)
                        r = ksm_set(k, KSM_KNOB_PAGES_TO_SCAN, value);
                if (r < 0)
                        return r;
        }
        r = ksm_set(k, KSM_KNOB_RUN, "1");
        if (r < 0)
                return r;
        k->started = true;
        ksm_measure(k);
        log_info("KSM started, %s, ksmd's CPU bounded to %u%%.",
                 k->has_advisor ? "scan rate by the kernel's advisor" : "scan rate tuned by wolfram",
                 c->ksm_max_cpu_percent);
        return 0;
}

int ksm_control_tick(KsmControl *k, const Config *c) {
        KsmCounters counters;
        uint64_t delta;
        long next;
        char value[32];

        if (!k->started)
                return 0;
        ksm_measure(k);
        if (k->has_advisor || ksm_read_counters(&counters) < 0)
                return 0;

        delta = counters.pages_sharing > k->last_pages_sharing
                        ? counters.pages_sharing - k->last_pages_sharing
                        : 0;
        k->last_pages_sharing = counters.pages_sharing;
        next = ksm_next_pages_to_scan(k->pages_to_scan, k->cpu_percent, c->ksm_max_cpu_percent, delta,
                                      counters.pages_shared + counters.pages_sharing +
                                              counters.pages_unshared + counters.pages_volatile,
                                      OUR_SLEEP_MILLISECS);
        if (next == k->pages_to_scan)
                return 0;
        snprintf(value, sizeof(value), "%ld", next);
        if (knob_write(KSM_KNOB_PAGES_TO_SCAN, value) >= 0)
                k->pages_to_scan = next;
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
