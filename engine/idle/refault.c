/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc-util.h"
#include "idle/idle.h"
#include "idle/refault.h"

#define WORDS(n) (((n) + 63) / 64)

static bool bit_get(const uint64_t *b, size_t i) {
        return (b[i / 64] >> (i % 64)) & 1;
}

static void bit_set(uint64_t *b, size_t i, bool v) {
        if (v)
                b[i / 64] |= 1ULL << (i % 64);
        else
                b[i / 64] &= ~(1ULL << (i % 64));
}

int page_memory_new(PageMemory *m, size_t n_pages) {
        *m = (PageMemory){ .n_pages = n_pages };
        m->out = calloc(WORDS(n_pages) ?: 1, sizeof(uint64_t));
        m->hot = calloc(WORDS(n_pages) ?: 1, sizeof(uint64_t));
        if (!m->out || !m->hot) {
                page_memory_done(m);
                return -ENOMEM;
        }
        return 0;
}

int page_memory_copy(PageMemory *m, const PageMemory *from) {
        int r;

        if (page_memory_empty(from)) {
                *m = (PageMemory){};
                return 0;
        }
        r = page_memory_new(m, from->n_pages);
        if (r < 0)
                return r;
        memcpy(m->out, from->out, WORDS(from->n_pages) * sizeof(uint64_t));
        memcpy(m->hot, from->hot, WORDS(from->n_pages) * sizeof(uint64_t));
        return 0;
}

void page_memory_done(PageMemory *m) {
        free(m->out);
        free(m->hot);
        *m = (PageMemory){};
}

bool page_memory_empty(const PageMemory *m) {
        return !m->out || m->n_pages == 0;
}

size_t page_memory_settle(PageMemory *m, size_t first, const uint64_t *entries, size_t n) {
        size_t back = 0;

        for (size_t k = 0; k < n && first + k < m->n_pages; k++) {
                size_t i = first + k;
                uint64_t e = entries[k];

                if (!bit_get(m->out, i))
                        continue;
                if (e & PM_SWAP)
                        continue; /* still out */
                bit_set(m->out, i, false);
                if (e & PM_PRESENT) {
                        bit_set(m->hot, i, true);
                        back++;
                }
        }
        return back;
}

void page_memory_forget_hot(PageMemory *m) {
        if (!page_memory_empty(m))
                memset(m->hot, 0, WORDS(m->n_pages) * sizeof(uint64_t));
}

size_t page_memory_hot_pages(const PageMemory *m) {
        size_t n = 0;

        if (page_memory_empty(m))
                return 0;
        for (size_t w = 0; w < WORDS(m->n_pages); w++)
                n += (size_t) __builtin_popcountll(m->hot[w]);
        return n;
}

int page_memory_pageout_ranges(PageMemory *m, uint64_t start, size_t page_size, size_t first,
                               const uint64_t *entries, size_t n, const struct iovec *idle, size_t n_idle,
                               struct iovec **ranges, size_t *n_ranges, size_t *allocated,
                               uint64_t *ret_bytes) {
        size_t j = 0;

        /* The first idle range that ends past the first page: a region's
         * pages are looked at in many small steps (a segment's probe, then
         * its rest), each must not walk the ranges from the start. */
        if (idle) {
                size_t hi = n_idle;
                uint64_t addr = start + (uint64_t) first * page_size;

                while (j < hi) {
                        size_t mid = j + (hi - j) / 2;

                        if ((uint64_t) (uintptr_t) idle[mid].iov_base + idle[mid].iov_len <= addr)
                                j = mid + 1;
                        else
                                hi = mid;
                }
        }

        for (size_t k = 0; k < n; k++) {
                size_t i = first + k;
                uint64_t addr = start + (uint64_t) i * page_size, e = entries[k];
                struct iovec *last;

                if (!(e & PM_PRESENT) || (e & PM_FILE_SHARED) || !(e & PM_EXCLUSIVE))
                        continue;
                if (i < m->n_pages && !page_memory_empty(m) && bit_get(m->hot, i))
                        continue;
                if (idle) {
                        /* Both in address order: one pass. */
                        while (j < n_idle &&
                               (uint64_t) (uintptr_t) idle[j].iov_base + idle[j].iov_len <= addr)
                                j++;
                        if (j >= n_idle || (uint64_t) (uintptr_t) idle[j].iov_base > addr)
                                continue;
                }
                *ret_bytes += page_size;
                if (!ranges)
                        continue;
                if (i < m->n_pages && !page_memory_empty(m))
                        bit_set(m->out, i, true);
                last = *n_ranges > 0 ? &(*ranges)[*n_ranges - 1] : NULL;
                if (last && (uint64_t) (uintptr_t) last->iov_base + last->iov_len == addr) {
                        last->iov_len += page_size;
                        continue;
                }
                if (GREEDY_REALLOC(*ranges, *allocated, *n_ranges + 1) < 0)
                        return -ENOMEM;
                (*ranges)[(*n_ranges)++] =
                        (struct iovec){ .iov_base = (void *) (uintptr_t) addr, .iov_len = page_size };
        }
        return 0;
}
