/* SPDX-License-Identifier: MIT */
/*
 * wolfram-swarm: many small processes at once, for the tests and the
 * benchmark of a cycle over thousands of processes (a container host).
 *
 *   wolfram-swarm --count=N --kib=K
 *
 * It waits for "go" on stdin (so the caller can put it in a cgroup first),
 * forks N children that each fill K KiB of private anonymous memory with
 * text of their own and sleep, prints {"pids":[...]} on one line, and waits
 * for end of input; then it kills and reaps every child and exits 0. The
 * children die with it if it is killed (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void child(size_t bytes, unsigned seed, pid_t parent) {
        uint64_t x = 0x9e3779b97f4a7c15ULL * (seed + 1), *p;

        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(EXIT_FAILURE);
        p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                _exit(EXIT_FAILURE);
        /* Text-like bytes: compressible, but no page is all one byte (zram
         * would store such a page as a number, not compress it). */
        for (size_t i = 0; i < bytes / sizeof(uint64_t); i++) {
                uint64_t letters = 0;

                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                for (unsigned b = 0; b < 8; b++)
                        letters |= (uint64_t) ('a' + (x >> (8 * b)) % 26) << (8 * b);
                p[i] = letters;
        }
        for (;;)
                pause();
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "count", required_argument, NULL, 'n' },
                { "kib", required_argument, NULL, 'k' },
                {},
        };
        unsigned long count = 0, kib = 0;
        pid_t parent = getpid(), *pids;
        char line[64];
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        count = strtoul(optarg, NULL, 10);
                        break;
                case 'k':
                        kib = strtoul(optarg, NULL, 10);
                        break;
                default:
                        return 2;
                }
        if (count == 0 || count > 100000 || kib == 0 || kib > 1024 * 1024) {
                fprintf(stderr, "usage: wolfram-swarm --count=1..100000 --kib=1..1048576\n");
                return 2;
        }
        pids = calloc(count, sizeof(pid_t));
        if (!pids)
                return 1;
        if (!fgets(line, sizeof(line), stdin) || strcmp(line, "go\n") != 0)
                return 1;

        for (unsigned long i = 0; i < count; i++) {
                pids[i] = fork();
                if (pids[i] < 0) {
                        fprintf(stderr, "wolfram-swarm: fork %lu of %lu failed: %s\n", i + 1, count,
                                strerror(errno));
                        for (unsigned long j = 0; j < i; j++)
                                kill(pids[j], SIGKILL);
                        return 1;
                }
                if (pids[i] == 0)
                        child((size_t) kib * 1024, (unsigned) i, parent);
        }
        fputs("{\"pids\":[", stdout);
        for (unsigned long i = 0; i < count; i++)
                printf("%s%d", i ? "," : "", (int) pids[i]);
        fputs("]}\n", stdout);
        fflush(stdout);

        while (fgets(line, sizeof(line), stdin))
                ;
        for (unsigned long i = 0; i < count; i++)
                kill(pids[i], SIGKILL);
        for (unsigned long i = 0; i < count; i++)
                (void) waitpid(pids[i], NULL, 0);
        free(pids);
        return 0;
}
