/* SPDX-License-Identifier: MIT */
/* The page_idle backend knows every page: it sets the idle bit of each
 * present anonymous page's frame in /sys/kernel/mm/page_idle/bitmap, waits,
 * and reads back which bits are still set — pages nobody touched. Needs
 * CONFIG_IDLE_PAGE_TRACKING and CAP_SYS_ADMIN (PFNs in pagemap). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc-util.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/paths.h"
#include "idle/idle.h"

#define PAGEMAP_CHUNK_PAGES 65536U

/* Bitmap words, sorted: word index → its 64 bits. */
typedef struct WordSet {
        uint64_t *index;
        uint64_t *bits;
        size_t n;
} WordSet;

static void word_set_done(WordSet *w) {
        free(w->index);
        free(w->bits);
        *w = (WordSet){};
}

static char *bitmap_path(void) {
        return root_path("/sys/kernel/mm/page_idle/bitmap");
}

static int page_idle_probe(void) {
        _cleanup_free_ char *path = bitmap_path();
        return path && access(path, R_OK | W_OK) == 0;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

/* Collects the PFNs of the present anonymous pages of [start, end).
 * 'entries' has room for PAGEMAP_CHUNK_PAGES: one buffer for all VMAs, as
 * a process may have tens of thousands. */
static int collect_pfns(int pagemap_fd, uint64_t start, uint64_t end, size_t page_size, uint64_t *entries,
                        uint64_t **pfns, size_t *n_pfns, size_t *allocated) {
        for (uint64_t addr = start; addr < end;) {
                size_t pages = (size_t) ((end - addr) / page_size), got;
                ssize_t n;

                if (pages > PAGEMAP_CHUNK_PAGES)
                        pages = PAGEMAP_CHUNK_PAGES;
                n = pread(pagemap_fd, entries, pages * sizeof(uint64_t), (off_t) (addr / page_size * 8));
                if (n < 0)
                        return errno == ESRCH ? -ESRCH : -errno;
                got = (size_t) n / sizeof(uint64_t);
                if (got == 0)
                        break;
                for (size_t i = 0; i < got; i++) {
                        uint64_t e = entries[i], pfn = e & PM_PFN_MASK;

                        if (!(e & PM_PRESENT) || (e & PM_SWAP) || (e & PM_FILE_SHARED) || pfn == 0)
                                continue;
                        if (GREEDY_REALLOC(*pfns, *allocated, *n_pfns + 1) < 0)
                                return -ENOMEM;
                        (*pfns)[(*n_pfns)++] = pfn;
                }
                addr += (uint64_t) got * page_size;
        }
        return 0;
}

/* Turns sorted PFNs into the bitmap words that cover them, each with the
 * bits of those PFNs. */
static int pfns_to_words(uint64_t *pfns, size_t n, WordSet *ret) {
        WordSet w = {};

        /* No pages means no array at all, which qsort() must not get. */
        if (n > 0)
                qsort(pfns, n, sizeof(uint64_t), cmp_u64);
        w.index = malloc((n ?: 1) * sizeof(uint64_t));
        w.bits = malloc((n ?: 1) * sizeof(uint64_t));
        if (!w.index || !w.bits) {
                word_set_done(&w);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                uint64_t word = pfns[i] / 64;
                if (w.n == 0 || w.index[w.n - 1] != word) {
                        w.index[w.n] = word;
                        w.bits[w.n++] = 0;
                }
                w.bits[w.n - 1] |= 1ULL << (pfns[i] % 64);
        }
        *ret = w;
        return 0;
}

/* Writes (set idle) or reads the words, one system call per run of
 * consecutive words. */
static int bitmap_io(int fd, WordSet *w, bool write_bits) {
        for (size_t i = 0; i < w->n;) {
                size_t j = i + 1;
                ssize_t n;

                while (j < w->n && w->index[j] == w->index[j - 1] + 1 && j - i < 512)
                        j++;
                if (write_bits)
                        n = pwrite(fd, w->bits + i, (j - i) * 8, (off_t) (w->index[i] * 8));
                else
                        n = pread(fd, w->bits + i, (j - i) * 8, (off_t) (w->index[i] * 8));
                /* The kernel stops at the last PFN (max_pfn), which need not
                 * end a word: a short transfer or ENXIO there is the end of
                 * memory, and the bits past it are no pages of ours. */
                if (n < 0 && errno != ENXIO)
                        return -errno;
                if (n < 0)
                        n = 0;
                if ((size_t) n < (j - i) * 8) {
                        if (n % 8 != 0)
                                return -EIO;
                        if (!write_bits)
                                memset(w->bits + i + n / 8, 0, (j - i) * 8 - (size_t) n);
                }
                i = j;
        }
        return 0;
}

static int open_proc(const ProcTarget *t, const char *name, int flags) {
        _cleanup_free_ char *path = NULL;
        int fd;

        if (asprintf(&path, "%s/proc/%d/%s", root_prefix(), (int) t->pid, name) < 0)
                return -ENOMEM;
        fd = open(path, flags | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        return fd;
}

/* The anonymous VMAs with something resident, kept as smaps streams by.
 * Address space reserved but never touched (ASan's shadow, JIT heaps:
 * terabytes) would otherwise cost pagemap reads for nothing. */
static int read_anon_vmas(const ProcTarget *t, uint64_t min_size_bytes, SmapsVma **ret, size_t *ret_n) {
        const SmapsFilter filter = { .anonymous_only = true,
                                     .resident_only = true,
                                     .min_size_bytes = min_size_bytes };

        return smaps_read(t->pid, &filter, ret, ret_n);
}

/* What both steps start from: the VMAs worth a look and the pagemap. */
static int open_target(const ProcTarget *t, uint64_t min_size_bytes, SmapsVma **ret_vmas, size_t *ret_n,
                       int *ret_pagemap) {
        int r, fd;

        r = read_anon_vmas(t, min_size_bytes, ret_vmas, ret_n);
        if (r < 0)
                return r;
        fd = open_proc(t, "pagemap", O_RDONLY);
        if (fd < 0) {
                free(*ret_vmas);
                *ret_vmas = NULL;
                return fd;
        }
        *ret_pagemap = fd;
        return 0;
}

static int page_idle_mark(const ProcTarget *t, uint64_t min_region_bytes, const Reclaim *cold,
                          const IdleSpan *keep, size_t n_keep, void **state) {
        _cleanup_close_ int pagemap = -EBADF, bitmap = -EBADF;
        _cleanup_free_ char *bpath = bitmap_path();
        _cleanup_free_ SmapsVma *vmas = NULL;
        _cleanup_free_ uint64_t *pfns = NULL, *entries = NULL;
        size_t n_vmas, n_pfns = 0, allocated = 0, page_size = (size_t) sysconf(_SC_PAGESIZE);
        WordSet w;
        int r;

        /* 'cold' and 'keep' are the refs backend's: page-exact readings
         * need no confirmation across marks. Small regions are never
         * collected: marking their pages would cost
         * a pagemap read each for nothing (a JVM has thousands). */
        r = open_target(t, min_region_bytes, &vmas, &n_vmas, &pagemap);
        if (r < 0)
                return r;
        entries = malloc(PAGEMAP_CHUNK_PAGES * sizeof(uint64_t));
        if (!entries)
                return -ENOMEM;
        for (size_t i = 0; i < n_vmas; i++) {
                r = collect_pfns(pagemap, vmas[i].start, vmas[i].end, page_size, entries, &pfns, &n_pfns,
                                 &allocated);
                if (r < 0)
                        return r;
        }
        if (!bpath)
                return -ENOMEM;
        bitmap = open(bpath, O_RDWR | O_CLOEXEC);
        if (bitmap < 0)
                return -errno;
        r = pfns_to_words(pfns, n_pfns, &w);
        if (r < 0)
                return r;
        r = bitmap_io(bitmap, &w, true);
        word_set_done(&w);
        return r;
}

static int word_is_idle(uint64_t pfn, void *userdata) {
        const WordSet *w = userdata;
        uint64_t word = pfn / 64;
        size_t lo = 0, hi = w->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (w->index[mid] < word)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo >= w->n || w->index[lo] != word)
                return 0;
        return (w->bits[lo] >> (pfn % 64)) & 1;
}

static int page_idle_collect(const ProcTarget *t, void **state, uint64_t min_region_bytes, IdleResult *ret) {
        _cleanup_close_ int pagemap = -EBADF, bitmap = -EBADF;
        _cleanup_free_ char *bpath = bitmap_path();
        _cleanup_free_ SmapsVma *vmas = NULL;
        _cleanup_free_ uint64_t *pfns = NULL, *entries = NULL;
        size_t n_vmas, n_pfns = 0, allocated = 0, regions_allocated = 0,
                       page_size = (size_t) sysconf(_SC_PAGESIZE);
        IdleResult res = {};
        WordSet w = {};
        int r;

        r = open_target(t, min_region_bytes, &vmas, &n_vmas, &pagemap);
        if (r < 0)
                return r;
        if (!bpath)
                return -ENOMEM;
        bitmap = open(bpath, O_RDONLY | O_CLOEXEC);
        if (bitmap < 0)
                return -errno;
        entries = malloc(PAGEMAP_CHUNK_PAGES * sizeof(uint64_t));
        if (!entries)
                return -ENOMEM;

        /* First which words to read, then the idle bits in one pass. */
        for (size_t i = 0; i < n_vmas; i++) {
                r = collect_pfns(pagemap, vmas[i].start, vmas[i].end, page_size, entries, &pfns, &n_pfns,
                                 &allocated);
                if (r < 0)
                        return r;
        }
        r = pfns_to_words(pfns, n_pfns, &w);
        if (r < 0)
                return r;
        r = bitmap_io(bitmap, &w, false);
        if (r < 0)
                goto finish;

        for (size_t i = 0; i < n_vmas; i++) {
                const SmapsVma *v = &vmas[i];
                IdleRegion region = { .start = v->start, .end = v->end };
                size_t ranges_allocated = 0;

                for (uint64_t addr = v->start; addr < v->end;) {
                        size_t pages = (size_t) ((v->end - addr) / page_size), got;
                        uint64_t present, idle;
                        struct iovec *ranges;
                        size_t n_ranges;
                        ssize_t n;

                        if (pages > PAGEMAP_CHUNK_PAGES)
                                pages = PAGEMAP_CHUNK_PAGES;
                        n = pread(pagemap, entries, pages * 8, (off_t) (addr / page_size * 8));
                        if (n <= 0) {
                                r = n < 0 ? -errno : 0;
                                break;
                        }
                        got = (size_t) n / 8;
                        for (size_t k = 0; k < got; k++)
                                if (entries[k] & PM_SWAP)
                                        region.swap_bytes += page_size;
                        r = idle_ranges_from_pagemap(addr, page_size, entries, got, word_is_idle, &w,
                                                     &ranges, &n_ranges, &present, &idle);
                        if (r < 0)
                                break;
                        region.resident_bytes += present;
                        region.idle_bytes += idle;
                        for (size_t k = 0; k < n_ranges && r >= 0; k++) {
                                struct iovec *l;

                                if (GREEDY_REALLOC(region.idle_ranges, ranges_allocated,
                                                   region.n_idle_ranges + 1) < 0) {
                                        r = -ENOMEM;
                                        break;
                                }
                                l = region.idle_ranges;
                                /* Chunks join where the previous one ended. */
                                if (region.n_idle_ranges > 0 &&
                                    (char *) l[region.n_idle_ranges - 1].iov_base +
                                                    l[region.n_idle_ranges - 1].iov_len ==
                                            (char *) ranges[k].iov_base)
                                        l[region.n_idle_ranges - 1].iov_len += ranges[k].iov_len;
                                else
                                        l[region.n_idle_ranges++] = ranges[k];
                        }
                        free(ranges);
                        if (r < 0)
                                break;
                        addr += (uint64_t) got * page_size;
                }
                if (r >= 0) {
                        if (GREEDY_REALLOC(res.regions, regions_allocated, res.n_regions + 1) < 0)
                                r = -ENOMEM;
                        else {
                                res.regions[res.n_regions++] = region;
                                continue;
                        }
                }
                free(region.idle_ranges);
                goto finish;
        }

finish:
        word_set_done(&w);
        if (r < 0) {
                idle_result_done(&res);
                return r == -ENOENT ? -ESRCH : r;
        }
        *ret = res;
        return 0;
}

const IdleBackend idle_backend_page_idle = {
        .name = "page_idle",
        .probe = page_idle_probe,
        .mark = page_idle_mark,
        .collect = page_idle_collect,
        .page_exact = true,
};
