/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "ctl-control.h"
#include "format.h"
#include "table.h"
#include "wolfram-bus.h"

/* Page-out of a large process can take a while; the default 25 s of sd-bus
 * would give up on an engine that is still working. */
#define RECLAIM_TIMEOUT_USEC (UINT64_C(300) * 1000000)

int exclusions_from_bus(json_object *bus_rows, json_object **ret) {
        static const char *const names[] = { "Pattern", "Kind", "Origin" };
        json_object *out;

        if (!json_object_is_type(bus_rows, json_type_array))
                return -EBADMSG;
        out = json_object_new_array();
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < json_object_array_length(bus_rows); i++) {
                json_object *in = json_object_array_get_idx(bus_rows, i), *o;

                if (!json_object_is_type(in, json_type_array) ||
                    json_object_array_length(in) != ELEMENTSOF(names))
                        goto bad;
                o = json_object_new_object();
                if (!o || json_object_array_add(out, o) < 0) {
                        json_object_put(o);
                        json_object_put(out);
                        return -ENOMEM;
                }
                for (size_t j = 0; j < ELEMENTSOF(names); j++) {
                        json_object *v = json_object_array_get_idx(in, j);

                        if (!json_object_is_type(v, json_type_string))
                                goto bad;
                        json_object_object_add(o, names[j], json_object_get(v));
                }
        }
        *ret = out;
        return 0;
bad:
        json_object_put(out);
        return -EBADMSG;
}

int exclusions_print(FILE *f, json_object *exclusions, const OutputOptions *o) {
        static const char *const headers[] = { "PATTERN", "KIND", "ORIGIN" };
        _cleanup_(table_freep) Table *t = NULL;
        size_t n = json_object_array_length(exclusions);
        int r = 0;

        if (n == 0) {
                if (!o->no_legend)
                        fputs("No exclusions.\n", f);
                return ferror(f) ? -EIO : 0;
        }
        t = table_new(ELEMENTSOF(headers), headers);
        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n && r >= 0; i++) {
                json_object *e = json_object_array_get_idx(exclusions, i);

                for (size_t j = 0; j < ELEMENTSOF(headers) && r >= 0; j++) {
                        static const char *const keys[] = { "Pattern", "Kind", "Origin" };
                        r = table_add_cell(t, json_get_str(e, keys[j], "?"));
                }
        }
        return r < 0 ? r : table_print(t, f, o);
}

int reclaim_result_print(FILE *f, json_object *result, const OutputOptions *o) {
        const char *mode = json_get_str(result, "Mode", "?");
        char advised[FORMAT_SIZE_MAX], before[FORMAT_SIZE_MAX], after[FORMAT_SIZE_MAX], duration[32];

        format_size(advised, json_get_u64(result, "AdvisedBytes", 0), o);
        if (streq(mode, "pageout"))
                fprintf(f, "Paged out %s of ", advised);
        else if (streq(mode, "cold"))
                fprintf(f, "Made %s of ", advised);
        else
                fprintf(f, "Advised %s of ", advised);
        fputs_escaped(f, json_get_str(result, "Name", "?"));
        fprintf(f, " (%" PRIu64 ")%s", json_get_u64(result, "Pid", 0), streq(mode, "cold") ? " cold" : "");
        if (!streq(mode, "pageout") && !streq(mode, "cold")) {
                fputs(" as ", f);
                fputs_escaped(f, mode);
        }
        fprintf(f, " in %s; its swap went from %s to %s.\n",
                format_duration(duration, sizeof(duration), json_get_u64(result, "DurationUsec", 0)),
                format_size(before, json_get_u64(result, "SwapBytesBefore", 0), o),
                format_size(after, json_get_u64(result, "SwapBytesAfter", 0), o));
        if (json_get_bool(result, "PoolFull", false))
                fputs("It stopped early: the pool's budget had no room for more (it grows as the pool "
                      "fills).\n",
                      f);
        return ferror(f) ? -EIO : 0;
}

int parse_pid(const char *s, uint32_t *ret) {
        unsigned long long v;
        char *end;

        /* strtoull() would take " 12", "+12" and "-1"; a pid is digits. */
        if (!s || s[0] < '0' || s[0] > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end || v == 0 || v > INT32_MAX)
                return -EINVAL;
        *ret = (uint32_t) v;
        return 0;
}

int verb_exclusions(sd_bus *bus, const CtlContext *c, char **args) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        json_object *bus_rows = NULL, *exclusions = NULL;
        int r;

        (void) args;
        r = ctl_get_property(bus, "Exclusions", &error, &reply);
        if (r < 0)
                return ctl_report_error(c, "get the exclusions", &error, r);
        r = ctl_reply_to_json(reply, "exclusions", &bus_rows);
        if (r != CTL_EXIT_SUCCESS)
                return r;
        r = exclusions_from_bus(bus_rows, &exclusions);
        json_object_put(bus_rows);
        if (r < 0) {
                fprintf(stderr, "Failed to parse the engine's exclusions: %s\n", strerror(-r));
                return CTL_EXIT_FAILED;
        }
        r = c->json ? print_json(stdout, exclusions, true)
                    : exclusions_print(stdout, exclusions, &c->output);
        json_object_put(exclusions);
        return r < 0 ? CTL_EXIT_FAILED : CTL_EXIT_SUCCESS;
}

static int call_with_pattern(sd_bus *bus, const CtlContext *c, const char *method, const char *verb,
                             const char *pattern) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *escaped = NULL, *what = NULL;
        int r;

        r = ctl_call(bus, method, CTL_START_ENGINE, 0, &error, NULL, "s", pattern);
        if (r >= 0)
                return CTL_EXIT_SUCCESS;
        escaped = escape_text(pattern);
        if (!escaped || asprintf(&what, "%s '%s'", verb, escaped) < 0)
                return ctl_report_error(c, verb, &error, r);
        return ctl_report_error(c, what, &error, r);
}

int verb_exclude(sd_bus *bus, const CtlContext *c, char **args) {
        return call_with_pattern(bus, c, "AddExclusion", "exclude", args[0]);
}

int verb_include(sd_bus *bus, const CtlContext *c, char **args) {
        return call_with_pattern(bus, c, "RemoveExclusion", "include", args[0]);
}

int verb_reclaim(sd_bus *bus, const CtlContext *c, char **args) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        json_object *result = NULL;
        char what[64];
        uint32_t pid;
        int r;

        /* wolframctl.c validated it already; this keeps the verb safe alone. */
        if (parse_pid(args[0], &pid) < 0)
                return CTL_EXIT_USAGE;
        snprintf(what, sizeof(what), "reclaim memory of process %" PRIu32, pid);

        r = ctl_call(bus, "ReclaimProcess", CTL_START_ENGINE, RECLAIM_TIMEOUT_USEC, &error, &reply, "us",
                     pid, c->reclaim_mode);
        if (r < 0)
                return ctl_report_error(c, what, &error, r);
        r = ctl_reply_to_json(reply, "reclaim result", &result);
        if (r != CTL_EXIT_SUCCESS)
                return r;
        r = c->json ? print_json(stdout, result, true) : reclaim_result_print(stdout, result, &c->output);
        json_object_put(result);
        return r < 0 ? CTL_EXIT_FAILED : CTL_EXIT_SUCCESS;
}

/* A checkpoint or restore of a large process takes a while. */
#define HIBERNATE_TIMEOUT_USEC (UINT64_C(600) * 1000000)

/* HibernateProcess or WakeProcess of one pid: the helper's words on
 * success (or the result as JSON), the error otherwise. */
static int hibernate_call(sd_bus *bus, const CtlContext *c, const char *method, const char *verb,
                          uint32_t pid) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        json_object *result = NULL;
        char what[64];
        int r;

        snprintf(what, sizeof(what), "%s process %" PRIu32, verb, pid);
        r = ctl_call(bus, method, CTL_START_ENGINE, HIBERNATE_TIMEOUT_USEC, &error, &reply, "u", pid);
        if (r < 0)
                return ctl_report_error(c, what, &error, r);
        r = ctl_reply_to_json(reply, "result", &result);
        if (r != CTL_EXIT_SUCCESS)
                return r;
        if (c->json)
                r = print_json(stdout, result, true);
        else {
                fputs_escaped(stdout, json_get_str(result, "Message", "done"));
                fputc('\n', stdout);
        }
        json_object_put(result);
        return r < 0 ? CTL_EXIT_FAILED : CTL_EXIT_SUCCESS;
}

int verb_hibernate(sd_bus *bus, const CtlContext *c, char **args) {
        uint32_t pid;

        if (parse_pid(args[0], &pid) < 0)
                return CTL_EXIT_USAGE;
        return hibernate_call(bus, c, "HibernateProcess", "hibernate", pid);
}

int verb_wake(sd_bus *bus, const CtlContext *c, char **args) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint32_t pid, pids[4096];
        size_t n = 0;
        int r, ret = CTL_EXIT_SUCCESS;

        if (!streq(args[0], "all")) {
                if (parse_pid(args[0], &pid) < 0)
                        return CTL_EXIT_USAGE;
                return hibernate_call(bus, c, "WakeProcess", "wake", pid);
        }
        /* Every process the engine lists as hibernated, one after the
         * other; a failure leaves that one's images and goes on. */
        r = ctl_get_property(bus, "HibernatedProcesses", &error, &reply);
        if (r < 0)
                return ctl_report_error(c, "list the hibernated processes", &error, r);
        r = sd_bus_message_enter_container(reply, 'a', "(usutt)");
        while (r >= 0 && n < ELEMENTSOF(pids)) {
                r = sd_bus_message_read(reply, "(usutt)", &pids[n], NULL, NULL, NULL, NULL);
                if (r <= 0)
                        break;
                n++;
        }
        if (r < 0) {
                fprintf(stderr, "Unexpected reply for HibernatedProcesses: %s\n", strerror(-r));
                return CTL_EXIT_FAILED;
        }
        if (n == 0 && !c->json)
                printf("No process is hibernated.\n");
        for (size_t i = 0; i < n; i++) {
                r = hibernate_call(bus, c, "WakeProcess", "wake", pids[i]);
                if (r != CTL_EXIT_SUCCESS && ret == CTL_EXIT_SUCCESS)
                        ret = r;
        }
        return ret;
}

int verb_set(sd_bus *bus, const CtlContext *c, char **args) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        bool enable = streq(args[1], "on");
        char what[64];
        int r;

        /* "default": drop the run-time switch, the configuration decides. */
        if (streq(args[1], "default"))
                r = ctl_call(bus, "ResetPolicy", CTL_START_ENGINE, 0, &error, NULL, "s", args[0]);
        else
                r = ctl_call(bus, "SetPolicy", CTL_START_ENGINE, 0, &error, NULL, "sb", args[0],
                             (int) enable);
        if (r >= 0)
                return CTL_EXIT_SUCCESS;
        /* The name was checked against the known policies before. */
        if (streq(args[1], "default"))
                snprintf(what, sizeof(what), "set %s back to the configuration's value", args[0]);
        else
                snprintf(what, sizeof(what), "turn %s %s", args[0], enable ? "on" : "off");
        return ctl_report_error(c, what, &error, r);
}

static int simple_call(sd_bus *bus, const CtlContext *c, const char *method, const char *what) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = ctl_call(bus, method, CTL_START_ENGINE, 0, &error, NULL, NULL);
        return r < 0 ? ctl_report_error(c, what, &error, r) : CTL_EXIT_SUCCESS;
}

int verb_pause(sd_bus *bus, const CtlContext *c, char **args) {
        (void) args;
        return simple_call(bus, c, "Pause", "pause");
}

int verb_resume(sd_bus *bus, const CtlContext *c, char **args) {
        (void) args;
        return simple_call(bus, c, "Resume", "resume");
}

int verb_reload(sd_bus *bus, const CtlContext *c, char **args) {
        (void) args;
        return simple_call(bus, c, "Reload", "reload");
}
