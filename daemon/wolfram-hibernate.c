/* SPDX-License-Identifier: MIT */
/* wolfram-hibernate: checkpoints one idle process with CRIU and stops it,
 * or restores it. It runs criu outside the engine's sandbox (the engine has
 * no network, no CAP_KILL and a system call filter criu cannot live with),
 * as root.
 *
 * Safety, in the order the steps run:
 *   - refused, before criu runs: kernel threads, the protected processes
 *     (init, the bus, polkitd, the engine) and what the configuration's
 *     exclusion lists name;
 *   - criu dump --leave-stopped: the tree stays stopped, not killed;
 *   - the images are verified: every task of the tree has its core, mm
 *     and pagemap images, and the pages file holds exactly the pages its
 *     pagemap lists (crit decode);
 *   - the record is written (atomically) beside the images, and only then
 *     is the tree killed. On any failure before that, the tree is resumed
 *     (SIGCONT) and the images removed: the process runs on as before.
 *   - restore: criu restore --restore-detached; on failure the images stay
 *     where they are and the reason is printed, for a later try.
 * A directory without a record is a dump that never finished: `recover`
 * resumes its process where it is still stopped and removes it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "build-config.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/time-util.h"
#include "config/config.h"
#include "hibernate/hibernate.h"
#include "kernel/proc-scan.h"

/* Exit statuses, which the engine turns into its bus errors. */
#define EXIT_FAILED 1 /* the steps failed (what was there is kept or resumed) */
#define EXIT_REFUSED 2 /* CRIU cannot checkpoint it, or it is hibernated already */
#define EXIT_NO_PROCESS 3 /* no such process, or no such hibernated process */
#define EXIT_PROTECTED 4 /* protected or excluded: never hibernated */
#define EXIT_USAGE 64

/* The port proxy: its pid beside the images, how long a restore waits for
 * it to let go, how many connections it holds while the process wakes. */
#define PROXY_PID_FILE "proxy.pid"
#define PROXY_STOP_WAIT_SECS 60
#define PROXY_MAX_CLIENTS 64
#define PROXY_CONNECT_WAIT_SECS 10
#define PROXY_BUFFER 65536

extern char **environ;

static const char *arg_images_dir = STATE_DIR_DEFAULT "/" HIBERNATE_DIR_NAME;
static const char *arg_criu = "criu";
static const char *arg_crit = "crit";
static const char *arg_config_file;

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

/* Runs argv with stdin from /dev/null; its stdout into *ret_out when
 * asked (else /dev/null), stderr to /dev/null (criu writes its log into
 * the images' directory; a restored tree must not inherit our output). Returns the exit status (0-255),
 * or a negative errno when it could not run or was killed. */
static int run(char *const *argv, char **ret_out, size_t *ret_size) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none;
        _cleanup_free_ char *out = NULL;
        size_t size = 0, allocated = 0;
        int pipefd[2] = { -1, -1 }, status, r;
        pid_t pid;

        if (ret_out && pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        if (ret_out)
                posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
        else
                posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        /* The port proxy blocks SIGTERM while it restores; criu gets the
         * usual mask. */
        posix_spawnattr_init(&attr);
        sigemptyset(&none);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
        r = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        if (ret_out)
                close(pipefd[1]);
        if (r != 0) {
                if (ret_out)
                        close(pipefd[0]);
                return -r;
        }
        if (ret_out) {
                for (;;) {
                        ssize_t n;

                        if (allocated - size < 65536) {
                                char *p = realloc(out, allocated + 262144);
                                if (!p) {
                                        close(pipefd[0]);
                                        (void) waitpid(pid, &status, 0);
                                        return -ENOMEM;
                                }
                                out = p;
                                allocated += 262144;
                        }
                        n = read(pipefd[0], out + size, allocated - size - 1);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                break;
                        size += (size_t) n;
                }
                close(pipefd[0]);
                out[size] = '\0';
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status))
                return -ECHILD;
        if (ret_out) {
                *ret_out = out;
                out = NULL;
                *ret_size = size;
        }
        return WEXITSTATUS(status);
}

static int pidfd_open_pid(pid_t pid) {
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? -errno : fd;
}

static int pidfd_signal(int pidfd, int sig) {
        return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

static char *dir_of(pid_t pid) {
        char *p;

        if (asprintf(&p, "%s/%d", arg_images_dir, (int) pid) < 0)
                return NULL;
        return p;
}

/* Removes a directory of images (flat: criu writes no subdirectory). */
static int remove_images(const char *dir) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        int r = 0;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
                    unlinkat(dirfd(d), de->d_name, 0) < 0 && r == 0)
                        r = -errno;
        if (rmdir(dir) < 0 && r == 0)
                r = -errno;
        return r;
}

static uint64_t images_size(const char *dir) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        uint64_t sum = 0;

        if (!d)
                return 0;
        while ((de = readdir(d))) {
                struct stat st;

                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISREG(st.st_mode))
                        sum += (uint64_t) st.st_size;
        }
        return sum;
}

/* The reason criu gives in its log, for a failed run. */
static void criu_reason(const char *dir, const char *log, int status, char *buf, size_t size) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0;

        if (asprintf(&path, "%s/%s", dir, log) < 0)
                path = NULL;
        if (path)
                (void) read_full_file(path, &text, &len);
        hibernate_criu_reason(text, len, status, buf, size);
}

/* The TCP sockets the process listens on: its socket inodes matched
 * against its network namespace's tcp and tcp6 tables; whether each has
 * SO_REUSEADDR, read from a copy of its descriptor (pidfd_getfd). */
static void listen_sockets(pid_t pid, int pidfd, HibernateRecord *rec) {
        _cleanup_(closedirp) DIR *d = NULL;
        uint64_t inodes[512], inode_of[HIBERNATE_MAX_PORTS];
        int fds[ELEMENTSOF(inodes)];
        size_t n = 0;
        char path[64];
        struct dirent *de;

        snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
        d = opendir(path);
        if (!d)
                return;
        while ((de = readdir(d)) && n < ELEMENTSOF(inodes)) {
                char link[64];
                ssize_t k = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
                unsigned long long inode;

                if (k <= 0)
                        continue;
                link[k] = '\0';
                if (sscanf(link, "socket:[%llu]", &inode) == 1) {
                        fds[n] = atoi(de->d_name);
                        inodes[n++] = inode;
                }
        }
        for (int family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
                _cleanup_free_ char *text = NULL;
                size_t len;

                snprintf(path, sizeof(path), "/proc/%d/net/%s", (int) pid,
                         family == AF_INET ? "tcp" : "tcp6");
                if (read_full_file(path, &text, &len) < 0)
                        continue;
                if (hibernate_listen_parse(text, len, family, inodes, n, rec, inode_of) < 0)
                        log_warning("Could not read %s: not the kernel's format.", path);
        }
        for (unsigned i = 0; i < rec->n_listen; i++)
                for (size_t j = 0; j < n; j++) {
                        int copy, on = 0;
                        socklen_t size = sizeof(on);

                        if (inodes[j] != inode_of[i])
                                continue;
                        copy = (int) syscall(SYS_pidfd_getfd, pidfd, fds[j], 0);
                        if (copy >= 0) {
                                if (getsockopt(copy, SOL_SOCKET, SO_REUSEADDR, &on, &size) >= 0)
                                        rec->listen[i].reuse_address = on != 0;
                                close(copy);
                        }
                        break;
                }
}

/* Whether process 'pid' is what a service manager started for a service
 * and watches: the main or control process of a system service (systemd
 * says, over the bus), or a user manager's direct child in a user service.
 * Hibernated, it would be seen to exit: the unit fails or starts it again,
 * and systemd would clean up its cgroup. The unit's name in *ret_unit. */
static bool service_process(pid_t pid, const char *cgroup, char **ret_unit) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *id = NULL;
        const char *path;
        uint32_t main_pid = 0, control_pid = 0;
        ProcStat st, parent;

        *ret_unit = NULL;
        if (!cgroup || !strstr(cgroup, ".service"))
                return false;
        /* A user service: its manager is its parent. */
        if (strstr(cgroup, "/user@") && proc_read_stat(pid, &st) >= 0 && st.ppid > 1 &&
            proc_read_stat(st.ppid, &parent) >= 0 && streq(parent.comm, "systemd")) {
                const char *last = strrchr(cgroup, '/');
                *ret_unit = strdup(last ? last + 1 : cgroup);
                return true;
        }
        if (access("/run/systemd/system", F_OK) < 0 || sd_bus_open_system(&bus) < 0 ||
            sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "GetUnitByPID", NULL, &reply, "u",
                               (uint32_t) pid) < 0 ||
            sd_bus_message_read(reply, "o", &path) < 0)
                return false;
        if (sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path,
                                       "org.freedesktop.systemd1.Unit", "Id", NULL, &id) < 0 ||
            !ends_with(id, ".service"))
                return false;
        (void) sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path,
                                           "org.freedesktop.systemd1.Service", "MainPID", NULL, 'u',
                                           &main_pid);
        (void) sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path,
                                           "org.freedesktop.systemd1.Service", "ControlPID", NULL, 'u',
                                           &control_pid);
        if (main_pid != (uint32_t) pid && control_pid != (uint32_t) pid)
                return false;
        *ret_unit = TAKE_PTR(id);
        return true;
}

/* Decodes one image with crit. */
static int crit_decode(const char *dir, const char *image, char **ret, size_t *ret_size) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (asprintf(&path, "%s/%s", dir, image) < 0)
                return -ENOMEM;
        r = run((char *const[]){ (char *) arg_crit, "decode", "-i", path, NULL }, ret, ret_size);
        if (r > 0)
                return log_error_errno(EBADMSG, "crit could not decode %s (status %d).", path, r);
        if (r < 0)
                return log_error_errno(r, "Could not run %s: %m", arg_crit);
        return 0;
}

/* Every task has its images and its pages file holds what its pagemap says. */
static int verify_images(const char *dir, pid_t *pids, unsigned *n_pids) {
        _cleanup_free_ char *pstree = NULL;
        size_t size;
        int r;

        r = crit_decode(dir, "pstree.img", &pstree, &size);
        if (r < 0)
                return r;
        r = hibernate_pstree_parse(pstree, pids, n_pids);
        if (r < 0)
                return log_error_errno(r, "The process tree image in %s is not a tree of processes.", dir);
        for (unsigned i = 0; i < *n_pids; i++) {
                _cleanup_free_ char *pagemap = NULL, *image = NULL, *pages = NULL;
                uint64_t pages_id, n_pages;
                struct stat st;
                char name[64];

                snprintf(name, sizeof(name), "%s/core-%d.img", dir, (int) pids[i]);
                if (stat(name, &st) < 0 || st.st_size == 0)
                        return log_error_errno(ENOENT, "No image of process %d's state (core-%d.img).",
                                               (int) pids[i], (int) pids[i]);
                snprintf(name, sizeof(name), "%s/mm-%d.img", dir, (int) pids[i]);
                if (stat(name, &st) < 0 || st.st_size == 0)
                        return log_error_errno(ENOENT, "No image of process %d's mappings (mm-%d.img).",
                                               (int) pids[i], (int) pids[i]);
                if (asprintf(&image, "pagemap-%d.img", (int) pids[i]) < 0)
                        return -ENOMEM;
                r = crit_decode(dir, image, &pagemap, &size);
                if (r < 0)
                        return r;
                r = hibernate_pagemap_parse(pagemap, &pages_id, &n_pages);
                if (r < 0)
                        return log_error_errno(r, "%s of %s is not a page map.", image, dir);
                if (asprintf(&pages, "%s/pages-%" PRIu64 ".img", dir, pages_id) < 0)
                        return -ENOMEM;
                if (stat(pages, &st) < 0)
                        st.st_size = n_pages ? -1 : 0;
                if ((uint64_t) st.st_size != n_pages * (uint64_t) sysconf(_SC_PAGESIZE))
                        return log_error_errno(EBADMSG,
                                               "Process %d's memory image is incomplete: %s holds %" PRId64
                                               " bytes, its page map lists %" PRIu64 " pages.",
                                               (int) pids[i], pages, (int64_t) st.st_size, n_pages);
        }
        return 0;
}

static int write_record(const char *dir, const HibernateRecord *rec) {
        _cleanup_free_ char *text = NULL, *path = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len;
        int r;

        r = hibernate_record_format(rec, &text);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s", dir, HIBERNATE_RECORD) < 0 ||
            asprintf(&tmp, "%s/.%s.tmp", dir, HIBERNATE_RECORD) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        len = strlen(text);
        if (write(fd, text, len) != (ssize_t) len || fsync(fd) < 0) {
                r = errno ? -errno : -EIO;
                (void) unlink(tmp);
                return r;
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

static int read_record(const char *dir, HibernateRecord *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len;
        int r;

        if (asprintf(&path, "%s/%s", dir, HIBERNATE_RECORD) < 0)
                return -ENOMEM;
        r = read_full_file(path, &text, &len);
        if (r < 0)
                return r;
        return hibernate_record_parse(text, ret);
}

/* read_record() for a verb: 0, or the exit status with what went wrong
 * logged. */
static int load_record(pid_t pid, const char *dir, HibernateRecord *ret) {
        int r = read_record(dir, ret);

        if (r == -ENOENT) {
                log_error("No hibernated process %d (no %s/%s).", (int) pid, dir, HIBERNATE_RECORD);
                return EXIT_NO_PROCESS;
        }
        if (r < 0) {
                log_error_errno(r, "The record in %s cannot be read; the images are kept: %m", dir);
                return EXIT_FAILED;
        }
        return 0;
}

/* Opens a pidfd for each task criu left stopped; -ESRCH when one is gone. */
static int open_tasks(const pid_t *pids, unsigned n, int *fds) {
        for (unsigned i = 0; i < n; i++) {
                fds[i] = pidfd_open_pid(pids[i]);
                if (fds[i] < 0) {
                        int r = fds[i];
                        for (unsigned j = 0; j < i; j++)
                                close(fds[j]);
                        return r;
                }
        }
        return 0;
}

static void signal_tasks(int *fds, unsigned n, int sig) {
        for (unsigned i = 0; i < n; i++)
                if (fds[i] >= 0)
                        (void) pidfd_signal(fds[i], sig);
}

static void close_tasks(int *fds, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
}

static int do_dump(pid_t pid) {
        _cleanup_(config_done) Config config = {};
        _cleanup_(hibernate_record_done) HibernateRecord rec = {};
        _cleanup_free_ char *dir = NULL, *error = NULL, *root_dir = NULL, *unit = NULL;
        ConfigLoadArgs args = { .config_file = arg_config_file };
        ProcProtected protected = { .self = getpid() };
        pid_t pids[HIBERNATE_MAX_TASKS];
        int fds[HIBERNATE_MAX_TASKS];
        unsigned n_pids = 0;
        bool kernel_thread = false;
        char reason[1024], pidstr[16];
        uint64_t start;
        const char *by;
        ProcTarget t;
        ProcStat now;
        struct stat st;
        size_t len;
        int r;

        r = config_load(&args, &config, &error);
        if (r < 0) {
                log_error("%s", error ? error : "Invalid configuration.");
                return EXIT_USAGE;
        }
        r = proc_target_open(&config, pid, &t, &kernel_thread);
        if (r == -ESRCH) {
                log_error("No process %d.", (int) pid);
                return EXIT_NO_PROCESS;
        }
        if (r < 0) {
                log_error_errno(r, "Could not read process %d: %m", (int) pid);
                return EXIT_FAILED;
        }
        r = EXIT_PROTECTED;
        if (kernel_thread)
                log_error("Process %d (%s) is a kernel thread.", (int) pid, t.comm);
        else if (streq(t.comm, "wolframd") || streq(t.comm, "criu"))
                log_error("Process %d (%s) is what hibernation stands on; it is never hibernated.",
                          (int) pid, t.comm);
        else if ((by = proc_protected_reason(&protected, pid, t.comm)))
                log_error("Process %d (%s) is %s; wolfram never hibernates it.", (int) pid, t.comm, by);
        else if ((by = proc_excluded_by(&config, t.comm, t.cgroup)))
                log_error("Process %d (%s) is excluded by '%s'; it is never hibernated.", (int) pid, t.comm,
                          by);
        else if (service_process(pid, t.cgroup, &unit))
                log_error("Process %d (%s) is the process %s runs as its service; systemd would see it exit "
                          "(and fail the unit or start it again). Stop the service instead.",
                          (int) pid, t.comm, unit ?: "a unit");
        else
                r = 0;
        if (r) {
                proc_target_done(&t);
                return r;
        }
        rec.pid = pid;
        rec.start_time = t.start_time;
        snprintf(rec.comm, sizeof(rec.comm), "%s", t.comm);
        rec.cgroup = t.cgroup;
        t.cgroup = NULL;
        snprintf(pidstr, sizeof(pidstr), "%d", (int) pid);
        if (asprintf(&root_dir, "/proc/%d", (int) pid) < 0 || !(dir = dir_of(pid))) {
                proc_target_done(&t);
                return log_oom(), EXIT_FAILED;
        }
        if (stat(root_dir, &st) >= 0)
                rec.uid = st.st_uid;
        listen_sockets(pid, t.pidfd, &rec);

        /* The directories above it as the system has them; the images'
         * root-only, whoever made it. */
        r = mkdir_parents(arg_images_dir, 0755);
        if (r >= 0 && chmod(arg_images_dir, 0700) < 0)
                r = -errno;
        if (r < 0) {
                log_error_errno(r, "Could not create %s: %m", arg_images_dir);
                proc_target_done(&t);
                return EXIT_FAILED;
        }
        if (mkdir(dir, 0700) < 0) {
                r = errno;
                proc_target_done(&t);
                if (r == EEXIST) {
                        log_error("%s exists: process %d is hibernated already, or an earlier dump did not "
                                  "finish (wolfram-hibernate recover).",
                                  dir, (int) pid);
                        return EXIT_REFUSED;
                }
                log_error_errno(r, "Could not create %s: %m", dir);
                return EXIT_FAILED;
        }

        start = now_usec(CLOCK_MONOTONIC);
        r = run((char *const[]){ (char *) arg_criu, "dump", "-t", pidstr, "-D", dir, "-o",
                                 HIBERNATE_DUMP_LOG, "-v4", "--leave-stopped", "--file-locks", NULL },
                NULL, NULL);
        if (r < 0) {
                log_error("Cannot run %s (%s): is criu installed? Process %d (%s) keeps running.", arg_criu,
                          strerror(-r), (int) pid, rec.comm);
                (void) remove_images(dir);
                proc_target_done(&t);
                return EXIT_FAILED;
        }
        if (r != 0) {
                _cleanup_free_ char *from = NULL, *kept = NULL;

                criu_reason(dir, HIBERNATE_DUMP_LOG, r, reason, sizeof(reason));
                /* criu's whole log stays for the admin, beside the images'
                 * directories (a name that is no pid: never taken for one). */
                if (asprintf(&from, "%s/%s", dir, HIBERNATE_DUMP_LOG) < 0 ||
                    asprintf(&kept, "%s/%d.dump-failed.log", arg_images_dir, (int) pid) < 0 ||
                    rename(from, kept) < 0) {
                        free(kept);
                        kept = NULL;
                }
                log_error("CRIU cannot checkpoint process %d (%s), it keeps running: %s%s%s%s", (int) pid,
                          rec.comm, reason, kept ? " (criu's log: " : "", kept ? kept : "", kept ? ")" : "");
                /* criu resumes the tree itself when a dump fails; a SIGCONT
                 * more covers a criu that died half-way. */
                (void) pidfd_signal(t.pidfd, SIGCONT);
                (void) remove_images(dir);
                proc_target_done(&t);
                return EXIT_REFUSED;
        }

        /* The same process, left stopped. */
        if (proc_read_stat(pid, &now) < 0 || now.start_time != rec.start_time) {
                log_error("Process %d exited during its checkpoint; its images are removed.", (int) pid);
                (void) remove_images(dir);
                proc_target_done(&t);
                return EXIT_FAILED;
        }
        r = verify_images(dir, pids, &n_pids);
        if (r >= 0 && pids[0] != pid)
                r = log_error_errno(EBADMSG, "The image's tree starts at %d, not %d.", (int) pids[0],
                                    (int) pid);
        if (r >= 0)
                r = open_tasks(pids, n_pids, fds);
        if (r < 0) {
                log_error("The checkpoint of process %d (%s) did not verify; it keeps running.", (int) pid,
                          rec.comm);
                (void) pidfd_signal(t.pidfd, SIGCONT);
                (void) remove_images(dir);
                proc_target_done(&t);
                return EXIT_FAILED;
        }
        rec.n_tasks = n_pids;
        /* What the stop returns: every task of the tree, read while criu
         * keeps them stopped (their memory as it was). */
        for (unsigned i = 0; i < n_pids; i++) {
                _cleanup_free_ char *rollup = NULL;
                uint64_t pss = 0, swap = 0;
                char path[64];

                snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int) pids[i]);
                if (read_full_file(path, &rollup, &len) >= 0 &&
                    hibernate_rollup_parse(rollup, len, &pss, &swap) >= 0) {
                        rec.pss_bytes += pss;
                        rec.swap_bytes += swap;
                }
        }
        rec.image_bytes = images_size(dir);
        rec.hibernated_realtime_usec = now_usec(CLOCK_REALTIME);
        rec.dump_usec = now_usec(CLOCK_MONOTONIC) - start;
        r = write_record(dir, &rec);
        if (r < 0) {
                log_error_errno(r, "Could not write the record in %s, process %d keeps running: %m", dir,
                                (int) pid);
                signal_tasks(fds, n_pids, SIGCONT);
                close_tasks(fds, n_pids);
                (void) remove_images(dir);
                proc_target_done(&t);
                return EXIT_FAILED;
        }

        /* Verified and recorded: now the tree goes. */
        signal_tasks(fds, n_pids, SIGKILL);
        {
                struct pollfd p = { .fd = t.pidfd, .events = POLLIN };
                (void) poll(&p, 1, 10000);
        }
        close_tasks(fds, n_pids);
        proc_target_done(&t);
        {
                char ports[HIBERNATE_MAX_PORTS * 7 + 32] = "";
                size_t used = 0;

                for (unsigned i = 0; i < rec.n_ports; i++)
                        used += (size_t) snprintf(ports + used, sizeof(ports) - used, "%s%u",
                                                  i ? ", " : "; it listened on TCP ",
                                                  (unsigned) rec.ports[i]);
                printf("Hibernated process %d (%s): %.1f MiB of RAM and %.1f MiB of swap returned, %u "
                       "process%s, images %.1f MiB in %s, in %.2f s%s.\n",
                       (int) pid, rec.comm, rec.pss_bytes / 1048576.0, rec.swap_bytes / 1048576.0,
                       rec.n_tasks, rec.n_tasks == 1 ? "" : "es", rec.image_bytes / 1048576.0, dir,
                       rec.dump_usec / 1e6, ports);
        }
        return 0;
}

/* Keeps why a restore failed beside the images, for the engine to show
 * (HibernateWakeFailures, wolframctl status); a later success removes the
 * directory and it with it. */
static void write_wake_error(const char *dir, const char *reason) {
        _cleanup_free_ char *path = NULL, *tmp = NULL;
        _cleanup_fclose_ FILE *f = NULL;

        if (asprintf(&path, "%s/%s", dir, HIBERNATE_WAKE_ERROR) < 0 ||
            asprintf(&tmp, "%s/.%s.tmp", dir, HIBERNATE_WAKE_ERROR) < 0)
                return;
        f = fopen(tmp, "we");
        if (!f)
                return;
        fprintf(f, "%s\n", reason);
        if (fflush(f) != 0 || rename(tmp, path) < 0)
                (void) unlink(tmp);
}

/* Restores process 'pid' from 'dir', whose lock the caller holds. */
static int restore_locked(pid_t pid, const char *dir) {
        _cleanup_(hibernate_record_done) HibernateRecord rec = {};
        char reason[1024], path[64];
        uint64_t start, took;
        ProcStat s;
        int r;

        r = load_record(pid, dir, &rec);
        if (r != 0)
                return r;
        if (proc_read_stat(pid, &s) >= 0) {
                snprintf(reason, sizeof(reason), "pid %d is taken by %s", (int) pid, s.comm);
                write_wake_error(dir, reason);
                log_error("Cannot restore %s (%d) yet: %s. The images are kept in %s.", rec.comm, (int) pid,
                          reason, dir);
                return EXIT_FAILED;
        }
        start = now_usec(CLOCK_MONOTONIC);
        r = run((char *const[]){ (char *) arg_criu, "restore", "-D", (char *) dir, "-o",
                                 HIBERNATE_RESTORE_LOG, "-v4", "--restore-detached", "--file-locks", NULL },
                NULL, NULL);
        took = now_usec(CLOCK_MONOTONIC) - start;
        if (r != 0) {
                if (r < 0)
                        snprintf(reason, sizeof(reason), "cannot run %s (%s): is criu installed?", arg_criu,
                                 strerror(-r));
                else
                        criu_reason(dir, HIBERNATE_RESTORE_LOG, r, reason, sizeof(reason));
                write_wake_error(dir, reason);
                log_error("Could not restore process %d (%s); its images are kept in %s: %s", (int) pid,
                          rec.comm, dir, reason);
                return EXIT_FAILED;
        }
        snprintf(path, sizeof(path), "/proc/%d", (int) pid);
        if (access(path, F_OK) < 0) {
                write_wake_error(dir, "criu restored it, but it exited at once");
                log_error("criu restored process %d (%s), but it is gone; its images are kept in %s.",
                          (int) pid, rec.comm, dir);
                return EXIT_FAILED;
        }
        r = remove_images(dir);
        if (r < 0)
                log_warning_errno(r, "Could not remove the images in %s: %m", dir);
        printf("Restored process %d (%s) in %.2f s.\n", (int) pid, rec.comm, took / 1e6);
        fflush(stdout);
        return 0;
}

/* Opens the images' directory of 'pid' and takes its lock, which a port
 * proxy holds while it listens: that proxy is asked to stop (SIGTERM to
 * the pid in its PROXY_PID_FILE) and waited for. -ENOENT when there is no
 * directory. */
static int lock_images(const char *dir, int *ret_fd) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *pidfile = NULL, *text = NULL;
        size_t len;
        pid_t proxy;

        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) >= 0) {
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
        if (errno != EWOULDBLOCK)
                return -errno;
        if (asprintf(&pidfile, "%s/%s", dir, PROXY_PID_FILE) < 0)
                return -ENOMEM;
        if (read_full_file(pidfile, &text, &len) >= 0 &&
            hibernate_dir_name_pid(strtok(text, "\n") ?: "", &proxy)) {
                log_info("Stopping the port proxy (pid %d) that listens for it.", (int) proxy);
                (void) kill(proxy, SIGTERM);
        }
        /* A proxy that is restoring the process lets go when it is done. */
        for (unsigned i = 0; i < PROXY_STOP_WAIT_SECS * 10; i++) {
                if (flock(fd, LOCK_EX | LOCK_NB) >= 0) {
                        *ret_fd = TAKE_FD(fd);
                        return 0;
                }
                (void) usleep(100 * 1000);
        }
        return log_error_errno(EBUSY, "The port proxy of %s did not let go of it in %d s.", dir,
                               PROXY_STOP_WAIT_SECS);
}

static int do_restore(pid_t pid) {
        _cleanup_free_ char *dir = dir_of(pid);
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!dir)
                return log_oom(), EXIT_FAILED;
        r = lock_images(dir, &fd);
        if (r == -ENOENT) {
                log_error("No hibernated process %d (no %s).", (int) pid, dir);
                return EXIT_NO_PROCESS;
        }
        if (r < 0)
                return r == -EBUSY ? EXIT_FAILED
                                   : (log_error_errno(r, "Cannot open %s: %m", dir), EXIT_FAILED);
        return restore_locked(pid, dir);
}

/* One direction of a relayed connection: what was read from 'from' and
 * not yet written to 'to'. */
typedef struct Pipe {
        char *buf;
        size_t len, off;
        bool eof; /* 'from' said all it will say; 'to' was told once buf is empty */
} Pipe;

/* A connection the proxy accepted, relayed to the restored process. */
typedef struct Relay {
        int client, server;
        unsigned listen; /* which of the record's sockets it came in on */
        Pipe up, down; /* client to server, server to client */
} Relay;

static void relay_done(Relay *r) {
        if (r->client >= 0)
                close(r->client);
        if (r->server >= 0)
                close(r->server);
        free(r->up.buf);
        free(r->down.buf);
        r->client = r->server = -EBADF;
}

static socklen_t listen_sockaddr(const HibernateListen *l, bool connect, struct sockaddr_storage *ret) {
        memset(ret, 0, sizeof(*ret));
        if (l->family == AF_INET) {
                struct sockaddr_in *a = (struct sockaddr_in *) ret;

                a->sin_family = AF_INET;
                a->sin_port = htons(l->port);
                memcpy(&a->sin_addr, l->address, 4);
                /* Connecting to the wildcard is connecting to this host. */
                if (connect && a->sin_addr.s_addr == htonl(INADDR_ANY))
                        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                return sizeof(*a);
        }
        struct sockaddr_in6 *a = (struct sockaddr_in6 *) ret;

        a->sin6_family = AF_INET6;
        a->sin6_port = htons(l->port);
        memcpy(&a->sin6_addr, l->address, 16);
        if (connect && IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr))
                a->sin6_addr = in6addr_loopback;
        return sizeof(*a);
}

/* Listens where the process listened; -errno with the socket named. */
static int proxy_listen(const HibernateRecord *rec, unsigned i) {
        const HibernateListen *l = &rec->listen[i];
        struct sockaddr_storage sa;
        socklen_t sl = listen_sockaddr(l, false, &sa);
        _cleanup_close_ int fd = socket(l->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        int on = 1, v6only = 0;
        char name[64];

        if (fd < 0)
                return -errno;
        /* An IPv6 wildcard takes IPv4 too, as the kernel's default has it,
         * unless the process had an IPv4 socket of its own on the port. */
        if (l->family == AF_INET6)
                for (unsigned j = 0; j < rec->n_listen; j++)
                        if (rec->listen[j].family == AF_INET && rec->listen[j].port == l->port)
                                v6only = 1;
        /* Accepted connections inherit SO_REUSEADDR: the restored process,
         * whose socket has it too, can bind beside them. */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
            (l->family == AF_INET6 &&
             setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0) ||
            bind(fd, (struct sockaddr *) &sa, sl) < 0 || listen(fd, 128) < 0) {
                int r = -errno;
                hibernate_listen_format(l, name, sizeof(name));
                return log_error_errno(r, "The port proxy cannot listen on %s: %m", name);
        }
        return TAKE_FD(fd);
}

/* Connects to the restored process where it listens again, waiting a
 * little for its socket. */
static int proxy_connect(const HibernateListen *l) {
        struct sockaddr_storage sa;
        socklen_t sl = listen_sockaddr(l, true, &sa);

        for (unsigned i = 0; i < PROXY_CONNECT_WAIT_SECS * 20; i++) {
                _cleanup_close_ int fd = socket(l->family, SOCK_STREAM | SOCK_CLOEXEC, 0);

                if (fd < 0)
                        return -errno;
                if (connect(fd, (struct sockaddr *) &sa, sl) >= 0) {
                        (void) fcntl(fd, F_SETFL, O_NONBLOCK);
                        return TAKE_FD(fd);
                }
                if (errno != ECONNREFUSED && errno != EINTR)
                        return -errno;
                (void) usleep(50 * 1000);
        }
        return -ECONNREFUSED;
}

/* Moves what it can between one side and the other; false on an error
 * that ends the connection. */
static bool pipe_step(Pipe *p, int from, int to, short from_events, short to_events) {
        if (!p->eof && p->len == 0 && (from_events & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t n = read(from, p->buf, PROXY_BUFFER);

                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        return false;
                if (n == 0) {
                        p->eof = true;
                        (void) shutdown(to, SHUT_WR);
                }
                if (n > 0) {
                        p->len = (size_t) n;
                        p->off = 0;
                }
        }
        if (p->len > p->off && (to_events & (POLLOUT | POLLERR))) {
                ssize_t n = send(to, p->buf + p->off, p->len - p->off, MSG_NOSIGNAL);

                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        return false;
                if (n > 0)
                        p->off += (size_t) n;
                if (p->off == p->len)
                        p->len = p->off = 0;
        }
        return true;
}

/* Relays every connection until both sides of each are done. */
static void proxy_relay(Relay *relays, unsigned n, int sigfd) {
        for (;;) {
                struct pollfd pfd[PROXY_MAX_CLIENTS * 2 + 1];
                unsigned live = 0;

                for (unsigned i = 0; i < n; i++) {
                        Relay *r = &relays[i];

                        if (r->client >= 0 && r->up.eof && r->down.eof && r->up.len == 0 && r->down.len == 0)
                                relay_done(r);
                        pfd[2 * i] = (struct pollfd){ .fd = r->client };
                        pfd[2 * i + 1] = (struct pollfd){ .fd = r->server };
                        if (r->client < 0)
                                continue;
                        live++;
                        if (!r->up.eof && r->up.len == 0)
                                pfd[2 * i].events |= POLLIN;
                        if (r->down.len > 0)
                                pfd[2 * i].events |= POLLOUT;
                        if (!r->down.eof && r->down.len == 0)
                                pfd[2 * i + 1].events |= POLLIN;
                        if (r->up.len > 0)
                                pfd[2 * i + 1].events |= POLLOUT;
                }
                if (live == 0)
                        return;
                pfd[2 * n] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
                if (poll(pfd, 2 * n + 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                if (pfd[2 * n].revents)
                        return; /* asked to stop */
                for (unsigned i = 0; i < n; i++) {
                        Relay *r = &relays[i];

                        if (r->client < 0)
                                continue;
                        if (!pipe_step(&r->up, r->client, r->server, pfd[2 * i].revents,
                                       pfd[2 * i + 1].revents) ||
                            !pipe_step(&r->down, r->server, r->client, pfd[2 * i + 1].revents,
                                       pfd[2 * i].revents))
                                relay_done(r);
                }
        }
}

static int write_proxy_pid(const char *dir) {
        _cleanup_free_ char *path = NULL, *tmp = NULL;
        _cleanup_fclose_ FILE *f = NULL;

        if (asprintf(&path, "%s/%s", dir, PROXY_PID_FILE) < 0 ||
            asprintf(&tmp, "%s/.%s.tmp", dir, PROXY_PID_FILE) < 0)
                return -ENOMEM;
        f = fopen(tmp, "we");
        if (!f)
                return -errno;
        fprintf(f, "%d\n", (int) getpid());
        if (fflush(f) != 0 || rename(tmp, path) < 0) {
                int r = -errno;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

/* Listens on the TCP sockets process 'pid' listened on; at the first
 * connection, restores it and relays what came in before it listened
 * again. SIGTERM (a restore from elsewhere) ends it before. */
static int do_proxy(pid_t pid) {
        _cleanup_(hibernate_record_done) HibernateRecord rec = {};
        _cleanup_free_ char *dir = dir_of(pid), *pidfile = NULL;
        _cleanup_close_ int lock = -EBADF, sigfd = -EBADF;
        int listeners[HIBERNATE_MAX_PORTS];
        Relay relays[PROXY_MAX_CLIENTS];
        char names[HIBERNATE_MAX_PORTS * 56] = "";
        unsigned n_relays = 0;
        size_t used = 0;
        sigset_t mask;
        int r;

        if (!dir || asprintf(&pidfile, "%s/%s", dir, PROXY_PID_FILE) < 0)
                return log_oom(), EXIT_FAILED;
        lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lock < 0) {
                log_error("No hibernated process %d (no %s).", (int) pid, dir);
                return EXIT_NO_PROCESS;
        }
        if (flock(lock, LOCK_EX | LOCK_NB) < 0) {
                log_error("Process %d's images are in use: a port proxy listens for it already, or it is "
                          "being restored.",
                          (int) pid);
                return EXIT_REFUSED;
        }
        r = load_record(pid, dir, &rec);
        if (r != 0)
                return r;
        if (rec.n_listen == 0) {
                log_error("Process %d (%s) listened on no TCP port; there is nothing to proxy.", (int) pid,
                          rec.comm);
                return EXIT_REFUSED;
        }
        for (unsigned i = 0; i < rec.n_listen; i++) {
                char name[56];

                hibernate_listen_format(&rec.listen[i], name, sizeof(name));
                if (!rec.listen[i].reuse_address) {
                        log_error(
                                "Process %d (%s) did not set SO_REUSEADDR on %s: it could not listen there "
                                "again while the proxy holds the connection that woke it. No port proxy; "
                                "wake it with wolframctl wake.",
                                (int) pid, rec.comm, name);
                        return EXIT_REFUSED;
                }
                used += (size_t) snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "", name);
        }

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || (sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0)
                return log_error_errno(errno, "Cannot watch signals: %m"), EXIT_FAILED;
        for (unsigned i = 0; i < rec.n_listen; i++) {
                listeners[i] = proxy_listen(&rec, i);
                if (listeners[i] < 0) {
                        for (unsigned j = 0; j < i; j++)
                                close(listeners[j]);
                        return EXIT_FAILED;
                }
        }
        r = write_proxy_pid(dir);
        if (r < 0)
                log_warning_errno(r, "Could not write %s, a restore will wait for the proxy: %m", pidfile);
        printf("Listening on %s for process %d (%s); the first connection wakes it.\n", names, (int) pid,
               rec.comm);
        fflush(stdout);

        /* Wait for a connection, or to be told to stop. */
        for (;;) {
                struct pollfd pfd[HIBERNATE_MAX_PORTS + 1];
                bool any = false;

                for (unsigned i = 0; i < rec.n_listen; i++)
                        pfd[i] = (struct pollfd){ .fd = listeners[i], .events = POLLIN };
                pfd[rec.n_listen] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
                if (poll(pfd, rec.n_listen + 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (pfd[rec.n_listen].revents) {
                        r = 1; /* stop */
                        break;
                }
                for (unsigned i = 0; i < rec.n_listen; i++)
                        any = any || (pfd[i].revents & POLLIN);
                if (any) {
                        r = 0;
                        break;
                }
        }
        /* Everything waiting now is taken; what comes after, while the
         * sockets are closed and the process not yet back, is refused. */
        for (unsigned i = 0; i < rec.n_listen; i++) {
                for (int c; r == 0 && n_relays < PROXY_MAX_CLIENTS &&
                            (c = accept4(listeners[i], NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0;)
                        relays[n_relays++] = (Relay){ .client = c, .server = -EBADF, .listen = i };
                close(listeners[i]);
        }
        if (r != 0) {
                (void) unlink(pidfile);
                if (r < 0)
                        return log_error_errno(r, "The port proxy for process %d failed: %m", (int) pid),
                               EXIT_FAILED;
                printf("The port proxy for process %d stops; it is woken by other means.\n", (int) pid);
                return 0;
        }

        log_info("A connection for process %d (%s) came in; waking it.", (int) pid, rec.comm);
        (void) unlink(pidfile);
        r = restore_locked(pid, dir);
        close(lock);
        lock = -EBADF;
        if (r != 0) {
                for (unsigned i = 0; i < n_relays; i++)
                        relay_done(&relays[i]);
                log_error("The connection that came in for process %d is closed: it could not be woken.",
                          (int) pid);
                return r;
        }
        for (unsigned i = 0; i < n_relays; i++) {
                Relay *c = &relays[i];

                c->server = proxy_connect(&rec.listen[c->listen]);
                c->up.buf = malloc(PROXY_BUFFER);
                c->down.buf = malloc(PROXY_BUFFER);
                if (c->server < 0 || !c->up.buf || !c->down.buf) {
                        char name[56];

                        hibernate_listen_format(&rec.listen[c->listen], name, sizeof(name));
                        log_warning("Could not hand a connection over to process %d on %s: %s", (int) pid,
                                    name, c->server < 0 ? strerror(-c->server) : "out of memory");
                        relay_done(c);
                }
        }
        proxy_relay(relays, n_relays, sigfd);
        for (unsigned i = 0; i < n_relays; i++)
                relay_done(&relays[i]);
        return 0;
}

/* Dumps that never finished (no record): their process resumes if it is
 * still stopped there, the images go. */
static int do_recover(void) {
        _cleanup_(closedirp) DIR *d = opendir(arg_images_dir);
        struct dirent *de;
        int ret = 0;

        if (!d)
                return errno == ENOENT
                               ? 0
                               : (log_error_errno(errno, "Cannot read %s: %m", arg_images_dir), EXIT_FAILED);
        while ((de = readdir(d))) {
                _cleanup_(hibernate_record_done) HibernateRecord rec = {};
                _cleanup_free_ char *dir = NULL;
                pid_t pid;
                int r, fd;

                if (!hibernate_dir_name_pid(de->d_name, &pid))
                        continue;
                dir = dir_of(pid);
                if (!dir)
                        return log_oom(), EXIT_FAILED;
                r = read_record(dir, &rec);
                if (r != -ENOENT)
                        continue;
                fd = pidfd_open_pid(pid);
                if (fd >= 0) {
                        (void) pidfd_signal(fd, SIGCONT);
                        close(fd);
                }
                log_notice("Removing %s, a checkpoint that did not finish; process %d %s.", dir, (int) pid,
                           fd >= 0 ? "runs on" : "is gone");
                if (remove_images(dir) < 0)
                        ret = EXIT_FAILED;
        }
        return ret;
}

static int do_list(void) {
        HibernateRecord *list;
        size_t n;
        int r;

        r = hibernate_scan(arg_images_dir, &list, &n);
        if (r < 0) {
                log_error_errno(r, "Cannot read %s: %m", arg_images_dir);
                return EXIT_FAILED;
        }
        for (size_t i = 0; i < n; i++)
                printf("%d\t%s\t%" PRIu64 "\t%" PRIu64 "\n", (int) list[i].pid, list[i].comm,
                       list[i].pss_bytes + list[i].swap_bytes, list[i].image_bytes);
        hibernate_records_free(list, n);
        return 0;
}

static void help(void) {
        printf("wolfram-hibernate [OPTIONS] COMMAND\n\n"
               "Checkpoints an idle process with CRIU and stops it, or restores it.\n\n"
               "Commands:\n"
               "  dump PID       Checkpoint PID's process tree, verify the images, then stop it\n"
               "  restore PID    Restore it from its images (kept when that fails)\n"
               "  proxy PID      Listen on the TCP sockets it listened on; restore it at the\n"
               "                 first connection and hand that connection over\n"
               "  recover        Resume processes whose checkpoint did not finish\n"
               "  list           Hibernated processes: pid, name, bytes returned, image bytes\n\n"
               "Options:\n"
               "  -h --help             Show this help\n"
               "     --images-dir=DIR   Where the images go (default " STATE_DIR_DEFAULT
               "/" HIBERNATE_DIR_NAME ")\n"
               "     --config=FILE      Read only FILE for the exclusion lists\n"
               "     --criu=PATH        The criu program (default: criu in PATH)\n"
               "     --crit=PATH        The crit program (default: crit in PATH)\n");
}

static bool parse_pid(const char *s, pid_t *ret) {
        return hibernate_dir_name_pid(s, ret);
}

int main(int argc, char *argv[]) {
        enum { ARG_IMAGES_DIR = 0x100, ARG_CONFIG, ARG_CRIU, ARG_CRIT };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "images-dir", required_argument, NULL, ARG_IMAGES_DIR },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "criu", required_argument, NULL, ARG_CRIU },
                { "crit", required_argument, NULL, ARG_CRIT },
                {},
        };
        const char *verb;
        pid_t pid = 0;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_IMAGES_DIR:
                        if (optarg[0] != '/') {
                                log_error("--images-dir= needs an absolute path, got '%s'.", optarg);
                                return EXIT_USAGE;
                        }
                        arg_images_dir = optarg;
                        break;
                case ARG_CONFIG:
                        arg_config_file = optarg;
                        break;
                case ARG_CRIU:
                        arg_criu = optarg;
                        break;
                case ARG_CRIT:
                        arg_crit = optarg;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (optind >= argc) {
                log_error("No command; see --help.");
                return EXIT_USAGE;
        }
        verb = argv[optind];
        if (streq(verb, "dump") || streq(verb, "restore") || streq(verb, "proxy")) {
                if (optind + 2 != argc || !parse_pid(argv[optind + 1], &pid)) {
                        log_error("%s needs one process id; see --help.", verb);
                        return EXIT_USAGE;
                }
                if (geteuid() != 0) {
                        log_error("wolfram-hibernate %s needs root.", verb);
                        return EXIT_USAGE;
                }
                umask(0077);
                return streq(verb, "dump")      ? do_dump(pid)
                       : streq(verb, "restore") ? do_restore(pid)
                                                : do_proxy(pid);
        }
        if (optind + 1 != argc) {
                log_error("Unexpected argument '%s'; see --help.", argv[optind + 1]);
                return EXIT_USAGE;
        }
        if (streq(verb, "recover"))
                return do_recover();
        if (streq(verb, "list"))
                return do_list();
        log_error("Unknown command '%s'; see --help.", verb);
        return EXIT_USAGE;
}
