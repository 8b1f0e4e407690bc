/* SPDX-License-Identifier: MIT */
/*
 * wolfram-workload: holds anonymous memory with known content and a known
 * checksum, so that tests and benchmarks can page it out and prove that it
 * comes back intact. The protocol on stdin/stdout is one command and one JSON
 * line per answer; see tests/workload/workload.py.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
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

/* A contiguous stretch of the data pages. */
struct span {
        uint8_t *addr;
        size_t len;
};

/* region/region_len is the whole mapping, guard page included; the data
 * pages are parts[0] followed by parts[1] in checksum and fill order, so that
 * a seed gives the same content and checksum with or without a guard. */
static uint8_t *region;
static size_t region_len;
static size_t data_len;
static struct span parts[2];
static size_t n_parts;
static size_t page_size;
static uint64_t seed = 1;

/* The hot thread reads runs of hot_run_bytes every hot_period_bytes in the
 * first hot_extent bytes of region: one run for "block", every other run for
 * "interleave". hot_len counts the hot bytes. */
static size_t hot_len, hot_extent, hot_run_bytes, hot_period_bytes;
static unsigned hot_interval_ms = 100;

#define PASS_RING 4096
#define SAMPLE_RESERVOIR 65536
#define SAMPLE_EVERY_PAGES 64

/* What the hot thread measured. One lock for all: the hot thread takes it
 * once per sampled page and once per pass, which costs nothing next to the
 * 63 untimed page reads in between. */
static struct {
        pthread_mutex_t lock;
        pthread_cond_t first_pass_done;
        uint64_t passes;
        uint64_t majflt; /* since the end of the first pass */
        uint64_t pass_page_ns[PASS_RING];
        uint64_t samples_seen;
        uint64_t sample_ns[SAMPLE_RESERVOIR];
} hot = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .first_pass_done = PTHREAD_COND_INITIALIZER,
};

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
 * the point: it faults every swapped-out page back in. The parts are whole
 * pages, so the lanes carry on across the guard as if it were not there. */
static uint64_t region_checksum(void) {
        uint64_t a = PRIME1 + PRIME2, b = PRIME2, c = 0, d = -PRIME1;

        for (size_t p = 0; p < n_parts; p++) {
                const uint64_t *w = (const uint64_t *) parts[p].addr;
                size_t n = parts[p].len / sizeof(uint64_t);

                for (size_t i = 0; i + 4 <= n; i += 4) {
                        a = hash_round(a, w[i]);
                        b = hash_round(b, w[i + 1]);
                        c = hash_round(c, w[i + 2]);
                        d = hash_round(d, w[i + 3]);
                }
        }

        uint64_t h = rotl64(a, 1) + rotl64(b, 7) + rotl64(c, 12) + rotl64(d, 18);
        h ^= (uint64_t) data_len;
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
        size_t i = 0;

        for (size_t p = 0; p < n_parts; p++)
                for (size_t off = 0; off < parts[p].len; off += page_size, i++) {
                        enum content kind = content;

                        /* Exactly a quarter of each kind, interleaved page by
                         * page in a seeded order, as a real heap mixes them. */
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
                        fill_page(parts[p].addr + off, i, kind, &rng);
                }
}

static uint64_t now_ns(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/* Algorithm R: every access the thread ever sampled has the same chance to be
 * in the reservoir, so a fault storm long ago still shows in p99.9 in
 * proportion to how long it lasted. */
static void hot_record_sample(uint64_t ns, uint64_t *rng) {
        pthread_mutex_lock(&hot.lock);
        uint64_t slot = hot.samples_seen < SAMPLE_RESERVOIR ? hot.samples_seen
                                                            : rng_next(rng) % (hot.samples_seen + 1);
        if (slot < SAMPLE_RESERVOIR)
                hot.sample_ns[slot] = ns;
        hot.samples_seen++;
        pthread_mutex_unlock(&hot.lock);
}

/* Reads one word of each hot page and returns how many pages it read. */
static uint64_t hot_pass(uint64_t *rng) {
        uint64_t pages = 0;

        for (size_t run = 0; run < hot_extent; run += hot_period_bytes) {
                size_t run_end = hot_extent - run > hot_run_bytes ? run + hot_run_bytes : hot_extent;

                for (size_t off = run; off < run_end; off += page_size, pages++) {
                        const volatile uint64_t *p = (const volatile uint64_t *) (region + off);

                        /* A volatile read cannot be optimized away, so no
                         * sink. Timing every page would double the cost of
                         * a pass; every 64th is plenty for percentiles. */
                        if (pages % SAMPLE_EVERY_PAGES != 0) {
                                (void) *p;
                                continue;
                        }
                        uint64_t start = now_ns();
                        (void) *p;
                        hot_record_sample(now_ns() - start, rng);
                }
        }
        return pages;
}

/* Keeps the hot pages referenced so that idle tracking sees them as in use,
 * and measures what a pageout of them costs the application: its own major
 * faults (RUSAGE_THREAD, so the main thread's verify does not count) and how
 * long each access takes. Reads only: writes would change the checksum under
 * the tests. */
static void *hot_loop(void *arg) {
        uint64_t rng = seed ^ 0x686f74ULL, majflt_base = 0, next = now_ns();

        for (;;) {
                uint64_t start = now_ns();
                uint64_t pages = hot_pass(&rng);
                uint64_t pass_ns = now_ns() - start;
                struct rusage ru = {};

                (void) getrusage(RUSAGE_THREAD, &ru);
                pthread_mutex_lock(&hot.lock);
                if (hot.passes == 0)
                        majflt_base = (uint64_t) ru.ru_majflt;
                hot.majflt = (uint64_t) ru.ru_majflt - majflt_base;
                hot.pass_page_ns[hot.passes % PASS_RING] = pass_ns / (pages ? pages : 1);
                if (hot.passes++ == 0)
                        pthread_cond_broadcast(&hot.first_pass_done);
                pthread_mutex_unlock(&hot.lock);

                /* A fixed period rather than a fixed pause, so that the scan
                 * interval a test picks relates to the access interval. A
                 * pass that overran starts the next at once, without trying
                 * to catch up on the ones it missed. */
                next += (uint64_t) hot_interval_ms * 1000000ULL;
                start = now_ns();
                next = next > start ? next : start;
                struct timespec ts = { (time_t) (next / 1000000000ULL), (long) (next % 1000000000ULL) };
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                        ;
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
        if (swap_kib == UINT64_MAX || rss_kib == UINT64_MAX) {
                reply("{\"error\":\"no VmSwap or VmRSS in /proc/self/status\",\"errno\":%d}", ENODATA);
                return;
        }
        pthread_mutex_lock(&hot.lock);
        uint64_t majflt = hot.majflt;
        pthread_mutex_unlock(&hot.lock);
        reply("{\"vm_swap_kib\":%" PRIu64 ",\"vm_rss_kib\":%" PRIu64 ",\"hot_majflt\":%" PRIu64 "}",
              swap_kib, rss_kib, majflt);
}

static int compare_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample that at least per_mille/1000 of all are
 * not above. */
static uint64_t percentile(const uint64_t *sorted, size_t n, unsigned per_mille) {
        return n == 0 ? 0 : sorted[(n * per_mille + 999) / 1000 - 1];
}

static void cmd_faults(void) {
        /* Static: half a MiB is more than a thread stack should carry. */
        static uint64_t samples[SAMPLE_RESERVOIR], pass_ns[PASS_RING];
        uint64_t majflt, passes;
        size_t n_samples, n_passes;

        /* Copied under the lock and sorted outside it, so the hot thread
         * never waits for a sort. */
        pthread_mutex_lock(&hot.lock);
        majflt = hot.majflt;
        passes = hot.passes;
        n_samples = hot.samples_seen < SAMPLE_RESERVOIR ? hot.samples_seen : SAMPLE_RESERVOIR;
        n_passes = passes < PASS_RING ? passes : PASS_RING;
        memcpy(samples, hot.sample_ns, n_samples * sizeof(uint64_t));
        memcpy(pass_ns, hot.pass_page_ns, n_passes * sizeof(uint64_t));
        pthread_mutex_unlock(&hot.lock);

        qsort(samples, n_samples, sizeof(uint64_t), compare_u64);
        qsort(pass_ns, n_passes, sizeof(uint64_t), compare_u64);
        reply("{\"hot_majflt\":%" PRIu64 ",\"hot_passes\":%" PRIu64 ",\"samples\":%zu,\"p50_ns\":%" PRIu64
              ",\"p99_ns\":%" PRIu64 ",\"p999_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64
              ",\"pass_page_p50_ns\":%" PRIu64 ",\"pass_page_max_ns\":%" PRIu64 "}",
              majflt, passes, n_samples, percentile(samples, n_samples, 500),
              percentile(samples, n_samples, 990), percentile(samples, n_samples, 999),
              n_samples ? samples[n_samples - 1] : 0, percentile(pass_ns, n_passes, 500),
              n_passes ? pass_ns[n_passes - 1] : 0);
}

/* Goes through process_madvise() on our own pidfd, the path wolframd uses on
 * other processes, rather than plain madvise(). Part by part, so the guard
 * page is never in the advised range. */
static void cmd_pageout(void) {
        size_t advised = 0;
        int fd, r = 0;

        fd = (int) syscall(SYS_pidfd_open, getpid(), 0);
        if (fd < 0) {
                r = errno;
                reply("{\"error\":\"pidfd_open: %s\",\"errno\":%d}", strerror(r), r);
                return;
        }
        for (size_t p = 0, done = 0; p < n_parts && r == 0; p++, done = 0)
                while (done < parts[p].len) {
                        struct iovec iov = { parts[p].addr + done, parts[p].len - done };
                        ssize_t n = syscall(SYS_process_madvise, fd, &iov, 1, MADV_PAGEOUT, 0);

                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0) { /* an error, or no progress: do not spin */
                                r = n < 0 ? errno : 0;
                                break;
                        }
                        done += (size_t) n;
                        advised += (size_t) n;
                }
        close(fd);
        if (r != 0)
                reply("{\"error\":\"process_madvise: %s\",\"errno\":%d,\"advised_bytes\":%zu}", strerror(r),
                      r, advised);
        else
                reply("{\"advised_bytes\":%zu}", advised);
}

/* Where each page is now, hot and cold apart, from our own pagemap: lets
 * a test without Python (the qemu VM) check that only idle pages went to
 * swap. */
static void cmd_residency(void) {
        uint64_t count[2][3] = {}; /* [hot][present, swapped, other] */
        int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

        if (fd < 0) {
                reply("{\"error\":\"/proc/self/pagemap: %s\",\"errno\":%d}", strerror(errno), errno);
                return;
        }
        for (size_t p = 0; p < n_parts; p++)
                for (size_t off = 0; off < parts[p].len; off += page_size) {
                        uint8_t *addr = (uint8_t *) parts[p].addr + off;
                        size_t region_off = (size_t) (addr - region);
                        bool is_hot =
                                region_off < hot_extent && region_off % hot_period_bytes < hot_run_bytes;
                        uint64_t e = 0;

                        if (pread(fd, &e, sizeof(e), (off_t) ((uintptr_t) addr / page_size * sizeof(e))) !=
                            (ssize_t) sizeof(e))
                                e = 0;
                        count[is_hot][(e >> 63) & 1 ? 0 : (e >> 62) & 1 ? 1 : 2]++;
                }
        close(fd);
        reply("{\"hot_present\":%" PRIu64 ",\"hot_swapped\":%" PRIu64 ",\"hot_other\":%" PRIu64
              ",\"cold_present\":%" PRIu64 ",\"cold_swapped\":%" PRIu64 ",\"cold_other\":%" PRIu64 "}",
              count[1][0], count[1][1], count[1][2], count[0][0], count[0][1], count[0][2]);
}

/* Dirties every page, so a test can check that pages written after a
 * pageout are not lost or served stale from zram. */
static uint64_t cmd_write(unsigned generation) {
        /* The pid makes each process's new content its own: identical workloads
         * written alike would be merged again by KSM. */
        uint64_t state = seed ^ ((uint64_t) generation << 32) ^ ((uint64_t) getpid() << 12);
        uint64_t mask = rng_next(&state) | 1;

        for (size_t p = 0; p < n_parts; p++)
                for (size_t off = 0; off < parts[p].len; off += page_size)
                        *(uint64_t *) (parts[p].addr + off) ^= mask;
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
                "                        [--hot-percent=P] [--hot-pattern=block|interleave] "
                "[--hot-run-kib=N]\n"
                "                        [--hot-interval-ms=MS] [--ready-file=PATH]\n");
}

/* Lays out the mapping. "block": the first hot_percent of the pages are hot
 * and, when there are both hot and cold pages, a PROT_NONE guard page splits
 * them into two VMAs, because adjacent anonymous mappings would merge and
 * smaps could not tell them apart. "interleave": one VMA of alternating hot
 * and cold runs, to check that idle tracking works page by page. */
static int map_region(uint64_t size_mib, uint64_t hot_percent, bool interleave, uint64_t hot_run_kib) {
        size_t guard_len = 0;

        page_size = (size_t) sysconf(_SC_PAGESIZE);
        data_len = (size_t) size_mib << 20;
        if (interleave) {
                hot_run_bytes = (size_t) hot_run_kib << 10;
                if (hot_run_bytes % page_size != 0 || hot_run_bytes > data_len / 2) {
                        fprintf(stderr,
                                "Invalid --hot-run-kib: %" PRIu64 " (whole pages, half the size at most)\n",
                                hot_run_kib);
                        return -EINVAL;
                }
                hot_period_bytes = 2 * hot_run_bytes;
                for (size_t off = 0; off < data_len; off += hot_period_bytes)
                        hot_len += data_len - off < hot_run_bytes ? data_len - off : hot_run_bytes;
        } else {
                hot_len = (size_t) (data_len / page_size * hot_percent / 100) * page_size;
                hot_run_bytes = hot_period_bytes = hot_len;
                if (hot_len > 0 && hot_len < data_len)
                        guard_len = page_size;
        }

        /* Inaccessible fence pages on both sides: glibc maps thread stacks
         * right next to the last mapping, and a neighbour merged into the
         * region would spoil its figures in smaps. */
        region_len = data_len + guard_len;
        region = mmap(NULL, region_len + 2 * page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (region == MAP_FAILED) {
                fprintf(stderr, "Failed to map %zu bytes: %m\n", region_len);
                return -ENOMEM;
        }
        region += page_size;
        /* Huge pages would be paged out (split) all or nothing; the tests
         * count single pages, and interleaved runs are smaller than one. */
        if (madvise(region, region_len, MADV_NOHUGEPAGE) < 0)
                fprintf(stderr, "Failed to disable huge pages, ignoring: %m\n");

        hot_extent = interleave ? data_len : hot_len;
        n_parts = guard_len > 0 ? 2 : 1;
        parts[0] = (struct span){ region, guard_len > 0 ? hot_len : data_len };
        parts[1] = (struct span){ region + hot_len + guard_len, data_len - hot_len };
        /* The guard between the parts stays inaccessible and splits them. */
        for (size_t p = 0; p < n_parts; p++)
                if (mprotect(parts[p].addr, parts[p].len, PROT_READ | PROT_WRITE) < 0) {
                        fprintf(stderr, "Failed to make %zu bytes at %p writable: %m\n", parts[p].len,
                                parts[p].addr);
                        return -ENOMEM;
                }
        return 0;
}

/* The first line; see workload.py for what the fields mean. Interleaved hot
 * and cold pages are no ranges, so their addresses are null there. */
static void format_ready_line(char *buf, size_t size, uint64_t checksum, enum content content,
                              bool interleave) {
        char hot_addr[24] = "null", cold_addr[24] = "null", hot_runs[96] = "null";

        if (interleave)
                snprintf(hot_runs, sizeof(hot_runs),
                         "{\"addr\":%" PRIuPTR ",\"run_bytes\":%zu,\"runs\":%zu}", (uintptr_t) region,
                         hot_run_bytes, (data_len + hot_run_bytes - 1) / hot_run_bytes);
        else {
                /* The cold part follows the hot one, past the guard if any. */
                snprintf(hot_addr, sizeof(hot_addr), "%" PRIuPTR, (uintptr_t) region);
                snprintf(cold_addr, sizeof(cold_addr), "%" PRIuPTR,
                         (uintptr_t) (region + region_len - (data_len - hot_len)));
        }
        snprintf(buf, size,
                 "{\"pid\":%d,\"addr\":%" PRIuPTR ",\"len\":%zu,\"checksum\":\"%016" PRIx64
                 "\",\"content\":\"%s\","
                 "\"page_size\":%zu,\"hot_pattern\":\"%s\",\"hot_len\":%zu,\"hot_addr\":%s,\"cold_addr\":%s,"
                 "\"cold_len\":%zu,\"hot_runs\":%s}",
                 (int) getpid(), (uintptr_t) region, region_len, checksum, content_names[content], page_size,
                 interleave ? "interleave" : "block", hot_len, hot_addr, cold_addr, data_len - hot_len,
                 hot_runs);
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "size-mib", required_argument, NULL, 's' },
                { "content", required_argument, NULL, 'c' },
                { "seed", required_argument, NULL, 'S' },
                { "hot-percent", required_argument, NULL, 'p' },
                { "hot-pattern", required_argument, NULL, 'P' },
                { "hot-run-kib", required_argument, NULL, 'R' },
                { "hot-interval-ms", required_argument, NULL, 'i' },
                { "ready-file", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        enum content content = CONTENT_MIXED;
        uint64_t size_mib = 0, hot_percent = 0, hot_run_kib = 64, v = 0, checksum;
        const char *ready_file = NULL;
        bool interleave = false;
        unsigned generation = 0;
        char line[1024];
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
                case 'P':
                        interleave = strcmp(optarg, "interleave") == 0;
                        if (!interleave && strcmp(optarg, "block") != 0)
                                r = -EINVAL;
                        break;
                case 'R':
                        r = parse_u64(optarg, SIZE_MAX >> 11, &hot_run_kib);
                        if (hot_run_kib == 0)
                                r = -EINVAL;
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

        if (map_region(size_mib, hot_percent, interleave, hot_run_kib) < 0)
                return 1;
        fill_region(content);
        checksum = region_checksum();

        if (hot_len > 0) {
                pthread_t thread;
                r = pthread_create(&thread, NULL, hot_loop, NULL);
                if (r != 0) {
                        fprintf(stderr, "Failed to start the hot thread: %s\n", strerror(r));
                        return 1;
                }
                (void) pthread_detach(thread);
                /* Ready only once the hot pages have been read and the fault
                 * baseline taken: a test that pages them out right after the
                 * first line must see every refault counted. */
                pthread_mutex_lock(&hot.lock);
                while (hot.passes == 0)
                        pthread_cond_wait(&hot.first_pass_done, &hot.lock);
                pthread_mutex_unlock(&hot.lock);
        }

        format_ready_line(line, sizeof(line), checksum, content, interleave);
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
                else if (strcmp(line, "residency") == 0)
                        cmd_residency();
                else if (strcmp(line, "faults") == 0)
                        cmd_faults();
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
