/* SPDX-License-Identifier: MIT */
#include <blkid/blkid.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/macro.h"
#include "common/time-util.h"
#include "kernel/zram.h"
#include "pool/zram-age.h"

#define ZRAM_AGE_MIN_INTERVAL_SECS 10ULL

uint64_t zram_age_interval_secs(const ZramAgeSettings *s) {
        uint64_t age = UINT64_MAX;

        if (s->recompress)
                age = s->recompress_after_secs;
        if (s->writeback && s->writeback_after_secs < age)
                age = s->writeback_after_secs;
        if (age == UINT64_MAX)
                return 0;
        if (s->mark_by_age)
                age /= 4;
        return age > ZRAM_AGE_MIN_INTERVAL_SECS ? age : ZRAM_AGE_MIN_INTERVAL_SECS;
}

static bool day_current(const ZramAgeDay *d, uint64_t now_secs) {
        return d->start_secs != 0 && now_secs >= d->start_secs &&
               now_secs - d->start_secs < ZRAM_AGE_DAY_SECS;
}

static void day_roll(ZramAgeDay *d, uint64_t now_secs) {
        if (!day_current(d, now_secs))
                *d = (ZramAgeDay){ .start_secs = now_secs };
}

uint64_t zram_age_day_written(const ZramAgeDay *d, uint64_t now_secs) {
        return day_current(d, now_secs) ? d->written_bytes : 0;
}

uint64_t zram_age_day_allowance(ZramAgeDay *d, uint64_t now_secs, uint64_t limit_bytes) {
        day_roll(d, now_secs);
        return d->written_bytes < limit_bytes ? limit_bytes - d->written_bytes : 0;
}

void zram_age_day_add(ZramAgeDay *d, uint64_t now_secs, uint64_t written_bytes) {
        day_roll(d, now_secs);
        d->written_bytes += written_bytes;
}

const char *zram_age_pick_recompress(const char *list, const char *configured, const char *primary) {
        if (!list || !configured || streq(configured, "none"))
                return NULL;
        if (!streq(configured, "auto"))
                return zram_algorithm_offered(list, configured) ? configured : NULL;
        /* zstd is the strongest of what zram offers that still decompresses
         * a page in microseconds; nothing to gain where it is the first. */
        if (zram_algorithm_offered(list, "zstd") && !(primary && streq(primary, "zstd")))
                return "zstd";
        return NULL;
}

int zram_age_check_backing_device(const char *path, char *buf, size_t buf_size, const char **ret_why) {
        blkid_probe pr;
        struct stat st;
        const char *value = NULL;
        int r;

        if (stat(path, &st) < 0) {
                *ret_why = "it cannot be opened";
                return -errno;
        }
        if (!S_ISBLK(st.st_mode)) {
                *ret_why = "it is not a block device";
                return -ENOTBLK;
        }
        pr = blkid_new_probe_from_filename(path);
        if (!pr) {
                r = errno > 0 ? -errno : -EIO;
                /* The unit's DevicePolicy=closed lets the engine open zram
                 * devices only. */
                if (r == -EPERM || r == -EACCES) {
                        snprintf(buf, buf_size,
                                 "the engine may not open it (under the unit, allow it with a drop-in: "
                                 "DeviceAllow=%s rw)",
                                 path);
                        *ret_why = buf;
                } else
                        *ret_why = "its content cannot be read";
                return r;
        }
        (void) blkid_probe_enable_superblocks(pr, 1);
        (void) blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
        (void) blkid_probe_enable_partitions(pr, 1);
        (void) blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
        r = blkid_do_safeprobe(pr);
        if (r == 1) {
                blkid_free_probe(pr);
                return 0;
        }
        if (r == 0 && (blkid_probe_lookup_value(pr, "TYPE", &value, NULL) == 0 ||
                       blkid_probe_lookup_value(pr, "PTTYPE", &value, NULL) == 0 ||
                       blkid_probe_lookup_value(pr, "PART_ENTRY_SCHEME", &value, NULL) == 0)) {
                snprintf(buf, buf_size, "it holds a %s signature, and its content would be overwritten",
                         value);
                *ret_why = buf;
        } else
                *ret_why = r == -2 ? "it holds more than one signature, and its content would be overwritten"
                                   : "its content cannot be read";
        blkid_free_probe(pr);
        return -EBUSY;
}

/* Sums the compressed bytes of the devices. */
static uint64_t compressed_bytes(const unsigned *devices, size_t n) {
        uint64_t sum = 0;

        for (size_t i = 0; i < n; i++) {
                ZramMmStat mm;

                if (zram_read_mm_stat(devices[i], &mm) >= 0)
                        sum += mm.compr_data_bytes;
        }
        return sum;
}

static int age_write(unsigned id, const char *attr, const char *value, ZramAgeResult *ret) {
        int r = zram_write_attr(id, attr, value);

        if (r < 0) {
                ret->error = r;
                snprintf(ret->error_what, sizeof(ret->error_what), "%s %s on zram%u", attr, value, id);
        }
        return r;
}

/* Marks the pages untouched for 'age_secs' idle (and the others not);
 * false when the kernel takes no age (then it is not tried again). */
static bool mark_idle(unsigned id, uint64_t age_secs, ZramAgeSettings *s, ZramAgeResult *ret) {
        char text[32];
        int r;

        if (!s->mark_by_age)
                return false;
        snprintf(text, sizeof(text), "%" PRIu64, age_secs);
        r = zram_write_attr(id, "idle", text);
        if (r == -EINVAL) {
                log_info("zram%u does not track when its pages were used (CONFIG_ZRAM_TRACK_ENTRY_ACTIME); "
                         "idle now means untouched since the previous step.",
                         id);
                s->mark_by_age = false;
                ret->age_refused = true;
                return false;
        }
        if (r < 0) {
                ret->error = r;
                snprintf(ret->error_what, sizeof(ret->error_what), "idle %s on zram%u", text, id);
                return false;
        }
        return true;
}

static void writeback_device(unsigned id, ZramAgeSettings *s, ZramAgeResult *ret) {
        static const char *const modes[] = { "huge_idle", "idle" };
        uint64_t start = now_usec(CLOCK_MONOTONIC);
        ZramBdStat before, after;
        char text[32];
        int r;

        if (s->writeback_allowance_bytes < 4096) {
                ret->limit_reached = true;
                return;
        }
        if (zram_read_bd_stat(id, &before) < 0)
                return;
        /* Without ages, the pages marked at the previous step are the idle
         * ones; with them, those older than writeback_after_secs. */
        if (s->mark_by_age && !mark_idle(id, s->writeback_after_secs, s, ret))
                return;
        /* zram stops at its own limit (4 KiB units), what is left today. */
        snprintf(text, sizeof(text), "%" PRIu64, s->writeback_allowance_bytes / 4096);
        if (age_write(id, "writeback_limit_enable", "1", ret) < 0 ||
            age_write(id, "writeback_limit", text, ret) < 0)
                return;
        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                r = zram_write_attr(id, "writeback", modes[i]);
                if (r == -EIO) {
                        /* The limit ran out (a page that failed to write
                         * also says EIO: the written count tells). */
                        ret->limit_reached = true;
                        break;
                }
                if (r < 0) {
                        ret->error = r;
                        snprintf(ret->error_what, sizeof(ret->error_what), "writeback %s on zram%u",
                                 modes[i], id);
                        break;
                }
        }
        /* Nothing more until the next step says how much. */
        (void) age_write(id, "writeback_limit", "0", ret);
        if (zram_read_bd_stat(id, &after) >= 0 && after.written_bytes > before.written_bytes) {
                uint64_t written = after.written_bytes - before.written_bytes;

                ret->written_bytes += written;
                s->writeback_allowance_bytes -=
                        written < s->writeback_allowance_bytes ? written : s->writeback_allowance_bytes;
        }
        ret->writeback_usec += now_usec(CLOCK_MONOTONIC) - start;
}

static void recompress_device(unsigned id, ZramAgeSettings *s, ZramAgeResult *ret) {
        uint64_t cpu = now_usec(CLOCK_THREAD_CPUTIME_ID), before, after;

        before = compressed_bytes(&id, 1);
        /* Pages idle past the age; without ages, those marked at the
         * previous step. */
        if (!s->mark_by_age || mark_idle(id, s->recompress_after_secs, s, ret))
                (void) age_write(id, "recompress", "type=idle", ret);
        /* Pages the first compressor could not shrink, whatever their age:
         * each takes a whole page in the pool. */
        (void) age_write(id, "recompress", "type=huge", ret);
        after = compressed_bytes(&id, 1);
        if (before > after)
                ret->recompress_saved_bytes += before - after;
        ret->recompress_cpu_usec += now_usec(CLOCK_THREAD_CPUTIME_ID) - cpu;
}

void zram_age_run(const unsigned *devices, size_t n_devices, const ZramAgeSettings *settings,
                  ZramAgeResult *ret) {
        ZramAgeSettings s = *settings;

        *ret = (ZramAgeResult){ .ran = true };
        for (size_t i = 0; i < n_devices; i++) {
                _cleanup_free_ char *backing = NULL;
                char second[32];

                /* What each device was set up with: a pool may hold one
                 * adopted from a run with other settings. */
                if (s.writeback && zram_read_backing_dev(devices[i], &backing) >= 0)
                        writeback_device(devices[i], &s, ret);
                if (s.recompress && zram_read_recomp_algorithm(devices[i], second, sizeof(second)) >= 0)
                        recompress_device(devices[i], &s, ret);
                /* Without ages: what is still marked at the next step was
                 * untouched since now. */
                if (!s.mark_by_age)
                        (void) age_write(devices[i], "idle", "all", ret);
        }
}
