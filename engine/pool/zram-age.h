/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The pool over time: pages that stayed in it untouched are recompressed
 * with a second, stronger compressor (zram's recompress, kernels with
 * CONFIG_ZRAM_MULTI_COMP) and, where the administrator named a backing
 * device, written to it (zram's writeback, CONFIG_ZRAM_WRITEBACK) within a
 * daily limit. zram knows which pages are idle: the engine marks them
 * (writing an age in seconds to 'idle' where the kernel tracks when each
 * page was last used, CONFIG_ZRAM_TRACK_ENTRY_ACTIME; else "all", so that
 * the pages still marked at the next step were untouched since the last).
 * Huge pages (those the first compressor could not shrink) are recompressed
 * whatever their age and written back first when idle. */

#define ZRAM_AGE_DAY_SECS (24ULL * 3600ULL)

/* What one step does, as the loop hands it to a worker. */
typedef struct ZramAgeSettings {
        bool recompress; /* the pool has a second compressor (each device's own is read) */
        uint64_t recompress_after_secs;
        bool writeback; /* the pool has a backing device (each device's own is read) */
        uint64_t writeback_after_secs;
        uint64_t writeback_allowance_bytes; /* what is left of today's limit */
        bool mark_by_age; /* 'idle' takes an age: false after the kernel refused one */
} ZramAgeSettings;

/* What one step did, summed over the devices. */
typedef struct ZramAgeResult {
        bool ran;
        uint64_t recompress_saved_bytes; /* compressed bytes before minus after */
        uint64_t recompress_cpu_usec; /* the worker's CPU (the kernel recompresses in it) */
        uint64_t written_bytes; /* to the backing device */
        uint64_t writeback_usec; /* wall-clock time writing */
        bool limit_reached; /* the allowance ran out */
        bool age_refused; /* the kernel does not take an age: mark "all" from now on */
        int error; /* the last failure, negative; 0 */
        char error_what[96]; /* what failed: "recompress type=idle on zram1" */
} ZramAgeResult;

/* Runs one step on the devices: per device, the writeback of pages idle
 * past writeback_after_secs (huge ones first) within the allowance, then
 * the recompression of pages idle past recompress_after_secs and of every
 * huge page; without ages, marks everything idle for the next step. Blocks
 * for as long as the kernel works (call it from a worker). */
void zram_age_run(const unsigned *devices, size_t n_devices, const ZramAgeSettings *s, ZramAgeResult *ret);

/* How often steps run: the smaller of the ages in use (a quarter of it
 * where the kernel tracks ages, so that a page goes about when it reaches
 * its age), never under 10 s. 0 when neither recompression nor writeback
 * is in use. */
uint64_t zram_age_interval_secs(const ZramAgeSettings *s);

/* The daily writeback limit: the day starts with the first writeback (or
 * when the clock jumped back), and lasts ZRAM_AGE_DAY_SECS. */
typedef struct ZramAgeDay {
        uint64_t start_secs; /* CLOCK_REALTIME; 0: no day begun */
        uint64_t written_bytes;
} ZramAgeDay;

/* Rolls the day over where it ended, and returns what is left of
 * 'limit_bytes' today. */
uint64_t zram_age_day_allowance(ZramAgeDay *d, uint64_t now_secs, uint64_t limit_bytes);

/* What was written in the day, 0 once it ended; changes nothing. */
uint64_t zram_age_day_written(const ZramAgeDay *d, uint64_t now_secs);

/* Counts what a step wrote. */
void zram_age_day_add(ZramAgeDay *d, uint64_t now_secs, uint64_t written_bytes);

/* The compressor the devices recompress with: 'configured' where it is not
 * "auto" or "none" and the list offers it; for "auto" zstd where the list
 * offers it and it is not the first compressor already. NULL for none. */
const char *zram_age_pick_recompress(const char *list, const char *configured, const char *primary);

/* Whether a device may back the pool: a block device carrying no
 * filesystem, partition table, swap or RAID signature (its content would be
 * overwritten). 0, or a negative errno with *ret_why (static text, or the
 * signature found, in 'buf') saying why not. */
int zram_age_check_backing_device(const char *path, char *buf, size_t buf_size, const char **ret_why);
