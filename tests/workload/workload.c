/* SPDX-License-Identifier: MIT */
/*
 * wolfram-workload: holds anonymous memory with known content and a known
 * checksum, so that tests and benchmarks can page it out and prove that it
 * comes back intact. The protocol on stdin/stdout is one command and one JSON
 * line per answer; see tests/workload/workload.py.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Older headers lack these; the numbers come from the generic syscall
 * table, the same on x86_64 and aarch64. */
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif

enum content {
        CONTENT_ZEROS,
        CONTENT_RANDOM,
        CONTENT_TEXT,
        CONTENT_RECORDS, /* only as a quarter of "mixed" */
        CONTENT_MIXED,
};

static const char *const content_names[] = {
        [CONTENT_ZEROS] = "zeros",
        [CONTENT_RANDOM] = "random",
        [CONTENT_TEXT] = "text",
        [CONTENT_MIXED] = "mixed",
};

static uint8_t *region;
static size_t region_len;
static size_t page_size;
static size_t hot_len;
static unsigned hot_interval_ms = 100;
static uint64_t seed = 1;

/* splitmix64: tiny, seedable, and good enough that "random" pages do not
 * compress. */
static uint64_t rng_next(uint64_t *state) {
        uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
}

static uint64_t rotl64(uint64_t x, unsigned r) {
        return (x << r) | (x >> (64 - r));
}

#define PRIME1 0x9E3779B185EBCA87ULL
#define PRIME2 0xC2B2AE3D27D4EB4FULL
#define PRIME3 0x165667B19E3779F9ULL

static uint64_t hash_round(uint64_t acc, uint64_t input) {
        return rotl64(acc + input * PRIME2, 31) * PRIME1;
}

/* xxh64-like with four independent lanes, so that hashing gigabytes is bound
 * by memory (and swap-in), not by one multiply chain. Reading every word is
 * the point: it faults every swapped-out page back in. */
static uint64_t region_checksum(void) {
        const uint64_t *w = (const uint64_t *) region;
        size_t n = region_len / sizeof(uint64_t);
        uint64_t a = PRIME1 + PRIME2, b = PRIME2, c = 0, d = -PRIME1;

        for (size_t i = 0; i + 4 <= n; i += 4) {
                a = hash_round(a, w[i]);
                b = hash_round(b, w[i + 1]);
                c = hash_round(c, w[i + 2]);
                d = hash_round(d, w[i + 3]);
        }

        uint64_t h = rotl64(a, 1) + rotl64(b, 7) + rotl64(c, 12) + rotl64(d, 18);
        h ^= (uint64_t) region_len;
        h ^= h >> 33;
        h *= PRIME2;
        h ^= h >> 29;
        h *= PRIME3;
        h ^= h >> 32;
        return h;
}

static const char *const words[] = {
        "the",     "memory", "page",     "process", "kernel",  "swap",   "cache",  "error",
        "request", "user",   "file",     "server",  "return",  "value",  "buffer", "thread",
        "INFO",    "WARN",   "debug",    "session", "timeout", "client", "status", "ok",
        "config",  "path",   "/usr/lib", "id=",     "count",   "of",     "and",    "with",
};

/* Appends the decimal form of v at p without snprintf, which would dominate
 * the fill time of a multi-GiB region. */
static size_t format_u64(char *p, uint64_t v) {
        char tmp[20];
        size_t n = 0;

        do {
                tmp[n++] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        for (size_t i = 0; i < n; i++)
                p[i] = tmp[n - 1 - i];
        return n;
}

/* Log-like lines: compresses roughly as well as real heap strings do. */
static void fill_text(uint8_t *page, uint64_t *rng) {
        size_t pos = 0;

        while (pos < page_size) {
                char token[48];
                uint64_t r = rng_next(rng);
                const char *word = words[r % (sizeof(words) / sizeof(words[0]))];
                size_t n = strlen(word);

                memcpy(token, word, n);
                if ((r >> 8) % 4 == 0)
                        n += format_u64(token + n, (r >> 16) % ((r >> 12) % 2 ? 100000 : 100));
                token[n++] = (r >> 40) % 10 == 0 ? '\n' : ' ';

                n = n < page_size - pos ? n : page_size - pos;
                memcpy(page + pos, token, n);
                pos += n;
        }
}

/* Arrays of small structs, as a heap full of objects looks: increasing ids,
 * small enums and counts, and pointers into one nearby area. */
struct record {
        uint32_t id;
        uint16_t kind;
        uint16_t flags;
        uint64_t next;
        uint32_t refcount;
        uint32_t reserved;
        uint64_t value;
};

static void fill_records(uint8_t *page, size_t page_index, uint64_t *rng) {
        struct record *rec = (struct record *) page;
        size_t n = page_size / sizeof(struct record);
        uint64_t heap = 0x55d400000000ULL + ((seed & 0xffff) << 20);

        for (size_t i = 0; i < n; i++) {
                uint64_t r = rng_next(rng);
                uint32_t id = (uint32_t) (page_index * n + i);

                rec[i] = (struct record){
                        .id = id,
                        .kind = (uint16_t) (r % 8),
                        .flags = (uint16_t) ((r >> 8) % 3 == 0 ? 0x1 : 0x11),
                        .next = (r >> 16) % 4 == 0 ? 0 : heap + (uint64_t) (id + 1) * sizeof(struct record),
                        .refcount = (uint32_t) ((r >> 24) % 4 + 1),
                        .value = (r >> 32) % 1000,
                };
        }
}

static void fill_page(uint8_t *page, size_t page_index, enum content kind, uint64_t *rng) {
        switch (kind) {
        case CONTENT_ZEROS:
                /* Written, not left untouched: an unwritten page maps the
                 * shared zero page and could never be paged out. */
                memset(page, 0, page_size);
                break;
        case CONTENT_RANDOM:
                for (size_t i = 0; i < page_size; i += sizeof(uint64_t)) {
                        uint64_t v = rng_next(rng);
                        memcpy(page + i, &v, sizeof(v));
                }
                break;
        case CONTENT_TEXT:
                fill_text(page, rng);
                break;
        case CONTENT_RECORDS:
                fill_records(page, page_index, rng);
                break;
        case CONTENT_MIXED:
                abort();
        }
}

static void fill_region(enum content content) {
        uint64_t rng = seed;
        uint64_t rotation = 0;
        size_t pages = region_len / page_size;

        for (size_t i = 0; i < pages; i++) {
                enum content kind = content;

                /* Exactly a quarter of each kind, interleaved page by page in
                 * a seeded order, as a real heap mixes them. */
                if (content == CONTENT_MIXED) {
                        static const enum content quarters[4] = {
                                CONTENT_TEXT,
                                CONTENT_RECORDS,
                                CONTENT_RANDOM,
                                CONTENT_ZEROS,
                        };
                        if (i % 4 == 0)
                                rotation = rng_next(&rng) % 4;
                        kind = quarters[(i + rotation) % 4];
                }
                fill_page(region + i * page_size, i, kind, &rng);
        }
}

/* Keeps the hot pages referenced so that idle tracking sees them as in use.
 * Reads only: writes would change the checksum under the tests. */
static void *hot_loop(void *arg) {
        struct timespec interval = {
                .tv_sec = hot_interval_ms / 1000,
                .tv_nsec = (long) (hot_interval_ms % 1000) * 1000000L,
        };

        for (;;) {
                /* A volatile read cannot be optimized away, so no sink. */
                for (size_t off = 0; off < hot_len; off += page_size)
                        (void) *(volatile const uint64_t *) (region + off);
                (void) nanosleep(&interval, NULL);
        }
        return NULL;
}

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        /* A reader that went away means nobody is left to answer. */
        if (fflush(stdout) != 0)
                _exit(1);
}

static void cmd_status(void) {
        uint64_t swap_kib = UINT64_MAX, rss_kib = UINT64_MAX;
        FILE *f = fopen("/proc/self/status", "re");
        char line[256];

        while (f && fgets(line, sizeof(line), f)) {
                (void) sscanf(line, "VmSwap: %" SCNu64, &swap_kib);
                (void) sscanf(line, "VmRSS: %" SCNu64, &rss_kib);
        }
        if (f)
                fclose(f);
        /* Kernel threads and kernels without swap accounting lack the keys. */
        if (swap_kib == UINT64_MAX || rss_kib == UINT64_MAX)
                reply("{\"error\":\"no VmSwap or VmRSS in /proc/self/status\",\"errno\":%d}", ENODATA);
        else
                reply("{\"vm_swap_kib\":%" PRIu64 ",\"vm_rss_kib\":%" PRIu64 "}", swap_kib, rss_kib);
}

/* Goes through process_madvise() on our own pidfd, the path wolframd uses on
 * other processes, rather than plain madvise(). */
static void cmd_pageout(void) {
        size_t advised = 0;
        int fd, r = 0;

        fd = (int) syscall(SYS_pidfd_open, getpid(), 0);
        if (fd < 0) {
                r = errno;
                reply("{\"error\":\"pidfd_open: %s\",\"errno\":%d}", strerror(r), r);
                return;
        }
        while (advised < region_len) {
                struct iovec iov = {
                        .iov_base = region + advised,
                        .iov_len = region_len - advised,
                };
                ssize_t n = syscall(SYS_process_madvise, fd, &iov, 1, MADV_PAGEOUT, 0);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = errno;
                        break;
                }
                if (n == 0) /* no progress: do not spin */
                        break;
                advised += (size_t) n;
        }
        close(fd);
        if (r != 0)
                reply("{\"error\":\"process_madvise: %s\",\"errno\":%d,\"advised_bytes\":%zu}", strerror(r),
                      r, advised);
        else
                reply("{\"advised_bytes\":%zu}", advised);
}

/* Dirties every page, so a test can check that pages written after a
 * pageout are not lost or served stale from zram. */
static uint64_t cmd_write(unsigned generation) {
        uint64_t state = seed ^ ((uint64_t) generation << 32);
        uint64_t mask = rng_next(&state) | 1;

        for (size_t off = 0; off < region_len; off += page_size)
                *(uint64_t *) (region + off) ^= mask;
        return region_checksum();
}

static int parse_u64(const char *s, uint64_t max, uint64_t *ret) {
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int write_ready_file(const char *path, const char *line) {
        char tmp[4096];
        FILE *f;

        /* Created under another name and renamed, so a poller never reads a
         * half-written file. */
        if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
                return -ENAMETOOLONG;
        f = fopen(tmp, "we");
        if (!f)
                return -errno;
        fprintf(f, "%s\n", line);
        if (fclose(f) != 0 || rename(tmp, path) < 0)
                return -errno;
        return 0;
}

static void on_sigterm(int sig) {
        _exit(0);
}

static void usage(void) {
        fprintf(stderr,
                "Usage: wolfram-workload --size-mib=N [--content=zeros|random|text|mixed] [--seed=N]\n"
                "                        [--hot-percent=P] [--hot-interval-ms=MS] [--ready-file=PATH]\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "size-mib", required_argument, NULL, 's' },
                { "content", required_argument, NULL, 'c' },
                { "seed", required_argument, NULL, 'S' },
                { "hot-percent", required_argument, NULL, 'p' },
                { "hot-interval-ms", required_argument, NULL, 'i' },
                { "ready-file", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        enum content content = CONTENT_MIXED;
        uint64_t size_mib = 0, hot_percent = 0, v = 0, checksum;
        const char *ready_file = NULL;
        unsigned generation = 0;
        char line[256];
        int c, idx = 0, r = 0;

        while ((c = getopt_long(argc, argv, "h", options, &idx)) >= 0) {
                switch (c) {
                case 's':
                        r = parse_u64(optarg, SIZE_MAX >> 20, &size_mib);
                        if (size_mib == 0)
                                r = -EINVAL;
                        break;
                case 'c':
                        r = -EINVAL;
                        for (content = 0; content <= CONTENT_MIXED; content++)
                                if (content_names[content] && strcmp(content_names[content], optarg) == 0) {
                                        r = 0;
                                        break;
                                }
                        break;
                case 'S':
                        r = parse_u64(optarg, UINT64_MAX, &seed);
                        break;
                case 'p':
                        r = parse_u64(optarg, 100, &hot_percent);
                        break;
                case 'i':
                        r = parse_u64(optarg, 3600 * 1000, &v);
                        hot_interval_ms = (unsigned) v;
                        if (v == 0)
                                r = -EINVAL;
                        break;
                case 'r':
                        ready_file = optarg;
                        break;
                case 'h':
                        usage();
                        return 0;
                default:
                        usage();
                        return 1;
                }
                if (r < 0) {
                        fprintf(stderr, "Invalid --%s: %s\n", options[idx].name, optarg);
                        return 1;
                }
        }
        if (optind < argc || size_mib == 0) {
                usage();
                return 1;
        }

        if (signal(SIGTERM, on_sigterm) == SIG_ERR) {
                fprintf(stderr, "Failed to handle SIGTERM: %m\n");
                return 1;
        }

        page_size = (size_t) sysconf(_SC_PAGESIZE);
        region_len = (size_t) size_mib << 20;
        region = mmap(NULL, region_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (region == MAP_FAILED) {
                fprintf(stderr, "Failed to map %zu bytes: %m\n", region_len);
                return 1;
        }
        /* Huge pages would be paged out (split) all or nothing; the tests
         * count single pages. */
        if (madvise(region, region_len, MADV_NOHUGEPAGE) < 0)
                fprintf(stderr, "Failed to disable huge pages, ignoring: %m\n");

        fill_region(content);
        checksum = region_checksum();

        hot_len = (size_t) (region_len / page_size * hot_percent / 100) * page_size;
        if (hot_len > 0) {
                pthread_t thread;
                r = pthread_create(&thread, NULL, hot_loop, NULL);
                if (r != 0) {
                        fprintf(stderr, "Failed to start the hot thread: %s\n", strerror(r));
                        return 1;
                }
                (void) pthread_detach(thread);
        }

        snprintf(line, sizeof(line),
                 "{\"pid\":%d,\"addr\":%" PRIuPTR ",\"len\":%zu,\"checksum\":\"%016" PRIx64
                 "\",\"content\":\"%s\",\"page_size\":%zu,\"hot_len\":%zu}",
                 (int) getpid(), (uintptr_t) region, region_len, checksum, content_names[content], page_size,
                 hot_len);
        reply("%s", line);
        if (ready_file) {
                r = write_ready_file(ready_file, line);
                if (r < 0) {
                        fprintf(stderr, "Failed to write %s: %s\n", ready_file, strerror(-r));
                        return 1;
                }
        }

        while (fgets(line, sizeof(line), stdin)) {
                line[strcspn(line, "\r\n")] = '\0';

                if (strcmp(line, "verify") == 0) {
                        uint64_t now = region_checksum();
                        reply("{\"checksum\":\"%016" PRIx64 "\",\"ok\":%s}", now,
                              now == checksum ? "true" : "false");
                } else if (strcmp(line, "status") == 0)
                        cmd_status();
                else if (strcmp(line, "pageout") == 0)
                        cmd_pageout();
                else if (strcmp(line, "write") == 0) {
                        checksum = cmd_write(++generation);
                        reply("{\"checksum\":\"%016" PRIx64 "\"}", checksum);
                } else if (strcmp(line, "exit") == 0)
                        break;
                else if (line[0] != '\0')
                        reply("{\"error\":\"unknown command\"}");
        }
        return 0;
}
