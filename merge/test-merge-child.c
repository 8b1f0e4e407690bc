/* SPDX-License-Identifier: MIT */
/*
 * The command the wolfram-merge tests start: it makes memory one way and
 * exits 0 when /proc/self/smaps shows that memory the way the test expects
 * (the "mg" VmFlag: VM_MERGEABLE, KSM may scan it). Needs no root and does
 * not need KSM to run: the flag is set whether the scanner runs or not.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/macro.h"

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#endif
#ifndef PR_GET_MEMORY_MERGE
#define PR_GET_MEMORY_MERGE 68
#endif

#if defined(__x86_64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_AARCH64
#endif

#define MIB ((size_t) 1 << 20)

/* Whether the mapping holding addr has VM_MERGEABLE; negative errno if no
 * mapping holds it. */
static int mapping_is_mergeable(void *addr) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[4096];
        bool inside = false;

        f = fopen("/proc/self/smaps", "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                unsigned long start, end;

                if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' ')) {
                        inside = (uintptr_t) addr >= start && (uintptr_t) addr < end;
                        continue;
                }
                if (inside && strncmp(line, "VmFlags:", 8) == 0)
                        return strstr(line, " mg") != NULL;
        }
        return -ENOENT;
}

/* addr is not const: GCC would take it for a read of *addr. */
static int expect_mergeable(const char *what, void *addr, bool expected) {
        int r = mapping_is_mergeable(addr);

        if (r < 0) {
                fprintf(stderr, "%s at %p: no mapping found: %s\n", what, addr, strerror(-r));
                return EXIT_FAILURE;
        }
        if (r != expected) {
                fprintf(stderr, "%s at %p is %smergeable, expected the opposite\n", what, addr,
                        r ? "" : "not ");
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}

static void *map_anonymous(void) {
        void *p = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
                perror("mmap");
                exit(EXIT_FAILURE);
        }
        return p;
}

/* Small allocations until the brk heap has grown by more than it had. */
static void *grow_brk_heap(void) {
        uintptr_t start = (uintptr_t) sbrk(0);
        void *p = NULL;

        while ((uintptr_t) sbrk(0) < start + 8 * MIB) {
                p = malloc(1000);
                if (!p) {
                        perror("malloc");
                        exit(EXIT_FAILURE);
                }
                memset(p, 1, 1000);
        }
        return p;
}

static void *thread_allocate(void *arg) {
        void *p = malloc(1000);

        if (p)
                memset(p, 1, 1000);
        return p;
}

static int run(const char *mode) {
        if (streq(mode, "merge-any"))
                /* PR_SET_MEMORY_MERGE came through exec. */
                return prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0) == 1 ? EXIT_SUCCESS : EXIT_FAILURE;
        if (streq(mode, "no-merge-any"))
                return prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0) == 1 ? EXIT_FAILURE : EXIT_SUCCESS;
        if (streq(mode, "mmap"))
                return expect_mergeable("mmap", map_anonymous(), true);
        if (streq(mode, "mmap-unmarked"))
                return expect_mergeable("mmap", map_anonymous(), false);
        if (streq(mode, "file-unmarked")) {
                /* Private file mappings are no anonymous memory. */
                _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
                void *p;

                if (fd < 0) {
                        perror("open /proc/self/exe");
                        return EXIT_FAILURE;
                }
                p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
                if (p == MAP_FAILED) {
                        perror("mmap /proc/self/exe");
                        return EXIT_FAILURE;
                }
                return expect_mergeable("file mapping", p, false);
        }
        if (streq(mode, "malloc-mmapped")) {
                /* Above M_MMAP_THRESHOLD: a mapping glibc makes itself. */
                void *p = malloc(64 * MIB);
                return p ? expect_mergeable("malloc(64 MiB)", p, true) : EXIT_FAILURE;
        }
        if (streq(mode, "malloc-aligned")) {
                void *p = NULL;
                if (posix_memalign(&p, 64 * 1024, 64 * MIB) != 0)
                        return EXIT_FAILURE;
                return expect_mergeable("posix_memalign(64 KiB, 64 MiB)", p, true);
        }
        if (streq(mode, "brk-heap"))
                return expect_mergeable("brk heap", grow_brk_heap(), true);
        if (streq(mode, "thread-arena")) {
                pthread_t thread;
                void *p;

                if (pthread_create(&thread, NULL, thread_allocate, NULL) != 0 ||
                    pthread_join(thread, &p) != 0 || !p)
                        return EXIT_FAILURE;
                return expect_mergeable("thread arena", p, true);
        }
        if (streq(mode, "neighbour")) {
                /* test-merge-neighbour.so saw the calls before or after us. */
                unsigned (*mmap_calls)(void) =
                        (unsigned (*)(void)) dlsym(RTLD_DEFAULT, "neighbour_mmap_calls");
                unsigned (*malloc_calls)(void) =
                        (unsigned (*)(void)) dlsym(RTLD_DEFAULT, "neighbour_malloc_calls");
                void *m, *p;

                if (!mmap_calls || !malloc_calls) {
                        fprintf(stderr, "test-merge-neighbour.so is not loaded\n");
                        return EXIT_FAILURE;
                }
                m = map_anonymous();
                p = malloc(64 * MIB);
                if (!p)
                        return EXIT_FAILURE;
                if (mmap_calls() == 0 || malloc_calls() == 0) {
                        fprintf(stderr, "test-merge-neighbour.so saw %u mmap and %u malloc calls\n",
                                mmap_calls(), malloc_calls());
                        return EXIT_FAILURE;
                }
                if (expect_mergeable("mmap", m, true) != EXIT_SUCCESS)
                        return EXIT_FAILURE;
                return expect_mergeable("malloc(64 MiB)", p, true);
        }
        fprintf(stderr, "Unknown mode: %s\n", mode);
        return EXIT_FAILURE;
}

/* Makes prctl(PR_SET_MEMORY_MERGE) fail with EINVAL, as on a kernel before
 * 6.4, for this process and what it executes. */
static int deny_memory_merge(void) {
#ifdef AUDIT_ARCH_NATIVE
        struct sock_filter filter[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_NATIVE, 0, 5),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_prctl, 0, 3),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_MEMORY_MERGE, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog program = { .len = ELEMENTSOF(filter), .filter = filter };

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) < 0)
                return -errno;
        return 0;
#else
        return -EOPNOTSUPP;
#endif
}

int main(int argc, char *argv[]) {
        if (argc >= 3 && streq(argv[1], "without-prctl-merge")) {
                int r = deny_memory_merge();
                if (r < 0) {
                        fprintf(stderr, "Failed to filter prctl(PR_SET_MEMORY_MERGE): %s\n", strerror(-r));
                        return EXIT_FAILURE;
                }
                execvp(argv[2], argv + 2);
                fprintf(stderr, "Failed to execute %s: %m\n", argv[2]);
                return EXIT_FAILURE;
        }
        if (argc == 3 && streq(argv[1], "expect-preload")) {
                const char *v = getenv("LD_PRELOAD");
                if (!streq(strempty(v), argv[2])) {
                        fprintf(stderr, "LD_PRELOAD is \"%s\", expected \"%s\"\n", strempty(v), argv[2]);
                        return EXIT_FAILURE;
                }
                return EXIT_SUCCESS;
        }
        if (argc != 2) {
                fprintf(stderr, "Usage: %s MODE | expect-preload LIST | without-prctl-merge COMMAND...\n",
                        argv[0]);
                return EXIT_FAILURE;
        }
        return run(argv[1]);
}
