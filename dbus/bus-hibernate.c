/* SPDX-License-Identifier: MIT */
/* HibernateProcess and WakeProcess: the request, and the answer when the
 * helper ends, its exit status turned into the interface's errors and its
 * last line into the message. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bus-internal.h"
#include "common/log.h"
#include "common/macro.h"
#include "wolfram-bus.h"

static void hibernate_done(Engine *e, HibernateJob *job) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = job->userdata, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *message = engine_hibernate_message(job);
        int r;

        /* HibernatedProcesses changed: not from what was read before. */
        bus_figures_forget(e->bus_server);
        if (!call)
                return;
        switch (job->status) {
        case 0: /* done */
                r = sd_bus_message_new_method_return(call, &reply);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "a{sv}", 3, "Pid", "u", (uint32_t) job->pid,
                                                  "Message", "s", message, "DurationUsec", "t",
                                                  job->duration_usec);
                if (r >= 0)
                        r = sd_bus_send(NULL, reply, NULL);
                if (r < 0)
                        log_warning_errno(r, "Failed to answer %s: %m",
                                          job->wake ? "WakeProcess" : "HibernateProcess");
                return;
        case 2: /* CRIU cannot checkpoint it, or it sleeps already */
                (void) sd_bus_error_set(&error, WOLFRAM_ERROR_NOT_SUPPORTED, message);
                break;
        case 3: /* no such process, or none hibernated under that pid */
                (void) sd_bus_error_set(&error, WOLFRAM_ERROR_NO_SUCH_PROCESS, message);
                break;
        case 4: /* protected or excluded */
                (void) sd_bus_error_set(&error, WOLFRAM_ERROR_PROTECTED_PROCESS, message);
                break;
        default:
                (void) sd_bus_error_set(&error, WOLFRAM_ERROR_FAILED, message);
                break;
        }
        r = sd_bus_reply_method_error(call, &error);
        if (r < 0)
                log_warning_errno(r, "Failed to answer %s: %m",
                                  job->wake ? "WakeProcess" : "HibernateProcess");
}

static int method_hibernate_or_wake(sd_bus_message *call, void *userdata, sd_bus_error *error, bool wake) {
        Engine *e = userdata;
        char message[512];
        uint32_t pid;
        int r;

        r = sd_bus_message_read(call, "u", &pid);
        if (r < 0)
                return r;
        if (pid == 0 || pid > INT32_MAX)
                return sd_bus_error_setf(error, WOLFRAM_ERROR_NO_SUCH_PROCESS, "No process %" PRIu32 ".",
                                         pid);
        r = bus_verify_polkit_async(call, WOLFRAM_POLKIT_ACTION_HIBERNATE, e->bus_server->polkit, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        e->on_hibernate_done = hibernate_done;
        r = engine_hibernate_process(e, pid, wake, call, message, sizeof(message));
        if (r == -ESRCH)
                return sd_bus_error_set(error, WOLFRAM_ERROR_NO_SUCH_PROCESS, message);
        if (r == -EPERM)
                return sd_bus_error_set(error, WOLFRAM_ERROR_PROTECTED_PROCESS, message);
        if (r == -EBUSY)
                return sd_bus_error_setf(
                        error, WOLFRAM_ERROR_BUSY, "Process %d is being %s; try again when that ends.",
                        (int) e->hibernate_job->pid, e->hibernate_job->wake ? "restored" : "hibernated");
        if (r == -EOPNOTSUPP)
                return sd_bus_error_set(error, WOLFRAM_ERROR_NOT_SUPPORTED,
                                        "The engine is in dry run and changes nothing.");
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, WOLFRAM_ERROR_FAILED,
                                         "Could not start the hibernation helper %s: %s",
                                         engine_hibernate_helper(), strerror(-r));
        sd_bus_message_ref(call); /* answered by hibernate_done */
        return 1;
}

static int method_hibernate_process(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return method_hibernate_or_wake(call, userdata, error, false);
}

static int method_wake_process(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return method_hibernate_or_wake(call, userdata, error, true);
}

const sd_bus_vtable bus_hibernate_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("HibernateProcess", SD_BUS_ARGS("u", pid), SD_BUS_RESULT("a{sv}", result),
                                method_hibernate_process, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("WakeProcess", SD_BUS_ARGS("u", pid), SD_BUS_RESULT("a{sv}", result),
                                method_wake_process, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};
