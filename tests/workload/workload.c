/* SPDX-License-Identifier: MIT */
/*
 * wolfram-workload: holds anonymous memory with known content and a known
 * checksum, so that tests and benchmarks can page it out and prove that it
 * comes back intact. It is both the integration tests' workload and the
 * benchmark's workload generator (issue 8): --regions splits the memory
 * into separate mappings, --content=realistic fills it from files on the
 * machine, and "report" gives hot-access latency, hot and cold major faults
 * and a checksum verification as one JSON line.
 *
 * The protocol on stdin/stdout is one command and one JSON line per answer;
 * see tests/workload/workload.py. Two processes started with the same
 * --content, --seed, --size-mib and --regions (and, for "realistic", on the
 * same machine) hold byte-identical memory, which the KSM tests rely on;
 * only "write" makes each its own.
 *
 * Cold major faults are counted by the main thread, with
 * getrusage(RUSAGE_THREAD) before and after each cold stretch it reads
 * (verify, report and write read every page): right after a pageout, that is
 * how many cold pages had been paged out. Hot major faults and latency come
 * from the hot thread; see workload-hot.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "workload.h"

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

struct mapping *mappings;
size_t n_mappings;
size_t page_size;
uint64_t seed = 1;

/* The data pages of all mappings, guards not included. */
static size_t data_bytes;

/* The measuring window of "report": major faults the main thread took in
 * cold pages, and when the window started. */
static uint64_t cold_majflt_window;
static uint64_t window_start_ns;

/* Calls visit() on every data page of every mapping, in fill order, in
 * stretches whose pages are all hot or all cold, and adds the major faults
 * this thread takes in the cold ones to *cold_majflt. */
static void memory_walk(void (*visit)(uint8_t *addr, size_t len, void *userdata), void *userdata,
                        uint64_t *cold_majflt) {
        for (size_t i = 0; i < n_mappings; i++) {
                const struct mapping *m = &mappings[i];

                for (size_t p = 0; p < m->n_parts; p++) {
                        size_t off = (size_t) (m->parts[p].addr - m->base), end = off + m->parts[p].len;

                        while (off < end) {
                                size_t stretch_end;
                                bool is_hot = mapping_stretch_is_hot(m, off, &stretch_end);
                                uint64_t majflt = is_hot ? 0 : thread_major_faults();

                                stretch_end = stretch_end < end ? stretch_end : end;
                                visit(m->base + off, stretch_end - off, userdata);
                                if (!is_hot)
                                        *cold_majflt += thread_major_faults() - majflt;
                                off = stretch_end;
                        }
                }
        }
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
 * the point: it faults every swapped-out page back in. Stretches are whole
 * pages, so the lanes carry on across them as if there were one. */
static void hash_stretch(uint8_t *addr, size_t len, void *userdata) {
        uint64_t *lane = userdata;
        const uint64_t *w = (const uint64_t *) addr;
        size_t n = len / sizeof(uint64_t);

        for (size_t i = 0; i + 4 <= n; i += 4) {
                lane[0] = hash_round(lane[0], w[i]);
                lane[1] = hash_round(lane[1], w[i + 1]);
                lane[2] = hash_round(lane[2], w[i + 2]);
                lane[3] = hash_round(lane[3], w[i + 3]);
        }
}

static uint64_t memory_checksum(uint64_t *cold_majflt) {
        uint64_t lane[4] = { PRIME1 + PRIME2, PRIME2, 0, -PRIME1 };

        memory_walk(hash_stretch, lane, cold_majflt);

        uint64_t h = rotl64(lane[0], 1) + rotl64(lane[1], 7) + rotl64(lane[2], 12) + rotl64(lane[3], 18);
        h ^= (uint64_t) data_bytes;
        h ^= h >> 33;
        h *= PRIME2;
        h ^= h >> 29;
        h *= PRIME3;
        h ^= h >> 32;
        return h;
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

static int read_own_rss_swap_kib(uint64_t *ret_rss_kib, uint64_t *ret_swap_kib) {
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
                return -ENODATA;
        }
        *ret_rss_kib = rss_kib;
        *ret_swap_kib = swap_kib;
        return 0;
}

static void cmd_status(void) {
        uint64_t swap_kib, rss_kib;

        if (read_own_rss_swap_kib(&rss_kib, &swap_kib) < 0)
                return;
        reply("{\"vm_swap_kib\":%" PRIu64 ",\"vm_rss_kib\":%" PRIu64 ",\"hot_majflt\":%" PRIu64 "}",
              swap_kib, rss_kib, hot_lifetime_major_faults());
}

static void cmd_faults(void) {
        struct hot_figures f;

        hot_lifetime_figures(&f);
        reply("{\"hot_majflt\":%" PRIu64 ",\"hot_passes\":%" PRIu64 ",\"samples\":%" PRIu64
              ",\"p50_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64 ",\"p999_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64
              ",\"pass_page_p50_ns\":%" PRIu64 ",\"pass_page_max_ns\":%" PRIu64 "}",
              f.majflt, f.passes, f.samples, f.p50_ns, f.p99_ns, f.p999_ns, f.max_ns, f.pass_page_p50_ns,
              f.pass_page_max_ns);
}

/* The benchmark's figures over the window since the start or the last
 * reset-stats. The hot figures and the RSS are taken before the
 * verification reads every page, which would fault back whatever was paged
 * out; its faults in cold pages are what cold_major_faults adds. */
static void cmd_report(enum content content, uint64_t checksum) {
        struct hot_figures f;
        uint64_t rss_kib, swap_kib, window_ms = (now_ns() - window_start_ns) / 1000000;

        hot_window_figures(&f);
        if (read_own_rss_swap_kib(&rss_kib, &swap_kib) < 0)
                return;
        uint64_t now = memory_checksum(&cold_majflt_window);
        reply("{\"hot_latency_ns\":{\"p50\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"p999\":%" PRIu64
              ",\"max\":%" PRIu64 ",\"samples\":%" PRIu64 "},\"hot_major_faults\":%" PRIu64
              ",\"hot_passes\":%" PRIu64 ",\"cold_major_faults\":%" PRIu64
              ",\"checksum_ok\":%s,\"checksum\":\"%016" PRIx64 "\",\"size_bytes\":%zu,\"regions\":%zu"
              ",\"content\":\"%s\",\"rss_bytes\":%" PRIu64 ",\"swap_bytes\":%" PRIu64
              ",\"window_ms\":%" PRIu64 "}",
              f.p50_ns, f.p99_ns, f.p999_ns, f.max_ns, f.samples, f.majflt, f.passes, cold_majflt_window,
              now == checksum ? "true" : "false", now, data_bytes, n_mappings, content_name(content),
              rss_kib * 1024, swap_kib * 1024, window_ms);
}

static void cmd_reset_stats(void) {
        hot_reset_window();
        cold_majflt_window = 0;
        window_start_ns = now_ns();
        reply("{\"reset\":true}");
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
        for (size_t i = 0; i < n_mappings && r == 0; i++)
                for (size_t p = 0, done = 0; p < mappings[i].n_parts && r == 0; p++, done = 0) {
                        const struct span *part = &mappings[i].parts[p];

                        while (done < part->len) {
                                struct iovec iov = { part->addr + done, part->len - done };
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
        for (size_t i = 0; i < n_mappings; i++)
                for (size_t p = 0; p < mappings[i].n_parts; p++) {
                        const struct span *part = &mappings[i].parts[p];

                        for (size_t off = 0; off < part->len; off += page_size) {
                                uint8_t *addr = part->addr + off;
                                size_t end;
                                bool is_hot = mapping_stretch_is_hot(
                                        &mappings[i], (size_t) (addr - mappings[i].base), &end);
                                uint64_t e = 0;

                                if (pread(fd, &e, sizeof(e),
                                          (off_t) ((uintptr_t) addr / page_size * sizeof(e))) !=
                                    (ssize_t) sizeof(e))
                                        e = 0;
                                count[is_hot][(e >> 63) & 1 ? 0 : (e >> 62) & 1 ? 1 : 2]++;
                        }
                }
        close(fd);
        reply("{\"hot_present\":%" PRIu64 ",\"hot_swapped\":%" PRIu64 ",\"hot_other\":%" PRIu64
              ",\"cold_present\":%" PRIu64 ",\"cold_swapped\":%" PRIu64 ",\"cold_other\":%" PRIu64 "}",
              count[1][0], count[1][1], count[1][2], count[0][0], count[0][1], count[0][2]);
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* The latency of single faults: reads one byte of up to PROBE_PAGES pages
 * spread evenly over the memory (far enough apart that swap readahead
 * brings none of them in with another) and times each read of a page that
 * pagemap showed swapped out, one by one. What the pool's tier costs a
 * page (lz4, a recompressed page, one on the backing device) without a
 * stream of faults around it. */
#define PROBE_PAGES 256
static void cmd_probe(void) {
        uint64_t lat[PROBE_PAGES], total = 0, probed = 0, n = 0, sum = 0;
        int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

        if (fd < 0) {
                reply("{\"error\":\"/proc/self/pagemap: %s\",\"errno\":%d}", strerror(errno), errno);
                return;
        }
        for (size_t i = 0; i < n_mappings; i++)
                for (size_t p = 0; p < mappings[i].n_parts; p++)
                        total += mappings[i].parts[p].len / page_size;
        uint64_t stride = total > PROBE_PAGES ? total / PROBE_PAGES : 1, k = 0;
        for (size_t i = 0; i < n_mappings; i++)
                for (size_t p = 0; p < mappings[i].n_parts; p++) {
                        const struct span *part = &mappings[i].parts[p];

                        for (size_t off = 0; off < part->len; off += page_size, k++) {
                                volatile uint8_t *addr = part->addr + off;
                                uint64_t e = 0, t0;

                                if (k % stride != 0 || probed == PROBE_PAGES)
                                        continue;
                                probed++;
                                if (pread(fd, &e, sizeof(e),
                                          (off_t) ((uintptr_t) addr / page_size * sizeof(e))) !=
                                            (ssize_t) sizeof(e) ||
                                    !((e >> 62) & 1))
                                        continue;
                                t0 = now_ns();
                                (void) *addr;
                                lat[n] = now_ns() - t0;
                                sum += lat[n++];
                        }
                }
        close(fd);
        qsort(lat, n, sizeof(lat[0]), cmp_u64);
        reply("{\"probed\":%" PRIu64 ",\"swapped\":%" PRIu64 ",\"p50_ns\":%" PRIu64 ",\"p90_ns\":%" PRIu64
              ",\"max_ns\":%" PRIu64 ",\"mean_ns\":%" PRIu64 "}",
              probed, n, n ? lat[n / 2] : 0, n ? lat[n * 9 / 10] : 0, n ? lat[n - 1] : 0, n ? sum / n : 0);
}

static void xor_first_word_of_pages(uint8_t *addr, size_t len, void *userdata) {
        uint64_t mask = *(const uint64_t *) userdata;

        for (size_t off = 0; off < len; off += page_size)
                *(uint64_t *) (addr + off) ^= mask;
}

/* Dirties every page, so a test can check that pages written after a
 * pageout are not lost or served stale from zram. */
static uint64_t cmd_write(unsigned generation) {
        /* The pid makes each process's new content its own: identical workloads
         * written alike would be merged again by KSM. */
        uint64_t state = seed ^ ((uint64_t) generation << 32) ^ ((uint64_t) getpid() << 12);
        uint64_t mask = rng_next(&state) | 1;

        memory_walk(xor_first_word_of_pages, &mask, &cold_majflt_window);
        return memory_checksum(&cold_majflt_window);
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
                "Usage: wolfram-workload --size-mib=N [--regions=N]\n"
                "                        [--content=zeros|random|text|mixed|realistic|media] [--seed=N]\n"
                "                        [--hot-percent=P] [--hot-pattern=block|interleave] "
                "[--hot-run-kib=N]\n"
                "                        [--hot-interval-ms=MS] [--ready-file=PATH]\n"
                "                        [--name=BYTES] [--mappings=N]\n");
}

/* Lays out one mapping. "block": the first hot_percent of the pages are hot
 * and, when there are both hot and cold pages, a PROT_NONE guard page splits
 * them into two VMAs, because adjacent anonymous mappings would merge and
 * smaps could not tell them apart. "interleave": one VMA of alternating hot
 * and cold runs, to check that idle tracking works page by page. */
static int map_one(struct mapping *m, size_t data_len, uint64_t hot_percent, bool interleave,
                   size_t hot_run_bytes) {
        size_t guard_len = 0;
        uint8_t *addr;

        m->data_len = data_len;
        if (interleave) {
                m->hot_run_bytes = hot_run_bytes;
                m->hot_period_bytes = 2 * hot_run_bytes;
                for (size_t off = 0; off < data_len; off += m->hot_period_bytes)
                        m->hot_len += data_len - off < hot_run_bytes ? data_len - off : hot_run_bytes;
                m->hot_extent = data_len;
        } else {
                m->hot_len = (size_t) (data_len / page_size * hot_percent / 100) * page_size;
                m->hot_run_bytes = m->hot_period_bytes = m->hot_extent = m->hot_len;
                if (m->hot_len > 0 && m->hot_len < data_len)
                        guard_len = page_size;
        }

        /* Inaccessible fence pages on both sides: glibc maps thread stacks
         * right next to the last mapping, and a neighbour merged into the
         * mapping would spoil its figures in smaps. */
        m->len = data_len + guard_len;
        addr = mmap(NULL, m->len + 2 * page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (addr == MAP_FAILED) {
                fprintf(stderr, "Failed to map %zu bytes: %m\n", m->len);
                return -ENOMEM;
        }
        m->base = addr + page_size;
        /* Huge pages would be paged out (split) all or nothing; the tests
         * count single pages, and interleaved runs are smaller than one. */
        if (madvise(m->base, m->len, MADV_NOHUGEPAGE) < 0)
                fprintf(stderr, "Failed to disable huge pages, ignoring: %m\n");

        m->n_parts = guard_len > 0 ? 2 : 1;
        m->parts[0] = (struct span){ m->base, guard_len > 0 ? m->hot_len : data_len };
        m->parts[1] = (struct span){ m->base + m->hot_len + guard_len, data_len - m->hot_len };
        /* The guard between the parts stays inaccessible and splits them. */
        for (size_t p = 0; p < m->n_parts; p++)
                if (mprotect(m->parts[p].addr, m->parts[p].len, PROT_READ | PROT_WRITE) < 0) {
                        fprintf(stderr, "Failed to make %zu bytes at %p writable: %m\n", m->parts[p].len,
                                m->parts[p].addr);
                        return -ENOMEM;
                }
        return 0;
}

/* Splits size_mib into n_regions mappings of whole pages, the first ones a
 * page larger where it does not divide evenly; each has its own hot share
 * laid out as above. */
static int map_memory(uint64_t size_mib, uint64_t n_regions, uint64_t hot_percent, bool interleave,
                      uint64_t hot_run_kib) {
        size_t total_pages, hot_run_bytes = (size_t) hot_run_kib << 10;
        int r;

        page_size = (size_t) sysconf(_SC_PAGESIZE);
        total_pages = ((size_t) size_mib << 20) / page_size;
        if (n_regions > total_pages) {
                fprintf(stderr, "Invalid --regions: %" PRIu64 " (one page each at least, %zu pages)\n",
                        n_regions, total_pages);
                return -EINVAL;
        }
        if (interleave &&
            (hot_run_bytes % page_size != 0 || hot_run_bytes > total_pages / n_regions * page_size / 2)) {
                fprintf(stderr,
                        "Invalid --hot-run-kib: %" PRIu64 " (whole pages, half a region's size at most)\n",
                        hot_run_kib);
                return -EINVAL;
        }

        mappings = calloc(n_regions, sizeof(struct mapping));
        if (!mappings)
                return -ENOMEM;
        n_mappings = n_regions;
        for (size_t i = 0; i < n_mappings; i++) {
                size_t pages = total_pages / n_mappings + (i < total_pages % n_mappings ? 1 : 0);

                r = map_one(&mappings[i], pages * page_size, hot_percent, interleave, hot_run_bytes);
                if (r < 0)
                        return r;
                data_bytes += mappings[i].data_len;
        }
        return 0;
}

static void format_mapping(FILE *f, const struct mapping *m, bool interleave) {
        if (interleave)
                fprintf(f, "{\"addr\":%" PRIuPTR ",\"len\":%zu,\"hot_len\":%zu,\"cold_len\":%zu}",
                        (uintptr_t) m->base, m->len, m->hot_len, m->data_len - m->hot_len);
        else
                /* The cold part follows the hot one, past the guard if any. */
                fprintf(f,
                        "{\"addr\":%" PRIuPTR ",\"len\":%zu,\"hot_len\":%zu,\"cold_len\":%zu,"
                        "\"hot_addr\":%" PRIuPTR ",\"cold_addr\":%" PRIuPTR "}",
                        (uintptr_t) m->base, m->len, m->hot_len, m->data_len - m->hot_len,
                        (uintptr_t) m->base, (uintptr_t) (m->base + m->len - (m->data_len - m->hot_len)));
}

/* The first line; see workload.py for what the fields mean. Its first keys
 * describe the first mapping, all that there was before --regions;
 * "mappings" lists them all. Interleaved hot and cold pages are no ranges,
 * so their addresses are null there. */
static char *format_ready_line(uint64_t checksum, enum content content, bool interleave) {
        const struct mapping *first = &mappings[0];
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        fprintf(f,
                "{\"pid\":%d,\"addr\":%" PRIuPTR ",\"len\":%zu,\"checksum\":\"%016" PRIx64
                "\",\"content\":\"%s\",\"page_size\":%zu,\"hot_pattern\":\"%s\",\"hot_len\":%zu,",
                (int) getpid(), (uintptr_t) first->base, first->len, checksum, content_name(content),
                page_size, interleave ? "interleave" : "block", first->hot_len);
        if (interleave)
                fprintf(f,
                        "\"hot_addr\":null,\"cold_addr\":null,\"cold_len\":%zu,"
                        "\"hot_runs\":{\"addr\":%" PRIuPTR ",\"run_bytes\":%zu,\"runs\":%zu}",
                        first->data_len - first->hot_len, (uintptr_t) first->base, first->hot_run_bytes,
                        (first->data_len + first->hot_run_bytes - 1) / first->hot_run_bytes);
        else
                fprintf(f,
                        "\"hot_addr\":%" PRIuPTR ",\"cold_addr\":%" PRIuPTR
                        ",\"cold_len\":%zu,\"hot_runs\":null",
                        (uintptr_t) first->base,
                        (uintptr_t) (first->base + first->len - (first->data_len - first->hot_len)),
                        first->data_len - first->hot_len);
        fprintf(f, ",\"small_mappings\":%zu,\"small_mappings_addr\":%" PRIuPTR, n_small_mappings,
                (uintptr_t) small_mappings_addr());
        fprintf(f, ",\"regions\":%zu,\"size_bytes\":%zu,\"mappings\":[", n_mappings, data_bytes);
        for (size_t i = 0; i < n_mappings; i++) {
                fputs(i > 0 ? "," : "", f);
                format_mapping(f, &mappings[i], interleave);
        }
        fputs("]}", f);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "size-mib", required_argument, NULL, 's' },
                { "regions", required_argument, NULL, 'n' },
                { "content", required_argument, NULL, 'c' },
                { "seed", required_argument, NULL, 'S' },
                { "hot-percent", required_argument, NULL, 'p' },
                { "hot-pattern", required_argument, NULL, 'P' },
                { "hot-run-kib", required_argument, NULL, 'R' },
                { "hot-interval-ms", required_argument, NULL, 'i' },
                { "ready-file", required_argument, NULL, 'r' },
                { "name", required_argument, NULL, 'N' },
                { "mappings", required_argument, NULL, 'm' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        enum content content = CONTENT_MIXED;
        uint64_t size_mib = 0, n_regions = 1, hot_percent = 0, hot_run_kib = 64, v = 0, checksum;
        uint64_t n_small = 0; /* --mappings */
        unsigned hot_interval_ms = 100;
        const char *ready_file = NULL, *name = NULL;
        bool interleave = false;
        unsigned generation = 0;
        char line[1024], *ready_line;
        int c, idx = 0, r = 0;

        while ((c = getopt_long(argc, argv, "h", options, &idx)) >= 0) {
                switch (c) {
                case 's':
                        r = parse_u64(optarg, SIZE_MAX >> 20, &size_mib);
                        if (size_mib == 0)
                                r = -EINVAL;
                        break;
                case 'n':
                        r = parse_u64(optarg, 1u << 20, &n_regions);
                        if (n_regions == 0)
                                r = -EINVAL;
                        break;
                case 'c':
                        /* "records" is only a quarter of "mixed". */
                        r = content_from_name(optarg, &content);
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
                        break;
                case 'r':
                        ready_file = optarg;
                        break;
                case 'N':
                        name = optarg;
                        break;
                case 'm':
                        r = parse_u64(optarg, 1u << 20, &n_small);
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

        if (map_memory(size_mib, n_regions, hot_percent, interleave, hot_run_kib) < 0 ||
            small_mappings_create((size_t) n_small) < 0)
                return 1;
        fill_memory(content);
        checksum = memory_checksum(&cold_majflt_window);

        bool any_hot = false;
        for (size_t i = 0; i < n_mappings; i++)
                any_hot = any_hot || mappings[i].hot_len > 0;
        if (any_hot) {
                r = hot_start(hot_interval_ms);
                if (r < 0) {
                        fprintf(stderr, "Failed to start the hot thread: %s\n", strerror(-r));
                        return 1;
                }
        }
        cold_majflt_window = 0;
        window_start_ns = now_ns();

        /* Any bytes, as a program may name itself (the kernel keeps 15);
         * set before the first line, so a test that has it sees the name. */
        if (name && prctl(PR_SET_NAME, name, 0, 0, 0) < 0) {
                fprintf(stderr, "Failed to set the process name: %m\n");
                return 1;
        }
        ready_line = format_ready_line(checksum, content, interleave);
        if (!ready_line) {
                fprintf(stderr, "Failed to format the first line: %m\n");
                return 1;
        }
        reply("%s", ready_line);
        if (ready_file) {
                r = write_ready_file(ready_file, ready_line);
                if (r < 0) {
                        fprintf(stderr, "Failed to write %s: %s\n", ready_file, strerror(-r));
                        return 1;
                }
        }
        free(ready_line);

        while (fgets(line, sizeof(line), stdin)) {
                line[strcspn(line, "\r\n")] = '\0';

                if (strcmp(line, "verify") == 0) {
                        uint64_t now = memory_checksum(&cold_majflt_window);
                        size_t bad = small_mappings_bad_pages();

                        reply("{\"checksum\":\"%016" PRIx64 "\",\"ok\":%s,\"small_mappings_bad\":%zu}", now,
                              now == checksum && bad == 0 ? "true" : "false", bad);
                } else if (strcmp(line, "status") == 0)
                        cmd_status();
                else if (strcmp(line, "residency") == 0)
                        cmd_residency();
                else if (strcmp(line, "faults") == 0)
                        cmd_faults();
                else if (strcmp(line, "report") == 0)
                        cmd_report(content, checksum);
                else if (strcmp(line, "reset-stats") == 0)
                        cmd_reset_stats();
                else if (strcmp(line, "pageout") == 0)
                        cmd_pageout();
                else if (strcmp(line, "probe") == 0)
                        cmd_probe();
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
