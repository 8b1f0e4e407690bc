/* SPDX-License-Identifier: MIT */
/* ReclaimProcess: the request, the refusals worded for people, and the
 * answer when the engine's job ends. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bus-internal.h"
#include "common/log.h"
#include "common/macro.h"
#include "wolfram-bus.h"

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
                        r = sd_bus_message_append(reply, "a{sv}", 8, "Pid", "u", (uint32_t) job->target.pid,
                                                  "Name", "s", job->target.comm, "Mode", "s",
                                                  job->action == POLICY_PAGEOUT ? "pageout" : "cold",
                                                  "AdvisedBytes", "t", job->advised_bytes, "SwapBytesBefore",
                                                  "t", job->swap_before_bytes, "SwapBytesAfter", "t",
                                                  job->swap_after_bytes, "DurationUsec", "t",
                                                  job->duration_usec, "PoolFull", "b", job->pool_full);
                if (r >= 0)
                        r = sd_bus_send(NULL, reply, NULL);
                if (r < 0)
                        log_warning_errno(r, "Failed to answer ReclaimProcess: %m");
                return;
        }
        r = sd_bus_reply_method_error(call, &error);
        if (r < 0)
                log_warning_errno(r, "Failed to answer ReclaimProcess: %m");
}

/* Words why a request was refused, with the error name it maps to. */
static int reply_refused(sd_bus_error *error, uint32_t pid, const ReclaimRefused *x) {
        switch (x->reason) {
        case RECLAIM_REFUSED_MODE:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_INVALID_ARGUMENT,
                                         "Unknown mode '%s': use \"cold\" or \"pageout\".", x->detail);
        case RECLAIM_REFUSED_BUSY:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_BUSY,
                                         "A reclaim of %s (%d) is still running; try again when it ends.",
                                         x->comm, (int) x->pid);
        case RECLAIM_REFUSED_DRY_RUN:
                return sd_bus_error_set(error, WOLFRAM_ERROR_NOT_SUPPORTED,
                                        "The engine is in dry run and changes nothing.");
        case RECLAIM_REFUSED_NO_ADVICE:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_NOT_SUPPORTED,
                                         "This kernel's process_madvise() does not take %s.", x->detail);
        case RECLAIM_REFUSED_NO_PROCESS:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_NO_SUCH_PROCESS, "No process %" PRIu32 "%s.",
                                         pid, x->pid > 0 ? " (it may have exited)" : "");
        case RECLAIM_REFUSED_KERNEL_THREAD:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_PROTECTED_PROCESS,
                                         "Process %" PRIu32
                                         " (%s) is a kernel thread: it has no memory of its own.",
                                         pid, x->comm);
        case RECLAIM_REFUSED_PROTECTED:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_PROTECTED_PROCESS,
                                         "Process %" PRIu32 " (%s) is %s; wolfram never advises its memory.",
                                         pid, x->comm, x->detail);
        case RECLAIM_REFUSED_EXCLUDED:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_PROTECTED_PROCESS,
                                         "Process %" PRIu32
                                         " (%s) is excluded by '%s'; remove that exclusion first.",
                                         pid, x->comm, x->detail);
        case RECLAIM_REFUSED_FAILED:
        default:
                return sd_bus_error_setf(error, WOLFRAM_ERROR_FAILED,
                                         "Failed to start reclaiming process %" PRIu32 ": %s", pid,
                                         strerror(x->error < 0 ? -x->error : EIO));
        }
}

static int method_reclaim_process(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        ReclaimRefused refused;
        Engine *e = userdata;
        const char *mode;
        uint32_t pid;
        int r;

        r = sd_bus_message_read(call, "us", &pid, &mode);
        if (r < 0)
                return r;
        /* What is wrong whoever asks is said before polkit is asked. */
        if (engine_reclaim_check_arguments(pid, mode, &refused) < 0)
                return reply_refused(error, pid, &refused);
        r = bus_verify_polkit_async(call, WOLFRAM_POLKIT_ACTION_RECLAIM, e->bus_server->polkit, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        e->on_reclaim_done = reclaim_done;
        r = engine_reclaim_process(e, pid, mode, call, &refused);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return reply_refused(error, pid, &refused);
        sd_bus_message_ref(call); /* answered by reclaim_done */
        return 1;
}

const sd_bus_vtable bus_reclaim_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("ReclaimProcess", SD_BUS_ARGS("u", pid, "s", mode),
                                SD_BUS_RESULT("a{sv}", result), method_reclaim_process,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};
