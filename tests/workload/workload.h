/* SPDX-License-Identifier: MIT */
#pragma once

/* What the parts of wolfram-workload share: the memory layout, the content
 * generators (workload-fill.c) and the hot thread (workload-hot.c). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum content {
        CONTENT_ZEROS,
        CONTENT_RANDOM,
        CONTENT_TEXT,
        CONTENT_RECORDS, /* only as a quarter of "mixed" */
        CONTENT_MIXED,
        CONTENT_REALISTIC,
        CONTENT_MEDIA, /* the first two thirds random (a media or encrypted buffer), then text */
        _CONTENT_MAX,
};

/* A contiguous stretch of data pages. */
struct span {
        uint8_t *addr;
        size_t len;
};

/* One of the --regions mappings. base/len is the mapping, guard page
 * included, with an inaccessible fence page on either side. The data pages
 * are parts[0] followed by parts[1] in checksum and fill order, so that a
 * seed gives the same content and checksum with or without a guard. The hot
 * thread reads runs of hot_run_bytes every hot_period_bytes in the first
 * hot_extent bytes from base: one run for "block", every other run for
 * "interleave"; hot_len counts the hot bytes. */
struct mapping {
        uint8_t *base;
        size_t len;
        size_t data_len;
        size_t hot_len, hot_extent, hot_run_bytes, hot_period_bytes;
        struct span parts[2];
        size_t n_parts;
};

extern struct mapping *mappings;
extern size_t n_mappings;
extern size_t page_size;
extern uint64_t seed;

/* splitmix64: returns the next number of the sequence in *state. */
uint64_t rng_next(uint64_t *state);

/* The profile called name, or -EINVAL. */
int content_from_name(const char *name, enum content *ret);

/* The name of a profile the command line accepts. */
const char *content_name(enum content content);

/* Fills every data page of every mapping, in order, from seed: the same seed,
 * profile and page size (and, for "realistic", the same files on the
 * machine) give byte-identical memory in any process. */
void fill_memory(enum content content);

/* Whether the byte at off from m->base is hot; *ret_end is where the
 * stretch of pages that are hot or cold alike ends (relative to m->base). */
bool mapping_stretch_is_hot(const struct mapping *m, size_t off, size_t *ret_end);

uint64_t now_ns(void);

/* Major faults the calling thread has taken so far. */
uint64_t thread_major_faults(void);

/* Starts the hot thread, a pass every interval_ms (0: one after another,
 * without a pause), and returns once its first pass is done, or a
 * negative errno. */
int hot_start(unsigned interval_ms);

/* What the hot thread measured, over its lifetime (since the first pass)
 * or over the window since hot_reset_window(). */
struct hot_figures {
        uint64_t majflt;
        uint64_t passes;
        uint64_t samples;
        uint64_t p50_ns, p99_ns, p999_ns, max_ns;
        uint64_t pass_page_p50_ns, pass_page_max_ns; /* lifetime only */
};

void hot_lifetime_figures(struct hot_figures *ret);

/* hot_lifetime_figures()'s majflt alone, without sorting samples. */
uint64_t hot_lifetime_major_faults(void);
void hot_window_figures(struct hot_figures *ret);

/* Starts a new measuring window. */
void hot_reset_window(void);

/* --mappings (workload-mappings.c): how many small mappings there are. */
extern size_t n_small_mappings;

/* Maps n one-page anonymous mappings that cannot merge, each written with
 * its own word; 0 or a negative errno (said on stderr). */
int small_mappings_create(size_t n);

/* Where the first small mapping starts (writable, as every second one);
 * NULL without --mappings. */
uint8_t *small_mappings_addr(void);

/* How many of the small mappings' pages no longer hold their words
 * (reading them faults back what was paged out). */
size_t small_mappings_bad_pages(void);
