/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "kernel/tuning.h"
#include "state/state-file.h"

int tuning_init(Tuning *t, const char *runtime_dir) {
        *t = (Tuning){};
        if (asprintf(&t->state_file, "%s/%s", runtime_dir, TUNING_STATE_FILE) < 0) {
                t->state_file = NULL;
                return -ENOMEM;
        }
        return 0;
}

void tuning_done(Tuning *t) {
        free(t->state_file);
        t->state_file = NULL;
}

static int knob_path(TuningKnob k, char **ret) {
        _cleanup_free_ char *rel = NULL;

        if (asprintf(&rel, "/proc/sys/vm/%s", tuning_knob_sysctl_name(k)) < 0)
                return -ENOMEM;
        *ret = root_path(rel);
        return *ret ? 0 : -ENOMEM;
}

static int knob_read(TuningKnob k, long *ret) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        size_t size;
        int64_t v;
        int r;

        r = knob_path(k, &path);
        if (r < 0)
                return r;
        r = read_full_file(path, &buf, &size);
        if (r < 0)
                return r;
        r = parse_i64_line(buf, size, &v);
        if (r < 0)
                return -EBADMSG;
        *ret = (long) v;
        return 0;
}

int tuning_read_now(TuningKnob k, long *ret) {
        return knob_read(k, ret);
}

static int knob_write(TuningKnob k, long v) {
        _cleanup_free_ char *path = NULL;
        char text[32];
        int r;

        r = knob_path(k, &path);
        if (r < 0)
                return r;
        snprintf(text, sizeof(text), "%ld\n", v);
        return write_string_file(path, text);
}

int tuning_state_parse(const char *buf, size_t len, bool saved[_KNOB_MAX], long original[_KNOB_MAX]) {
        const char *line;
        size_t pos = 0, line_len;

        while (next_line(buf, len, &pos, &line, &line_len)) {
                const char *eq = memchr(line, '=', line_len);
                bool known = false;
                int64_t v;

                if (line_len == 0)
                        continue;
                for (TuningKnob k = 0; eq && k < _KNOB_MAX; k++) {
                        const char *name = tuning_knob_sysctl_name(k);
                        size_t name_len = (size_t) (eq - line);

                        if (name_len != 3 + strlen(name) || memcmp(line, "vm.", 3) != 0 ||
                            memcmp(line + 3, name, name_len - 3) != 0)
                                continue;
                        known = parse_i64(eq + 1, line_len - name_len - 1, &v) >= 0;
                        if (known) {
                                saved[k] = true;
                                original[k] = (long) v;
                        }
                }
                if (!known)
                        log_warning("Ignoring line '%.*s' in the saved sysctl values.", (int) line_len,
                                    line);
        }
        return 0;
}

/* Replaces the state file atomically, or removes it when nothing is saved. */
static int tuning_state_write(const Tuning *t) {
        char text[_KNOB_MAX * 64] = "";
        size_t len = 0;
        bool any = false;
        int r;

        for (TuningKnob k = 0; k < _KNOB_MAX; k++)
                if (t->saved[k]) {
                        any = true;
                        len += (size_t) snprintf(text + len, sizeof(text) - len, "vm.%s=%ld\n",
                                                 tuning_knob_sysctl_name(k), t->original[k]);
                }
        if (!any) {
                if (unlink(t->state_file) < 0 && errno != ENOENT)
                        return log_warning_errno(errno, "Failed to remove %s: %m", t->state_file);
                return 0;
        }

        r = write_file_atomic(t->state_file, text);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", t->state_file);
        return 0;
}

static int tuning_state_load(Tuning *t) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        t->loaded = true;
        r = read_full_file(t->state_file, &buf, &size);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "Failed to read %s: %m", t->state_file);
        /* A previous engine did not get to restore these: they, not what the
         * kernel shows now, are the originals. */
        log_notice("Found sysctl values saved by a previous run in %s; they will be restored on stop.",
                   t->state_file);
        return tuning_state_parse(buf, size, t->saved, t->original);
}

static int knob_restore(Tuning *t, TuningKnob k) {
        int r = knob_write(k, t->original[k]);

        if (r == -ENOENT) {
                /* Gone from the kernel: nothing left to restore. */
                t->saved[k] = t->applied[k] = false;
                return 0;
        }
        if (r < 0)
                return log_warning_errno(r, "Failed to restore vm.%s to %ld: %m", tuning_knob_sysctl_name(k),
                                         t->original[k]);
        log_info("Restored vm.%s to %ld.", tuning_knob_sysctl_name(k), t->original[k]);
        t->saved[k] = t->applied[k] = false;
        return 0;
}

int tuning_apply(Tuning *t, const Config *c) {
        long current[_KNOB_MAX];
        bool want[_KNOB_MAX], changed_saved = false;
        int r;

        if (!t->loaded) {
                r = tuning_state_load(t);
                if (r < 0)
                        return r;
        }

        for (TuningKnob k = 0; k < _KNOB_MAX; k++) {
                const char *name = tuning_knob_sysctl_name(k);

                want[k] = c->tuning_enabled && c->knobs[k] != KNOB_SKIP;
                if (!want[k]) {
                        if (t->saved[k] && !c->dry_run) {
                                (void) knob_restore(t, k);
                                changed_saved = true;
                        }
                        continue;
                }
                r = knob_read(k, &current[k]);
                if (r == -ENOENT) {
                        if (!t->missing[k])
                                log_info("The kernel has no vm.%s, skipping it.", name);
                        t->missing[k] = true;
                        want[k] = false;
                        continue;
                }
                if (r < 0) {
                        log_warning_errno(r, "Failed to read vm.%s, leaving it alone: %m", name);
                        want[k] = false;
                        continue;
                }
                if (c->dry_run) {
                        if (current[k] != c->knobs[k])
                                log_info("Dry run: would set vm.%s to %d (now %ld).", name, c->knobs[k],
                                         current[k]);
                        want[k] = false;
                        continue;
                }
                if (!t->saved[k]) {
                        t->original[k] = current[k];
                        t->saved[k] = true;
                        changed_saved = true;
                }
        }

        /* The originals are on disk before the first value changes. */
        if (changed_saved) {
                r = tuning_state_write(t);
                if (r < 0)
                        return r;
        }

        for (TuningKnob k = 0; k < _KNOB_MAX; k++) {
                if (!want[k])
                        continue;
                if (current[k] != c->knobs[k]) {
                        r = knob_write(k, c->knobs[k]);
                        if (r < 0) {
                                log_warning_errno(r, "Failed to set vm.%s to %d, ignoring: %m",
                                                  tuning_knob_sysctl_name(k), c->knobs[k]);
                                continue;
                        }
                        log_info("Set vm.%s to %d (was %ld).", tuning_knob_sysctl_name(k), c->knobs[k],
                                 t->original[k]);
                }
                t->applied[k] = true;
                t->value[k] = c->knobs[k];
        }
        return 0;
}

int tuning_restore(Tuning *t) {
        int r = 0;

        if (!t->loaded) {
                r = tuning_state_load(t);
                if (r < 0)
                        return r;
        }
        for (TuningKnob k = 0; k < _KNOB_MAX; k++)
                if (t->saved[k]) {
                        int q = knob_restore(t, k);
                        r = r ?: q;
                }
        (void) tuning_state_write(t);
        return r;
}
