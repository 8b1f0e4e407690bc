/* SPDX-License-Identifier: MIT */
/* HibernateProcess and WakeProcess: the engine runs the helper
 * (wolfram-hibernate) for one process at a time and reports what it said.
 * Under systemd the helper runs in a transient service of its own
 * (systemd-run), outside the engine's sandbox: criu needs the host's
 * network and mount namespaces, ptrace, signals and system calls the
 * engine's unit closes. Without systemd it is the engine's child. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build-config.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/time-util.h"
#include "engine-internal.h"

extern char **environ;

#define HIBERNATE_OUTPUT_MAX 16384

const char *engine_hibernate_helper(void) {
        const char *p = getenv("WOLFRAM_HIBERNATE_HELPER");

        return p && *p ? p : LIBEXECDIR "/wolfram/wolfram-hibernate";
}

static bool under_systemd(void) {
        return access("/run/systemd/system", F_OK) >= 0;
}

static void job_free(HibernateJob *job) {
        if (!job)
                return;
        sd_event_source_disable_unref(job->exit_source);
        if (job->pidfd >= 0)
                close(job->pidfd);
        if (job->out_fd >= 0)
                close(job->out_fd);
        free(job->output);
        free(job);
}

/* Reads what the helper wrote so far (the pipe is non-blocking). */
static void job_read_output(HibernateJob *job) {
        for (;;) {
                ssize_t n;

                if (job->output_len >= HIBERNATE_OUTPUT_MAX)
                        return;
                n = read(job->out_fd, job->output + job->output_len, HIBERNATE_OUTPUT_MAX - job->output_len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                job->output_len += (size_t) n;
                job->output[job->output_len] = '\0';
        }
}

void engine_finish_hibernate(Engine *e) {
        HibernateJob *job = e->hibernate_job;
        siginfo_t si = {};

        if (!job)
                return;
        job_read_output(job);
        /* Called when its pidfd polled readable, the helper has exited and
         * this only reaps it. At the engine's stop it waits for the helper:
         * a checkpoint or restore is never cut off half-way. */
        while (waitid(P_PIDFD, (id_t) job->pidfd, &si, WEXITED) < 0 && errno == EINTR)
                ;
        job_read_output(job);
        job->duration_usec = now_usec(CLOCK_MONOTONIC) - job->start_usec;
        job->status = si.si_code == CLD_EXITED ? si.si_status : -1;
        /* The last line is the helper's verdict; earlier ones say more. */
        while (job->output_len > 0 && job->output[job->output_len - 1] == '\n')
                job->output[--job->output_len] = '\0';
        e->hibernate_job = NULL;
        if (job->status == 0)
                log_info("%s", job->output);
        else
                log_warning("%s process %d: %s", job->wake ? "Waking" : "Hibernating", (int) job->pid,
                            job->output_len ? job->output : "the helper said nothing");
        if (e->on_hibernate_done)
                e->on_hibernate_done(e, job);
        job_free(job);
}

static int on_helper_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        engine_finish_hibernate(userdata);
        return 0;
}

/* Starts the helper with 'verb' ("dump", "restore", "recover") and 'pid'
 * (0: none), its stdout and stderr into *ret_out_fd. Under systemd it runs
 * in a transient service (systemd-run waits for it and passes on its exit
 * status and output). */
static int spawn_helper(Engine *e, const char *verb, pid_t pid, pid_t *ret_child, int *ret_out_fd) {
        _cleanup_free_ char *unit = NULL, *pidstr = NULL, *description = NULL, *images = NULL,
                            *config = NULL;
        posix_spawn_file_actions_t fa;
        const char *helper = engine_hibernate_helper();
        char *argv[20];
        size_t n = 0;
        int pipefd[2], r;

        if (asprintf(&pidstr, "%d", (int) pid) < 0 ||
            (pid > 0 ? asprintf(&unit, "wolfram-%s-%d.service", verb, (int) pid)
                     : asprintf(&unit, "wolfram-%s.service", verb)) < 0 ||
            asprintf(&description, "wolfram: %s %s", verb, pid > 0 ? pidstr : "unfinished checkpoints") < 0)
                return -ENOMEM;
        /* The helper works where the engine keeps its state, with the
         * configuration the engine read (its exclusions). */
        if (asprintf(&images, "--images-dir=%s/%s", e->state_dir, HIBERNATE_DIR_NAME) < 0 ||
            asprintf(&config, "--config=%s", e->config_args.config_file ?: "") < 0)
                return -ENOMEM;
        if (access(helper, X_OK) < 0)
                return log_warning_errno(errno, "The hibernation helper %s cannot run: %m", helper);
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
        if (under_systemd()) {
                /* KillMode=process: when the helper ends, a restored tree
                 * that criu left in the service's cgroup lives on. */
                static const char *const run[] = {
                        "systemd-run", "--quiet",   "--wait",
                        "--pipe",      "--collect", "--property=KillMode=process"
                };

                for (size_t i = 0; i < ELEMENTSOF(run); i++)
                        argv[n++] = (char *) run[i];
                argv[n++] = (char *) "--unit";
                argv[n++] = unit;
                argv[n++] = (char *) "--description";
                argv[n++] = description;
                argv[n++] = (char *) "--";
        }
        argv[n++] = (char *) helper;
        argv[n++] = images;
        if (e->config_args.config_file)
                argv[n++] = config;
        argv[n++] = (char *) verb;
        if (pid > 0)
                argv[n++] = pidstr;
        argv[n] = NULL;
        r = posix_spawnp(ret_child, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (r != 0) {
                close(pipefd[0]);
                return log_warning_errno(r, "Could not start the hibernation helper: %m");
        }
        *ret_out_fd = pipefd[0];
        return 0;
}

/* What the engine refuses itself before the helper runs: the helper reads
 * the configuration files, but the exclusions added at run time and the
 * bus's and polkitd's pids are the engine's alone. -ESRCH or -EPERM with
 * the reason in 'message'. */
static int check_target(Engine *e, pid_t pid, char *message, size_t size) {
        ProcProtected protected = engine_protected(e);
        bool kernel_thread = false;
        const char *by;
        ProcTarget t;
        int r;

        r = proc_target_open(&e->config, pid, &t, &kernel_thread);
        if (r == -ESRCH) {
                snprintf(message, size, "No process %d.", (int) pid);
                return r;
        }
        if (r < 0)
                return r;
        r = -EPERM;
        if (kernel_thread)
                snprintf(message, size, "Process %d (%s) is a kernel thread.", (int) pid, t.comm);
        else if ((by = proc_protected_reason(&protected, t.pid, t.comm)))
                snprintf(message, size, "Process %d (%s) is %s; wolfram never hibernates it.", (int) pid,
                         t.comm, by);
        else if ((by = proc_excluded_by(&e->config, t.comm, t.cgroup)))
                snprintf(message, size, "Process %d (%s) is excluded by '%s'; it is never hibernated.",
                         (int) pid, t.comm, by);
        else
                r = 0;
        proc_target_done(&t);
        return r;
}

int engine_hibernate_process(Engine *e, uint32_t pid, bool wake, void *userdata, char *message,
                             size_t size) {
        HibernateJob *job;
        pid_t child;
        int r;

        if (size > 0)
                message[0] = '\0';
        if (pid == 0 || pid > INT32_MAX) {
                snprintf(message, size, "No process %" PRIu32 ".", pid);
                return -ESRCH;
        }
        if (e->hibernate_job)
                return -EBUSY;
        if (!wake && e->config.dry_run)
                return -EOPNOTSUPP;
        if (!wake) {
                r = check_target(e, (pid_t) pid, message, size);
                if (r < 0)
                        return r;
        }

        job = calloc(1, sizeof(*job));
        if (!job)
                return -ENOMEM;
        *job = (HibernateJob){
                .pid = (pid_t) pid, .wake = wake, .userdata = userdata, .pidfd = -EBADF, .out_fd = -EBADF
        };
        job->output = malloc(HIBERNATE_OUTPUT_MAX + 1);
        if (!job->output) {
                job_free(job);
                return -ENOMEM;
        }
        job->output[0] = '\0';
        r = spawn_helper(e, wake ? "restore" : "dump", (pid_t) pid, &child, &job->out_fd);
        if (r < 0) {
                job_free(job);
                return r;
        }
        (void) fcntl(job->out_fd, F_SETFL, O_NONBLOCK);
        job->start_usec = now_usec(CLOCK_MONOTONIC);
        job->pidfd = (int) syscall(SYS_pidfd_open, child, 0);
        if (job->pidfd < 0) {
                r = -errno;
                (void) waitpid(child, NULL, 0);
                job_free(job);
                return r;
        }
        r = sd_event_add_io(e->event, &job->exit_source, job->pidfd, EPOLLIN, on_helper_exit, e);
        if (r < 0) {
                /* Not watched: waited for here, not left a zombie. */
                (void) waitpid(child, NULL, 0);
                job_free(job);
                return r;
        }
        e->hibernate_job = job;
        return 0;
}

/* Runs the helper and waits for it, logging what it said. */
static int run_helper_sync(Engine *e, const char *verb, pid_t pid) {
        char buf[4096];
        size_t len = 0;
        pid_t child;
        int fd, status, r;

        r = spawn_helper(e, verb, pid, &child, &fd);
        if (r < 0)
                return r;
        for (;;) {
                ssize_t k = read(fd, buf + len, sizeof(buf) - 1 - len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                len += (size_t) k;
                if (len == sizeof(buf) - 1) /* keep the end: the verdict */
                        len = 0;
        }
        close(fd);
        buf[len] = '\0';
        while (len > 0 && buf[len - 1] == '\n')
                buf[--len] = '\0';
        while (waitpid(child, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        r = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (r == 0) {
                if (len)
                        log_info("%s", buf);
        } else
                log_warning("wolfram-hibernate %s%s: %s", verb, pid > 0 ? " (a hibernated process)" : "",
                            len ? buf : "it failed and said nothing");
        return r;
}

void engine_hibernate_recover(Engine *e) {
        /* Only when something is there: no helper runs on machines that
         * never hibernated anything. */
        _cleanup_free_ char *dir = NULL;

        if (asprintf(&dir, "%s/%s", e->state_dir, HIBERNATE_DIR_NAME) < 0 || access(dir, F_OK) < 0)
                return;
        (void) run_helper_sync(e, "recover", 0);
}

void engine_hibernate_wake_all(Engine *e) {
        _cleanup_free_ char *dir = NULL;
        HibernateRecord *list = NULL;
        size_t n = 0;

        if (asprintf(&dir, "%s/%s", e->state_dir, HIBERNATE_DIR_NAME) < 0 ||
            hibernate_scan(dir, &list, &n) < 0 || n == 0) {
                hibernate_records_free(list, n);
                return;
        }
        log_info("Waking the %zu hibernated process%s before the engine stops.", n, n == 1 ? "" : "es");
        for (size_t i = 0; i < n; i++)
                (void) run_helper_sync(e, "restore", list[i].pid);
        hibernate_records_free(list, n);
}

const char *engine_hibernate_message(const HibernateJob *job) {
        const char *last;

        if (!job->output_len)
                return job->status == 0 ? "done" : "the hibernation helper failed and said nothing";
        last = strrchr(job->output, '\n');
        return last ? last + 1 : job->output;
}
