/* SPDX-License-Identifier: MIT */
/*
 * wolfram-merge: runs a command with its memory open to KSM. KSM only scans
 * memory marked mergeable, and applications seldom mark any. Since Linux 6.4
 * prctl(PR_SET_MEMORY_MERGE) marks a whole process, is inherited by its
 * children and (since the fix in 6.7) survives exec; on older kernels
 * libwolfram-merge.so is preloaded instead and marks anonymous memory
 * MADV_MERGEABLE as it is mapped. The launcher picks what works, says which,
 * and execs the command.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build-config.h"
#include "common/macro.h"

/* Linux 6.4; older headers lack them. */
#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#endif
#ifndef PR_GET_MEMORY_MERGE
#define PR_GET_MEMORY_MERGE 68
#endif

/* The launcher's own failures, as env(1) and nice(1) report theirs, so that
 * they differ from whatever the command itself returns. */
#define EXIT_USAGE 2
#define EXIT_CANNOT_MERGE 125
#define EXIT_CANNOT_INVOKE 126
#define EXIT_NOT_FOUND 127

/* Argument of the copy of the launcher that checks, after an exec, whether
 * the kernel kept PR_SET_MEMORY_MERGE across it. Not for people. */
#define PROBE_ARGUMENT "--probe-merge-kept-across-exec"

#define KSM_RUN_PATH "/sys/kernel/mm/ksm/run"

typedef enum MergeMethod {
        METHOD_AUTO,
        METHOD_PRCTL,
        METHOD_PRELOAD,
} MergeMethod;

static MergeMethod arg_method = METHOD_AUTO;
static bool arg_quiet = false;

static void help(FILE *f) {
        fprintf(f,
                "%s [OPTIONS...] [--] COMMAND [ARGS...]\n\n"
                "Run COMMAND with its memory mergeable by KSM.\n\n"
                "Options:\n"
                "  -h --help            Show this help\n"
                "     --version         Show the version\n"
                "     --method=METHOD   auto (default), prctl or preload\n"
                "  -q --quiet           Do not say which method is used\n",
                program_invocation_short_name);
}

/* Runs in the copy of the launcher that merge_any_survives_exec() starts:
 * exit status 0 when the flag came through the exec. */
static int probe_merge_kept(void) {
        return prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0) == 1 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Before Linux 6.7 (and the stable kernels that took the fix) exec cleared
 * MMF_VM_MERGE_ANY, so the flag would be gone in the command. Version
 * numbers cannot tell which stable kernels have the fix, so exec a copy of
 * ourselves and let it tell (a millisecond or two). Returns 1 if kept, 0 if
 * not, negative errno if the copy could not be run. */
static int merge_any_survives_exec(void) {
        char *const probe_argv[] = { (char *) "wolfram-merge", (char *) PROBE_ARGUMENT, NULL };
        char *const probe_envp[] = { NULL };
        int status;
        pid_t pid;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                (void) execve("/proc/self/exe", probe_argv, probe_envp);
                _exit(EXIT_CANNOT_INVOKE);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) == EXIT_CANNOT_INVOKE)
                return -ENOEXEC;
        return WEXITSTATUS(status) == EXIT_SUCCESS;
}

/* Marks this process, and so the command after the exec, merge-any. On
 * failure returns negative errno and a reason a person can act on. */
static int merge_any_enable(const char **ret_reason) {
        static char reason[64];
        int r;

        if (prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0) < 0) {
                r = -errno;
                if (r == -EINVAL)
                        *ret_reason = "not known to this kernel, which is older than 6.4 or has no KSM";
                else if (r == -EPERM)
                        *ret_reason = "not permitted here";
                else {
                        (void) snprintf(reason, sizeof(reason), "unavailable (%s)", strerror(-r));
                        *ret_reason = reason;
                }
                return r;
        }

        r = merge_any_survives_exec();
        if (r == 0) {
                (void) prctl(PR_SET_MEMORY_MERGE, 0, 0, 0, 0);
                *ret_reason = "not kept across exec by this kernel, fixed in 6.7";
                return -ENOTSUP;
        }
        /* A copy that cannot run (no /proc, say) proves nothing either way;
         * a kernel that has the prctl almost always keeps it. */
        return 0;
}

/* The library to preload: WOLFRAM_MERGE_LIBRARY (the tests point it into
 * the build directory) or where it is installed, as an absolute path, since
 * the command may change directory before it starts another. */
static int preload_library_path(char **ret_path) {
        const char *library = getenv("WOLFRAM_MERGE_LIBRARY");
        char *path;

        if (!library || library[0] == '\0')
                library = WOLFRAM_MERGE_LIBRARY;

        path = realpath(library, NULL);
        if (!path) {
                int r = -errno;
                fprintf(stderr, "wolfram-merge: Failed to find the preload library %s: %s\n", library,
                        strerror(-r));
                return r;
        }
        /* The dynamic linker splits LD_PRELOAD at these. */
        if (strpbrk(path, ": \t\n")) {
                fprintf(stderr,
                        "wolfram-merge: Cannot preload %s: LD_PRELOAD cannot hold a path with ':' or "
                        "spaces\n",
                        path);
                free(path);
                return -EINVAL;
        }
        *ret_path = path;
        return 0;
}

/* Whether the list, separated the way the dynamic linker splits it, holds
 * path already. */
static bool preload_list_contains(const char *list, const char *path) {
        size_t len = strlen(path);

        for (const char *p = list; *p;) {
                size_t n = strcspn(p, ": \t\n");
                if (n == len && strncmp(p, path, len) == 0)
                        return true;
                p += n;
                p += strspn(p, ": \t\n");
        }
        return false;
}

/* Adds the library to LD_PRELOAD after what is there already, so that the
 * libraries the caller preloads keep their place in front of ours. */
static int preload_enable(char **ret_path) {
        _cleanup_free_ char *path = NULL, *list = NULL;
        const char *old;
        int r;

        r = preload_library_path(&path);
        if (r < 0)
                return r;

        old = getenv("LD_PRELOAD");
        if (old && old[0] != '\0') {
                if (!preload_list_contains(old, path) && asprintf(&list, "%s:%s", old, path) < 0)
                        return -ENOMEM;
        } else if (!(list = strdup(path)))
                return -ENOMEM;

        if (list && setenv("LD_PRELOAD", list, 1) < 0)
                return -errno;
        *ret_path = TAKE_PTR(path);
        return 0;
}

/* Not the launcher's business, but a user who wonders why nothing merges
 * should not have to look elsewhere first. */
static void note_ksm_state(void) {
        _cleanup_close_ int fd = -EBADF;
        char buf[16] = {};
        ssize_t n;

        fd = open(KSM_RUN_PATH, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        fprintf(stderr,
                                "wolfram-merge: note: this kernel has no KSM (%s is missing), nothing "
                                "will be merged\n",
                                KSM_RUN_PATH);
                return;
        }
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return;
        if (buf[0] == '0')
                fprintf(stderr,
                        "wolfram-merge: note: KSM is not running (%s is 0): nothing merges until it is "
                        "started, as wolframd does with [KSM] enabled=yes\n",
                        KSM_RUN_PATH);
        else if (buf[0] == '2')
                fprintf(stderr, "wolfram-merge: note: KSM is unmerging everything (%s is 2)\n",
                        KSM_RUN_PATH);
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_METHOD,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "method", required_argument, NULL, ARG_METHOD },
                { "quiet", no_argument, NULL, 'q' },
                {},
        };
        int c;

        /* '+': the first argument that is no option is the command, and the
         * command's own options are left alone. */
        while ((c = getopt_long(argc, argv, "+hq", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help(stdout);
                        return 0;
                case ARG_VERSION:
                        printf("wolfram-merge %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_METHOD:
                        if (streq(optarg, "auto"))
                                arg_method = METHOD_AUTO;
                        else if (streq(optarg, "prctl"))
                                arg_method = METHOD_PRCTL;
                        else if (streq(optarg, "preload"))
                                arg_method = METHOD_PRELOAD;
                        else {
                                fprintf(stderr,
                                        "wolfram-merge: Invalid --method=%s: auto, prctl or preload\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case 'q':
                        arg_quiet = true;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }

        if (optind >= argc) {
                fprintf(stderr, "wolfram-merge: No command given.\n");
                help(stderr);
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_free_ char *library = NULL;
        const char *prctl_reason = NULL, *command;
        int r;

        if (argc == 2 && streq(argv[1], PROBE_ARGUMENT))
                return probe_merge_kept();

        r = parse_argv(argc, argv);
        if (r < 0)
                return EXIT_USAGE;
        if (r == 0)
                return EXIT_SUCCESS;
        command = argv[optind];

        r = -EOPNOTSUPP;
        if (arg_method != METHOD_PRELOAD) {
                r = merge_any_enable(&prctl_reason);
                if (r < 0 && arg_method == METHOD_PRCTL) {
                        fprintf(stderr, "wolfram-merge: Cannot use prctl PR_SET_MEMORY_MERGE: %s\n",
                                prctl_reason);
                        return EXIT_CANNOT_MERGE;
                }
        }
        if (r < 0) {
                r = preload_enable(&library);
                if (r < 0) {
                        if (prctl_reason)
                                fprintf(stderr,
                                        "wolfram-merge: Cannot make %s mergeable: prctl PR_SET_MEMORY_MERGE "
                                        "is %s, "
                                        "and LD_PRELOAD cannot be used\n",
                                        command, prctl_reason);
                        return EXIT_CANNOT_MERGE;
                }
        }

        if (!arg_quiet) {
                if (!library)
                        fprintf(stderr,
                                "wolfram-merge: all memory of %s is mergeable (prctl PR_SET_MEMORY_MERGE)\n",
                                command);
                else if (prctl_reason)
                        fprintf(stderr,
                                "wolfram-merge: all memory of %s is mergeable (LD_PRELOAD %s, marks "
                                "anonymous "
                                "mappings MADV_MERGEABLE; prctl PR_SET_MEMORY_MERGE is %s)\n",
                                command, library, prctl_reason);
                else
                        fprintf(stderr,
                                "wolfram-merge: all memory of %s is mergeable (LD_PRELOAD %s, marks "
                                "anonymous "
                                "mappings MADV_MERGEABLE)\n",
                                command, library);
                note_ksm_state();
        }

        (void) execvp(command, argv + optind);
        r = errno;
        fprintf(stderr, "wolfram-merge: Failed to execute %s: %s\n", command, strerror(r));
        return r == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE;
}
