/* SPDX-License-Identifier: MIT */
/* ReclaimProcess: one process advised now, outside the cycle, after the
 * checks that keep the engine's promises (never a protected or excluded
 * process, one at a time). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/log.h"
#include "engine-internal.h"

/* Waits for a ReclaimProcess in progress, counts what it did and hands it
 * to on_reclaim_done. */
void engine_finish_reclaim(Engine *e) {
        ReclaimProcessJob *job = e->reclaim_job;

        if (!job)
                return;
        reclaim_process_finish(job);
        e->reclaim_source = sd_event_source_disable_unref(e->reclaim_source);
        e->reclaim_job = NULL;
        if (job->error >= 0) {
                log_info("Reclaim of %s (%d): %s %" PRIu64 " MiB, swap %" PRIu64 " -> %" PRIu64
                         " MiB, %.1f ms.",
                         job->target.comm, (int) job->target.pid,
                         job->action == POLICY_PAGEOUT ? "paged out" : "made cold", job->advised_bytes >> 20,
                         job->swap_before_bytes >> 20, job->swap_after_bytes >> 20,
                         (double) job->duration_usec / 1000.0);
                if (job->pool_full)
                        log_notice(
                                "Reclaim of %s (%d) stopped early: the pool's budget had no room for more.",
                                job->target.comm, (int) job->target.pid);
                if (job->action == POLICY_PAGEOUT)
                        engine_count_lifetime(e, 0, job->advised_bytes);
                else
                        engine_count_lifetime(e, job->advised_bytes, 0);
                if (job->action == POLICY_PAGEOUT && job->advised_bytes > 0)
                        engine_notify(e, ENGINE_CHANGED_LIFETIME);
        } else
                log_info("Reclaim of %s (%d) failed: %s", job->target.comm, (int) job->target.pid,
                         strerror(-job->error));
        if (e->on_reclaim_done)
                e->on_reclaim_done(e, job);
        free(job);
}

static int on_reclaim_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        engine_finish_reclaim(userdata);
        return 0;
}

/* Fills *ret and returns what the refusal means as an errno. */
static int refuse(ReclaimRefused *ret, ReclaimRefusal reason, pid_t pid, const char *comm,
                  const char *detail, int error) {
        static const int errnos[] = {
                [RECLAIM_REFUSED_MODE] = -EINVAL,        [RECLAIM_REFUSED_BUSY] = -EBUSY,
                [RECLAIM_REFUSED_DRY_RUN] = -EOPNOTSUPP, [RECLAIM_REFUSED_NO_ADVICE] = -EOPNOTSUPP,
                [RECLAIM_REFUSED_NO_PROCESS] = -ESRCH,   [RECLAIM_REFUSED_KERNEL_THREAD] = -EPERM,
                [RECLAIM_REFUSED_PROTECTED] = -EPERM,    [RECLAIM_REFUSED_EXCLUDED] = -EPERM,
                [RECLAIM_REFUSED_FAILED] = -EIO,
        };

        *ret = (ReclaimRefused){ .reason = reason, .pid = pid, .detail = detail, .error = error };
        if (comm)
                snprintf(ret->comm, sizeof(ret->comm), "%s", comm);
        return reason == RECLAIM_REFUSED_FAILED && error < 0 ? error : errnos[reason];
}

int engine_reclaim_check_arguments(uint32_t pid, const char *mode, ReclaimRefused *ret) {
        if (!streq(mode, "cold") && !streq(mode, "pageout"))
                return refuse(ret, RECLAIM_REFUSED_MODE, 0, NULL, mode, 0);
        if (pid == 0 || pid > INT32_MAX)
                return refuse(ret, RECLAIM_REFUSED_NO_PROCESS, 0, NULL, NULL, 0);
        return 0;
}

int engine_reclaim_process(Engine *e, uint32_t pid, const char *mode, void *userdata, ReclaimRefused *ret) {
        ProcProtected protected;
        ReclaimProcessJob *job;
        PolicyAction action;
        bool kernel_thread = false;
        const char *by;
        ProcTarget t;
        int r;

        r = engine_reclaim_check_arguments(pid, mode, ret);
        if (r < 0)
                return r;
        action = streq(mode, "cold") ? POLICY_COLD : POLICY_PAGEOUT;
        if (e->reclaim_job)
                return refuse(ret, RECLAIM_REFUSED_BUSY, e->reclaim_job->target.pid,
                              e->reclaim_job->target.comm, NULL, 0);
        if (e->config.dry_run)
                return refuse(ret, RECLAIM_REFUSED_DRY_RUN, 0, NULL, NULL, 0);
        if (!e->reclaim.have_process_madvise || (action == POLICY_PAGEOUT && !e->reclaim.have_pageout) ||
            (action == POLICY_COLD && !e->reclaim.have_cold))
                return refuse(ret, RECLAIM_REFUSED_NO_ADVICE, 0, NULL,
                              action == POLICY_PAGEOUT ? "MADV_PAGEOUT" : "MADV_COLD", 0);
        r = proc_target_open(&e->config, (pid_t) pid, &t, &kernel_thread);
        if (r == -ESRCH)
                return refuse(ret, RECLAIM_REFUSED_NO_PROCESS, (pid_t) pid, NULL, NULL, 0);
        if (r < 0)
                return refuse(ret, RECLAIM_REFUSED_FAILED, (pid_t) pid, NULL, NULL, r);

        protected = engine_protected(e);
        if (kernel_thread)
                r = refuse(ret, RECLAIM_REFUSED_KERNEL_THREAD, t.pid, t.comm, NULL, 0);
        else if ((by = proc_protected_reason(&protected, t.pid, t.comm)))
                r = refuse(ret, RECLAIM_REFUSED_PROTECTED, t.pid, t.comm, by, 0);
        else if ((by = proc_excluded_by(&e->config, t.comm, t.cgroup)))
                r = refuse(ret, RECLAIM_REFUSED_EXCLUDED, t.pid, t.comm, by, 0);
        if (r < 0) {
                proc_target_done(&t);
                return r;
        }

        job = calloc(1, sizeof(ReclaimProcessJob));
        if (!job) {
                proc_target_done(&t);
                return -ENOMEM;
        }
        *job = (ReclaimProcessJob){
                .target = t,
                .action = action,
                .reclaim = &e->reclaim,
                .userdata = userdata,
                .done_fd = -EBADF,
        };
        job->n_pool_devices = engine_pool_device_ids(e, job->pool_devices, ELEMENTSOF(job->pool_devices));
        r = reclaim_process_start(job);
        if (r < 0) {
                proc_target_done(&job->target);
                free(job);
                return refuse(ret, RECLAIM_REFUSED_FAILED, (pid_t) pid, NULL, NULL, r);
        }
        r = sd_event_add_io(e->event, &e->reclaim_source, job->done_fd, EPOLLIN, on_reclaim_done, e);
        if (r < 0) {
                reclaim_process_finish(job);
                free(job);
                return refuse(ret, RECLAIM_REFUSED_FAILED, (pid_t) pid, NULL, NULL, r);
        }
        e->reclaim_job = job;
        return 0;
}
