/* SPDX-License-Identifier: MIT */
/* The policies (SetPolicy) and the exclusions (AddExclusion,
 * RemoveExclusion), and the properties that show them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bus-internal.h"
#include "common/log.h"
#include "common/macro.h"
#include "wolfram-bus.h"

static int append_policies(sd_bus_message *m, Engine *e) {
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

static int append_exclusions(sd_bus_message *m, Engine *e) {
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

static int property_get_policy_overrides(sd_bus *bus, const char *path, const char *interface,
                                         const char *property, sd_bus_message *reply, void *userdata,
                                         sd_bus_error *error) {
        Engine *e = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        for (PolicyName p = 0; r >= 0 && p < _POLICY_MAX; p++)
                if (e->runtime.policies[p] != POLICY_UNSET)
                        r = sd_bus_message_append(reply, "s", policy_name_to_string(p));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int property_get_policies(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return append_policies(reply, userdata);
}

static int property_get_exclusions(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        return append_exclusions(reply, userdata);
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
        /* A pattern no one may add is refused before polkit is asked, so a
         * call waiting for authorization never holds a huge one. */
        r = exclusion_check(pattern, &why);
        if (r == -EINVAL)
                return sd_bus_error_setf(error, WOLFRAM_ERROR_INVALID_PATTERN, "Invalid pattern: %s.", why);
        if (r < 0)
                return r;
        r = bus_verify_polkit_async(call, WOLFRAM_POLKIT_ACTION_EXCLUDE, e->bus_server->polkit, error);
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
        return bus_reply_when_settled(e, call);
}

static int method_add_exclusion(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return method_exclusion(call, userdata, true, error);
}

static int method_remove_exclusion(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return method_exclusion(call, userdata, false, error);
}

/* A policy's name from a caller: its PolicyName, or InvalidArgument. */
static int policy_from_argument(const char *name, sd_bus_error *error) {
        int p = policy_name_from_string(name);

        if (p < 0)
                return sd_bus_error_setf(error, WOLFRAM_ERROR_INVALID_ARGUMENT,
                                         "Unknown policy '%s': use \"compression\", \"ksm\" or \"tuning\".",
                                         strlen(name) <= 32 ? name : "(a long name)");
        return p;
}

/* SetPolicy and ResetPolicy: the same name, action and errors; SetPolicy
 * has a value besides. */
static int method_policy(sd_bus_message *call, Engine *e, bool reset, sd_bus_error *error) {
        const char *name;
        int enabled = 0, p, r;

        r = reset ? sd_bus_message_read(call, "s", &name) : sd_bus_message_read(call, "sb", &name, &enabled);
        if (r < 0)
                return r;
        p = policy_from_argument(name, error);
        if (p < 0)
                return p;
        r = bus_verify_polkit_async(call, WOLFRAM_POLKIT_ACTION_CONFIGURE, e->bus_server->polkit, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        r = reset ? engine_reset_policy(e, (PolicyName) p) : engine_set_policy(e, (PolicyName) p, enabled);
        if (r == -EOPNOTSUPP)
                return sd_bus_error_setf(error, WOLFRAM_ERROR_NOT_SUPPORTED,
                                         "This kernel has no KSM (/sys/kernel/mm/ksm).");
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return reply_save_error(error, e, r);
        return bus_reply_when_settled(e, call);
}

static int method_set_policy(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return method_policy(call, userdata, false, error);
}

static int method_reset_policy(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return method_policy(call, userdata, true, error);
}

/* ENGINE_CHANGED_POLICIES */
const sd_bus_vtable bus_policies_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Policies", "a{sb}", property_get_policies, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PolicyOverrides", "as", property_get_policy_overrides, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("SetPolicy", SD_BUS_ARGS("s", name, "b", enabled), SD_BUS_NO_RESULT,
                                method_set_policy, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ResetPolicy", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_reset_policy,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/* ENGINE_CHANGED_EXCLUSIONS */
const sd_bus_vtable bus_exclusions_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Exclusions", "a(sss)", property_get_exclusions, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("AddExclusion", SD_BUS_ARGS("s", pattern), SD_BUS_NO_RESULT,
                                method_add_exclusion, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemoveExclusion", SD_BUS_ARGS("s", pattern), SD_BUS_NO_RESULT,
                                method_remove_exclusion, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};
