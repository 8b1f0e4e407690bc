/* SPDX-License-Identifier: MIT */
/*
 * --mappings=N: N small anonymous mappings beside the main regions, the way
 * a browser or a JVM has tens of thousands (thread stacks, arenas, JIT
 * code). Each is one page, written, so it is resident and shows in smaps
 * with Rss; neighbours alternate between writable and read-only, so the
 * kernel cannot merge them into one VMA. They are not in the checksum (the
 * main regions' figures stay what they were); "verify" checks them apart.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include "workload.h"

size_t n_small_mappings;
static uint8_t *small_base;

/* What page i holds in its first and last word. */
static uint64_t small_page_word(size_t i) {
        uint64_t state = seed ^ ((uint64_t) i << 20) ^ 0x5bd1e995ULL;

        return rng_next(&state) | 1;
}

int small_mappings_create(size_t n) {
        uint8_t *addr;

        if (n == 0)
                return 0;
        /* An inaccessible fence page at either end keeps the first and the
         * last page from merging with whatever the kernel maps beside. */
        addr = mmap(NULL, (n + 2) * page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (addr == MAP_FAILED) {
                fprintf(stderr, "Failed to map %zu small mappings: %m\n", n);
                return -ENOMEM;
        }
        small_base = addr + page_size;
        /* Page by page, as the tests count them: no huge page across them
         * before the protections split it. */
        if (madvise(small_base, n * page_size, MADV_NOHUGEPAGE) < 0)
                fprintf(stderr, "Failed to disable huge pages, ignoring: %m\n");
        if (mprotect(small_base, n * page_size, PROT_READ | PROT_WRITE) < 0) {
                fprintf(stderr, "Failed to make %zu small mappings writable: %m\n", n);
                return -errno;
        }
        for (size_t i = 0; i < n; i++) {
                uint64_t *page = (uint64_t *) (small_base + i * page_size);

                page[0] = page[page_size / sizeof(uint64_t) - 1] = small_page_word(i);
        }
        for (size_t i = 1; i < n; i += 2)
                if (mprotect(small_base + i * page_size, page_size, PROT_READ) < 0) {
                        /* vm.max_map_count is the usual limit here. */
                        fprintf(stderr, "Failed to split off small mapping %zu of %zu: %m\n", i, n);
                        return -errno;
                }
        n_small_mappings = n;
        return 0;
}

uint8_t *small_mappings_addr(void) {
        return small_base;
}

size_t small_mappings_bad_pages(void) {
        size_t bad = 0;

        for (size_t i = 0; i < n_small_mappings; i++) {
                const uint64_t *page = (const uint64_t *) (small_base + i * page_size);
                uint64_t want = small_page_word(i);

                bad += page[0] != want || page[page_size / sizeof(uint64_t) - 1] != want;
        }
        return bad;
}
