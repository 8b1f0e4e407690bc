/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Keeping incompressible memory out of the pool. zram stores a page that
 * does not compress whole: paging out random, encrypted or already
 * compressed data frees nothing and spends the CPU for nothing. The cycle
 * pages out each segment of a region (COMPRESS_SEGMENT_PAGES) in two steps:
 * a probe of its first COMPRESS_PROBE_PAGES movable pages, whose effect on
 * the pool's own figures (mm_stat: orig_data_size and compr_data_size, the
 * pool's devices summed) gives the segment's ratio; then, if that ratio is
 * good, the rest. A segment found poor is skipped for a number of cycles
 * that doubles each time it is found poor again, so that at most a small
 * sample of incompressible memory ever enters the pool. */

/* 16 MiB of 4 KiB pages; the probe is 512 KiB of them (1/32). */
#define COMPRESS_SEGMENT_PAGES 4096U
#define COMPRESS_PROBE_PAGES 128U

/* Compressed above this share of its size, a page saves too little to be
 * worth the pool: 3/4, about 3 KiB of a 4 KiB page. */
#define COMPRESS_POOR_PERCENT 75U

/* Cycles a poor segment is skipped: 8, then 16, 32 and at most 64. */
#define COMPRESS_SKIP_CYCLES_MIN 8U
#define COMPRESS_SKIP_CYCLES_MAX 64U

typedef enum CompressVerdict {
        COMPRESS_UNKNOWN, /* nothing measurable came of it */
        COMPRESS_GOOD,
        COMPRESS_POOR,
} CompressVerdict;

/* What the engine remembers of a segment across cycles. */
typedef struct CompressSegment {
        uint8_t verdict; /* CompressVerdict, the last one measured */
        uint8_t poor_count; /* consecutive poor verdicts */
        uint16_t skip_cycles; /* left before it is probed again */
} CompressSegment;

/* The pool's figures before or after a pageout (summed over its devices). */
typedef struct CompressPoolFigures {
        uint64_t orig_bytes; /* data stored, as the processes had it */
        uint64_t compr_bytes; /* what it takes compressed */
        uint64_t used_bytes; /* RAM the devices take (allocator overhead included) */
        uint64_t limit_bytes; /* the sum of their mem_limits; 0: one has none */
        bool valid;
} CompressPoolFigures;

/* The pool's devices a worker is handed, at most. */
#define COMPRESS_POOL_DEVICES_MAX 16U

/* Reads the figures of the pool's devices 'ids' and sums them; not valid
 * when there are none or one cannot be read (removed meanwhile). */
void compress_pool_read(const unsigned *ids, size_t n_ids, CompressPoolFigures *ret);

/* The verdict of one pageout of 'advised_bytes' from the pool's figures
 * before and after it. UNKNOWN when the figures are missing, or when less
 * than half of what was advised shows in the pool (other swap activity at
 * the same time, or the pages went elsewhere): too little to judge by. */
CompressVerdict compress_judge(const CompressPoolFigures *before, const CompressPoolFigures *after,
                               uint64_t advised_bytes);

/* Whether the segment is skipped this cycle (a poor one, still waiting);
 * counts the wait down. */
bool compress_segment_skip(CompressSegment *s);

/* Records a verdict: a poor one sets the wait (doubling with each poor
 * verdict in a row), a good one clears it; an unknown one changes nothing. */
void compress_segment_update(CompressSegment *s, CompressVerdict v);

/* Whether the pool has room for 'bytes' more that compress to 'ratio' of
 * their size (from the probe; 1.0 when unknown), with a margin for the
 * allocator. Always true when the figures are missing or a device has no
 * limit. */
bool compress_pool_has_room(const CompressPoolFigures *f, uint64_t bytes, double ratio);

/* The ratio the figures show for what went in between them, or 1.0 when
 * nothing measurable did. */
double compress_delta_ratio(const CompressPoolFigures *before, const CompressPoolFigures *after);
