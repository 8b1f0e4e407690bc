/* SPDX-License-Identifier: MIT */
/* The members that steer the engine beyond Pause/Resume/Reload:
 * exclusions, policies, ReclaimProcess, and the properties that show them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bus-members.h"
#include "bus-polkit.h"
#include "bus-server.h"
#include "common/log.h"
#include "common/macro.h"
#include "wolfram-bus.h"

int append_policies(sd_bus_message *m, Engine *e) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sb}");
        for (PolicyName p = 0; r >= 0 && p < _POLICY_MAX; p++)
                r = sd_bus_message_append(m, "{sb}", policy_name_to_string(p), engine_policy_enabled(e, p));
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int append_exclusion_list(sd_bus_message *m, char **l, size_t n, size_t n_from_files,
                                 const char *kind) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(m, "(sss)", l[i], kind,
                                          i < n_from_files ? "configuration" : "runtime");
        return r;
}

int append_exclusions(sd_bus_message *m, Engine *e) {
        const Config *c = &e->config;
        int r;

        r = sd_bus_message_open_container(m, 'a', "(sss)");
        if (r >= 0)
                r = append_exclusion_list(m, c->excluded_names, c->n_excluded_names, e->origin.n_names,
                                          "name");
        if (r >= 0)
                r = append_exclusion_list(m, c->excluded_cgroups, c->n_excluded_cgroups, e->origin.n_cgroups,
                                          "cgroup");
        if (r >= 0)
                r = append_exclusion_list(m, c->only_cgroups, c->n_only_cgroups, c->n_only_cgroups,
                                          "only-cgroup");
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

int property_get_policies(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return append_policies(reply, userdata);
}

int property_get_exclusions(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return append_exclusions(reply, userdata);
}

static int emit(Engine *e, const char *property) {
        int r = sd_bus_emit_properties_changed(bus_server_bus(e), WOLFRAM_BUS_PATH, WOLFRAM_BUS_INTERFACE,
                                               property, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged for %s, ignoring: %m", property);
        return 0;
}

static int reply_save_error(sd_bus_error *error, Engine *e, int r) {
        return sd_bus_error_setf(error, WOLFRAM_ERROR_FAILED, "Failed to save %s, nothing was changed: %s",
                                 e->runtime_state_path, strerror(-r));
}

/* AddExclusion and RemoveExclusion: the same argument, action and errors
 * but for the few each has of its own. */
static int method_exclusion(sd_bus_message *call, Engine *e, bool add, sd_bus_error *error) {
        const char *pattern, *why = NULL;
        int r;

        r = sd_bus_message_read(call, "s", &pattern);
        if (r < 0)
                return r;
        r = bus_verify_polkit_async(call, WOLFRAM_POLKIT_ACTION_EXCLUDE, bus_server_polkit(e), error);
        if (r <= 0)
                return r < 0 ? r : 1;

        r = add ? engine_add_exclusion(e, pattern, &why) : engine_remove_exclusion(e, pattern, &why);
        switch (r) {
        case -EINVAL:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_INVALID_PATTERN, "Invalid pattern: %s.", why);
        case -E2BIG:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_LIMIT_EXCEEDED,
                                         "There are %u runtime exclusions already; remove some first.",
                                         RUNTIME_EXCLUSIONS_MAX);
        case -ENOENT:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_NO_SUCH_EXCLUSION,
                                         "'%s' is not excluded; see the Exclusions property.", pattern);
        case -EPERM:
                return sd_bus_error_setf(
                        error, WOLFRAM_ERROR_NOT_SUPPORTED,
                        "'%s' is excluded by the configuration files or the profile; remove it "
                        "there (or override [Exclude] in a drop-in) and Reload.",
                        pattern);
        case -ENOMEM:
                return r;
        default:
                if (r < 0)
                        return reply_save_error(error, e, r);
        }
        if (r > 0)
                emit(e, "Exclusions");
        return sd_bus_reply_method_return(call, NULL);
}

int method_add_exclusion(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return method_exclusion(call, userdata, true, error);
}

int method_remove_exclusion(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return method_exclusion(call, userdata, false, error);
}

int method_set_policy(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;
        const char *name;
        int enabled, p, r;

        r = sd_bus_message_read(call, "sb", &name, &enabled);
        if (r < 0)
                return r;
        r = bus_verify_polkit_async(call, WOLFRAM_POLKIT_ACTION_CONFIGURE, bus_server_polkit(e), error);
        if (r <= 0)
                return r < 0 ? r : 1;

        p = policy_name_from_string(name);
        if (p < 0)
                return sd_bus_error_setf(error, WOLFRAM_ERROR_INVALID_ARGUMENT,
                                         "Unknown policy '%s': use \"compression\", \"ksm\" or \"tuning\".",
                                         name);
        r = engine_set_policy(e, (PolicyName) p, enabled);
        if (r == -EOPNOTSUPP)
                return sd_bus_error_setf(error, WOLFRAM_ERROR_NOT_SUPPORTED,
                                         "This kernel has no KSM (/sys/kernel/mm/ksm).");
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return reply_save_error(error, e, r);
        bus_server_emit_changes(e, r);
        return sd_bus_reply_method_return(call, NULL);
}

static void reclaim_done(Engine *e, ReclaimProcessJob *job) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = job->userdata, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!call)
                return;
        if (job->error == -ESRCH)
                r = sd_bus_error_setf(&error, WOLFRAM_ERROR_NO_SUCH_PROCESS,
                                      "Process %d (%s) exited during the reclaim.", (int) job->target.pid,
                                      job->target.comm);
        else if (job->error < 0)
                r = sd_bus_error_setf(&error, WOLFRAM_ERROR_FAILED, "Failed to reclaim process %d (%s): %s",
                                      (int) job->target.pid, job->target.comm, strerror(-job->error));
        else {
                r = sd_bus_message_new_method_return(call, &reply);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "a{sv}", 7, "Pid", "u", (uint32_t) job->target.pid,
                                                  "Name", "s", job->target.comm, "Mode", "s",
                                                  job->action == POLICY_PAGEOUT ? "pageout" : "cold",
                                                  "AdvisedBytes", "t", job->advised_bytes, "SwapBytesBefore",
                                                  "t", job->swap_before_bytes, "SwapBytesAfter", "t",
                                                  job->swap_after_bytes, "DurationUsec", "t",
                                                  job->duration_usec);
                if (r >= 0)
                        r = sd_bus_send(NULL, reply, NULL);
                if (r < 0)
                        log_warning_errno(r, "Failed to answer ReclaimProcess: %m");
                if (job->action == POLICY_PAGEOUT && job->advised_bytes > 0)
                        emit(e, "LifetimePagedOutBytes");
                return;
        }
        r = sd_bus_reply_method_error(call, &error);
        if (r < 0)
                log_warning_errno(r, "Failed to answer ReclaimProcess: %m");
}

int method_reclaim_process(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *why = NULL;
        Engine *e = userdata;
        const char *mode;
        uint32_t pid;
        int r;

        r = sd_bus_message_read(call, "us", &pid, &mode);
        if (r < 0)
                return r;
        r = bus_verify_polkit_async(call, WOLFRAM_POLKIT_ACTION_RECLAIM, bus_server_polkit(e), error);
        if (r <= 0)
                return r < 0 ? r : 1;

        e->on_reclaim_done = reclaim_done;
        r = engine_reclaim_process(e, pid, mode, call, &why);
        if (r >= 0) {
                sd_bus_message_ref(call); /* answered by reclaim_done */
                return 1;
        }
        switch (r) {
        case -EINVAL:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_INVALID_ARGUMENT, "%s", strnull(why));
        case -EBUSY:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_BUSY, "%s", strnull(why));
        case -EOPNOTSUPP:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_NOT_SUPPORTED, "%s", strnull(why));
        case -ESRCH:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_NO_SUCH_PROCESS, "%s", strnull(why));
        case -EPERM:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_PROTECTED_PROCESS, "%s", strnull(why));
        case -ENOMEM:
                return r;
        default:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_FAILED, "%s", why ? why : strerror(-r));
        }
}
