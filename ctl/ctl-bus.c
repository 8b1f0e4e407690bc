/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "build-config.h"
#include "bus-json.h"
#include "common/macro.h"
#include "ctl-bus.h"
#include "format.h"
#include "wolfram-bus.h"

static bool error_means_not_running(const sd_bus_error *error, int r) {
        if (sd_bus_error_has_names(error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                   SD_BUS_ERROR_DISCONNECTED))
                return true;
        /* Without a named error, or with one sd-bus made of an errno: the
         * connection itself went away or never came up (the bus stopped,
         * ssh could not reach the host or died). */
        if (sd_bus_error_is_set(error)) {
                if (!error->name || strncmp(error->name, "System.Error.", strlen("System.Error.")) != 0)
                        return false;
                r = -sd_bus_error_get_errno(error);
        }
        return r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE || r == -ECONNREFUSED || r == -ENOENT;
}

CtlExit ctl_exit_from_error(const sd_bus_error *error, int r) {
        if (error_means_not_running(error, r))
                return CTL_EXIT_NOT_RUNNING;
        if (sd_bus_error_has_names(error, SD_BUS_ERROR_ACCESS_DENIED,
                                   SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                return CTL_EXIT_NOT_AUTHORIZED;
        return CTL_EXIT_FAILED;
}

CtlExit ctl_report_error(const CtlContext *c, const char *what, const sd_bus_error *error, int r) {
        CtlExit status = ctl_exit_from_error(error, r);

        if (sd_bus_error_has_names(error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                fprintf(stderr,
                        "Failed to %s: wolframd is not running (%s has no owner on the system bus%s%s).\n"
                        "Start it with: %s%s%ssystemctl start wolfram\n",
                        what, WOLFRAM_BUS_NAME, c->host ? " of " : "", c->host ?: "", c->host ? "ssh " : "",
                        c->host ?: "", c->host ? " " : "");
        else if (status == CTL_EXIT_NOT_RUNNING)
                fprintf(stderr, "Failed to %s: %s the system bus%s%s: %s\n", what,
                        c->host ? "could not reach or lost" : "lost the connection to",
                        c->host ? " of " : "", c->host ?: "",
                        sd_bus_error_is_set(error) ? error->message ?: error->name : strerror(-r));
        else if (sd_bus_error_has_names(error, SD_BUS_ERROR_UNKNOWN_METHOD, SD_BUS_ERROR_UNKNOWN_PROPERTY))
                fprintf(stderr,
                        "Failed to %s: this wolframd does not offer it (%s); is it older than wolframctl?\n",
                        what, error->message ?: error->name);
        else if (sd_bus_error_is_set(error)) {
                _cleanup_free_ char *message = escape_text(error->message ?: error->name);
                fprintf(stderr, "Failed to %s: %s\n", what, message ?: error->name);
        } else
                fprintf(stderr, "Failed to %s: %s\n", what, strerror(-r));
        if (status == CTL_EXIT_NOT_AUTHORIZED) {
                /* What the user can do about it. */
                fputs("To be allowed: run it as root (sudo wolframctl ...)", stderr);
                if (!c->host)
                        fputs(", or at a terminal of your session so that polkit can ask for a password"
                              " (not with --no-ask-password)",
                              stderr);
                if (POLKIT_GROUP[0])
                        fprintf(stderr,
                                ", or ask an administrator to add you to the group '%s' "
                                "(usermod -aG %s USER), whose members need no password",
                                POLKIT_GROUP, POLKIT_GROUP);
                fputs(".\n", stderr);
        }
        return status;
}

CtlExit ctl_connect(const CtlContext *c, sd_bus **ret) {
        int r;

        if (c->host)
                r = sd_bus_open_system_remote(ret, c->host);
        else
                r = sd_bus_default_system(ret);
        if (r < 0) {
                if (c->host)
                        fprintf(stderr, "Failed to connect to the system bus of %s: %s\n", c->host,
                                strerror(-r));
                else
                        fprintf(stderr, "Failed to connect to the system bus: %s\n", strerror(-r));
                return CTL_EXIT_NOT_RUNNING;
        }
        /* Interactive authorization only makes sense where a person can
         * answer a password prompt: on this machine, at a terminal. */
        (void) sd_bus_set_allow_interactive_authorization(*ret, c->ask_password && !c->host &&
                                                                        isatty(STDIN_FILENO));
        return CTL_EXIT_SUCCESS;
}

CtlExit ctl_reply_to_json(sd_bus_message *reply, const char *what, json_object **ret) {
        int r = bus_message_read_json(reply, ret);

        if (r < 0) {
                fprintf(stderr, "Failed to parse the engine's %s: %s\n", what, strerror(-r));
                return CTL_EXIT_FAILED;
        }
        return CTL_EXIT_SUCCESS;
}

/* A call to the engine's object. Reading its state never starts it: only
 * a request that changes something may have the bus activate it. */
static int new_call(sd_bus *bus, const char *interface, const char *method, CtlStart start,
                    sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, WOLFRAM_BUS_NAME, WOLFRAM_BUS_PATH, interface, method);
        if (r < 0)
                return r;
        r = sd_bus_message_set_auto_start(m, start == CTL_START_ENGINE);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int ctl_call(sd_bus *bus, const char *method, CtlStart start, uint64_t timeout_usec, sd_bus_error *error,
             sd_bus_message **reply, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        assert(bus);
        assert(method);

        r = new_call(bus, WOLFRAM_BUS_INTERFACE, method, start, &m);
        if (r < 0)
                return r;
        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return r;
        }
        return sd_bus_call(bus, m, timeout_usec, error, reply);
}

int ctl_get_property(sd_bus *bus, const char *property, sd_bus_error *error, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        assert(bus);
        assert(property);

        r = new_call(bus, "org.freedesktop.DBus.Properties", "Get", CTL_NO_START, &m);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", WOLFRAM_BUS_INTERFACE, property);
        if (r < 0)
                return r;
        r = sd_bus_call(bus, m, 0, error, &reply);
        if (r < 0)
                return r;
        /* The value comes as a variant: leave the reader inside it. */
        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_VARIANT, NULL);
        if (r < 0)
                return r;
        *ret_reply = TAKE_PTR(reply);
        return 0;
}
