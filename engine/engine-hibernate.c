/* SPDX-License-Identifier: MIT */
/* HibernateProcess and WakeProcess: the engine runs the helper
 * (wolfram-hibernate) for one process at a time and reports what it said.
 * Under systemd the helper runs in a transient service of its own
 * (systemd-run), outside the engine's sandbox: criu needs the host's
 * network and mount namespaces, ptrace, signals and system calls the
 * engine's unit closes. Without systemd it is the engine's child. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build-config.h"
#include "common/fileio.h"
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

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

/* Not tried again on the engine's own account while it lives. */
static void remember_refused(Engine *e, pid_t pid, uint64_t start_time) {
        HibernateRefused *l =
                realloc(e->hibernate_refused, (e->n_hibernate_refused + 1) * sizeof(HibernateRefused));

        if (!l)
                return;
        l[e->n_hibernate_refused++] = (HibernateRefused){ pid, start_time };
        e->hibernate_refused = l;
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

static int spawn_helper(Engine *e, const char *verb, pid_t pid, bool wait, pid_t *ret_child,
                        int *ret_out_fd);

static char *images_dir(const Engine *e) {
        char *p;

        return asprintf(&p, "%s/%s", e->state_dir, HIBERNATE_DIR_NAME) < 0 ? NULL : p;
}

/* Whether a port proxy holds the lock of process 'pid''s images. */
static bool proxy_running(const Engine *e, pid_t pid) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (asprintf(&dir, "%s/%s/%d", e->state_dir, HIBERNATE_DIR_NAME, (int) pid) < 0)
                return false;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return false;
        if (flock(fd, LOCK_SH | LOCK_NB) < 0)
                return errno == EWOULDBLOCK;
        (void) flock(fd, LOCK_UN);
        return false;
}

/* What started the proxy (systemd-run, or the proxy itself without
 * systemd) ended: reaped, and said if it failed. */
static int on_proxy_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        siginfo_t si = {};

        (void) waitid(P_PIDFD, (id_t) fd, &si, WEXITED | WNOHANG);
        if (si.si_pid != 0 && !(si.si_code == CLD_EXITED && si.si_status == 0))
                log_warning("The port proxy's %s (pid %d) ended with %s %d.",
                            under_systemd() ? "systemd-run" : "helper", (int) si.si_pid,
                            si.si_code == CLD_EXITED ? "status" : "signal", si.si_status);
        /* A floating source: its last reference, the loop's (freed once
         * this callback returns). */
        sd_event_source_disable_unref(s);
        close(fd);
        return 0;
}

/* Under systemd, systemd-run starts the proxy's service and returns;
 * without, the proxy is the engine's child. Either is reaped when it
 * ends, without the loop waiting for it. */
static void start_proxy(Engine *e, pid_t pid) {
        sd_event_source *s = NULL;
        pid_t child;
        int fd, r;

        r = spawn_helper(e, "proxy", pid, false, &child, NULL);
        if (r < 0)
                return;
        fd = (int) syscall(SYS_pidfd_open, child, 0);
        if (fd < 0 || sd_event_add_io(e->event, &s, fd, EPOLLIN, on_proxy_exit, NULL) < 0) {
                log_warning("Cannot watch the port proxy's start (pid %d); it is left to run unwatched.",
                            (int) child);
                if (fd >= 0)
                        close(fd);
                return;
        }
        (void) sd_event_source_set_floating(s, true);
        sd_event_source_unref(s);
        log_info("Starting a port proxy for process %d (pid %d).", (int) pid, (int) child);
}

void engine_hibernate_start_proxies(Engine *e) {
        _cleanup_free_ char *dir = NULL;
        HibernateRecord *list = NULL;
        size_t n = 0;

        if (!e->config.enable_port_proxy || !(dir = images_dir(e)) || hibernate_scan(dir, &list, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++)
                if (list[i].n_listen > 0 && !proxy_running(e, list[i].pid))
                        start_proxy(e, list[i].pid);
        hibernate_records_free(list, n);
}

void engine_finish_hibernate(Engine *e) {
        HibernateJob *job = e->hibernate_job;
        siginfo_t si = {};
        bool asleep;

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
        /* Asleep now, or still (a restore that failed stopped its proxy):
         * a proxy listens for it. */
        asleep = job->wake ? job->status != 0 && job->status != 3 : job->status == 0;
        if (asleep && e->config.enable_port_proxy && !e->stopping)
                start_proxy(e, job->pid);
        /* What the helper or CRIU refused is not tried again on the
         * engine's own account while the process lives. */
        if (job->automatic && job->status != 0)
                remember_refused(e, job->pid, job->start_time);
        if (e->on_hibernate_done)
                e->on_hibernate_done(e, job);
        /* Refused: the next candidate now, not a cycle later. */
        if (job->automatic && job->status != 0)
                engine_hibernate_idle(e);
        job_free(job);
}

static int on_helper_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        engine_finish_hibernate(userdata);
        return 0;
}

/* Starts the helper with 'verb' ("dump", "restore", "recover", "proxy")
 * and 'pid' (0: none), its stdout and stderr into *ret_out_fd when that is
 * not NULL. Under systemd it runs in a transient service: with 'wait',
 * systemd-run waits for it and passes on its exit status and output;
 * without, systemd-run returns once it started. */
static int spawn_helper(Engine *e, const char *verb, pid_t pid, bool wait, pid_t *ret_child,
                        int *ret_out_fd) {
        _cleanup_free_ char *unit = NULL, *pidstr = NULL, *description = NULL, *images = NULL,
                            *config = NULL;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        const char *helper = engine_hibernate_helper();
        bool systemd = under_systemd();
        char *argv[20];
        size_t n = 0;
        int pipefd[2] = { -EBADF, -EBADF }, r;

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
        /* Its output read by the engine; a proxy's start (ret_out_fd NULL)
         * writes to the engine's own (the journal, or the console). */
        if (ret_out_fd && pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        if (ret_out_fd) {
                posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
                posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
        }
        posix_spawnattr_init(&attr);
        if (!wait && !systemd) /* a session of its own, beyond the engine's */
                posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
        if (systemd) {
                /* KillMode=process: when the helper ends, a restored tree
                 * that criu left in the service's cgroup lives on. A proxy
                 * runs on in its service: systemd-run returns once it
                 * started. */
                static const char *const run[] = { "systemd-run", "--quiet", "--collect",
                                                   "--property=KillMode=process" };

                for (size_t i = 0; i < ELEMENTSOF(run); i++)
                        argv[n++] = (char *) run[i];
                if (wait) {
                        argv[n++] = (char *) "--wait";
                        argv[n++] = (char *) "--pipe";
                }
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
        r = posix_spawnp(ret_child, argv[0], &fa, &attr, argv, environ);
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        if (pipefd[1] >= 0)
                close(pipefd[1]);
        if (r != 0) {
                if (pipefd[0] >= 0)
                        close(pipefd[0]);
                return log_warning_errno(r, "Could not start the hibernation helper: %m");
        }
        if (ret_out_fd)
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
        r = spawn_helper(e, wake ? "restore" : "dump", (pid_t) pid, true, &child, &job->out_fd);
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

static const ProcessRecord *table_record(const ProcessTable *t, pid_t pid) {
        for (size_t i = 0; i < t->n_records; i++)
                if (t->records[i].pid == pid)
                        return &t->records[i];
        return NULL;
}

/* Whether every descendant of 'pid' the last cycle measured was wholly
 * idle as long, and none is protected or excluded: criu takes the whole
 * tree. Those too small to be measured go with it. *budget bounds the
 * walk (HIBERNATE_MAX_TASKS). */
static bool tree_idle(const Engine *e, pid_t pid, unsigned *budget) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        if (asprintf(&path, "/proc/%d/task", (int) pid) < 0 || !(d = opendir(path)))
                return false;
        while ((de = readdir(d))) {
                _cleanup_free_ char *children = NULL, *text = NULL;
                const char *p;
                size_t len;

                if (de->d_name[0] == '.')
                        continue;
                if (asprintf(&children, "%s/%s/children", path, de->d_name) < 0 ||
                    read_full_file(children, &text, &len) < 0)
                        return false;
                for (p = text; *p;) {
                        char *end;
                        long child = strtol(p, &end, 10);
                        const ProcessRecord *c;

                        if (end == p)
                                break;
                        p = end;
                        if (child <= 0 || (*budget)-- == 0)
                                return false;
                        c = table_record(&e->processes, (pid_t) child);
                        if (c && (c->excluded || c->protected ||
                                  c->cycles_whole_idle < e->config.hibernate_after_cycles))
                                return false;
                        if (!tree_idle(e, (pid_t) child, budget))
                                return false;
                }
        }
        return true;
}

static bool refused_before(const Engine *e, const ProcessRecord *r) {
        for (size_t i = 0; i < e->n_hibernate_refused; i++)
                if (e->hibernate_refused[i].pid == r->pid &&
                    e->hibernate_refused[i].start_time == r->start_time)
                        return true;
        return false;
}

/* Forgets the refusals of processes that are gone. */
static void prune_refused(Engine *e) {
        size_t k = 0;

        for (size_t i = 0; i < e->n_hibernate_refused; i++) {
                const ProcessRecord *r = table_record(&e->processes, e->hibernate_refused[i].pid);

                if (r && r->start_time == e->hibernate_refused[i].start_time)
                        e->hibernate_refused[k++] = e->hibernate_refused[i];
        }
        e->n_hibernate_refused = k;
}

void engine_hibernate_idle(Engine *e) {
        const ProcessRecord *best = NULL;
        char message[512];
        int r;

        if (!e->config.enable_hibernation || e->config.dry_run || e->hibernate_job || e->stopping ||
            e->state != ENGINE_RUNNING)
                return;
        prune_refused(e);
        for (size_t i = 0; i < e->processes.n_records; i++) {
                const ProcessRecord *c = &e->processes.records[i];
                unsigned budget = HIBERNATE_MAX_TASKS - 1;
                ProcStat st;

                if (c->excluded || c->protected || c->cycles_whole_idle < e->config.hibernate_after_cycles ||
                    refused_before(e, c))
                        continue;
                if (best && c->rss_anon_bytes + c->swap_bytes <= best->rss_anon_bytes + best->swap_bytes)
                        continue;
                /* Only a tree nobody but init waits for: a parent that
                 * waits on its child would see it die. */
                if (proc_read_stat(c->pid, &st) < 0 || st.start_time != c->start_time || st.ppid != 1 ||
                    !tree_idle(e, c->pid, &budget))
                        continue;
                best = c;
        }
        if (!best)
                return;
        log_info("Hibernating process %d (%s): it did nothing for %u cycles (under %d%% of a CPU, its "
                 "pageouts stayed out).",
                 (int) best->pid, best->comm, best->cycles_whole_idle, IDLE_CPU_PERCENT);
        r = engine_hibernate_process(e, (uint32_t) best->pid, false, NULL, message, sizeof(message));
        if (r < 0 || !e->hibernate_job) {
                log_info("Not hibernating process %d: %s", (int) best->pid,
                         message[0] ? message : strerror(-r));
                remember_refused(e, best->pid, best->start_time);
                return;
        }
        e->hibernate_job->automatic = true;
        e->hibernate_job->start_time = best->start_time;
}

/* Runs the helper and waits for it, logging what it said. */
static int run_helper_sync(Engine *e, const char *verb, pid_t pid) {
        char buf[4096];
        size_t len = 0;
        pid_t child;
        int fd, status, r;

        r = spawn_helper(e, verb, pid, true, &child, &fd);
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
