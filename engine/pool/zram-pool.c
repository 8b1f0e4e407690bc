/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/swap.h>
#include <time.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "common/time-util.h"
#include "kernel/meminfo.h"
#include "kernel/swap-header.h"
#include "kernel/swaps.h"
#include "kernel/zram.h"
#include "kernel/zswap.h"
#include "pool/zram-age.h"
#include "pool/zram-pool.h"
#include "state/state-file.h"

#define SWAP_LABEL "wolfram"
#define MIB ((uint64_t) 1024 * 1024)

uint64_t zram_pool_next_budget(uint64_t budget_bytes, uint64_t used_bytes, uint64_t initial_bytes,
                               uint64_t cap_bytes, unsigned grow_at_percent, unsigned shrink_at_percent) {
        uint64_t next = budget_bytes;

        if (used_bytes * 100 > budget_bytes * grow_at_percent)
                next = budget_bytes * 2;
        else if (used_bytes * 100 < budget_bytes * shrink_at_percent)
                next = budget_bytes / 2;

        /* Never so small that what is in use is already past the grow line,
         * or the next check would double it again. */
        if (grow_at_percent > 0 && next < (used_bytes * 100 + grow_at_percent - 1) / grow_at_percent)
                next = (used_bytes * 100 + grow_at_percent - 1) / grow_at_percent;
        if (next < initial_bytes)
                next = initial_bytes;
        if (next > cap_bytes)
                next = cap_bytes;
        if (next < used_bytes)
                next = used_bytes;
        return next;
}

bool zram_pool_swapoff_safe(uint64_t available_bytes, uint64_t stored_bytes, uint64_t margin_bytes) {
        return available_bytes >= stored_bytes && available_bytes - stored_bytes >= margin_bytes;
}

int zram_pool_init(ZramPool *p, const char *runtime_dir) {
        *p = (ZramPool){};
        if (asprintf(&p->state_file, "%s/%s", runtime_dir, ZRAM_POOL_STATE_FILE) < 0) {
                p->state_file = NULL;
                return -ENOMEM;
        }
        return 0;
}

void zram_pool_done(ZramPool *p) {
        free(p->state_file);
        free(p->devices);
        free(p->note);
        free(p->backing_device);
        free(p->ageing_note);
        *p = (ZramPool){};
}

/* Adds a sentence to '*note' ("; " between two), or with 'fmt' NULL
 * clears it; returns the sentence added (NULL when none). */
_printf_(2, 0) static const char *note_add(char **note, const char *fmt, va_list ap) {
        char *s = NULL, *joined;

        if (!fmt) {
                free(*note);
                *note = NULL;
                return NULL;
        }
        if (vasprintf(&s, fmt, ap) < 0)
                return NULL;
        if (!*note) {
                *note = s;
                return s;
        }
        if (asprintf(&joined, "%s; %s", *note, s) < 0) {
                free(s);
                return NULL;
        }
        free(*note);
        *note = joined;
        /* The sentence is the tail of the joined note. */
        joined += strlen(joined) - strlen(s);
        free(s);
        return joined;
}

/* Adds a sentence to the note; NULL clears it. */
_printf_(2, 3) static void pool_add_note(ZramPool *p, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void) note_add(&p->note, fmt, ap);
        va_end(ap);
}

bool zram_pool_owns(const ZramPool *p, unsigned id) {
        for (size_t i = 0; i < p->n_devices; i++)
                if (p->devices[i] == id)
                        return true;
        return false;
}

/* zram keeps mem_limit in pages; a budget in whole pages is what it shows. */
static uint64_t percent_of_ram_pages(const ZramPool *p, unsigned percent) {
        uint64_t page = (uint64_t) sysconf(_SC_PAGESIZE);
        return p->ram_bytes / 100 * percent / page * page;
}

uint64_t zram_pool_cap_bytes(const ZramPool *p, const Config *c) {
        return percent_of_ram_pages(p, c->zram_max_percent);
}

static uint64_t pool_initial_bytes(const ZramPool *p, const Config *c) {
        return percent_of_ram_pages(p, c->zram_initial_percent);
}

/* The devices and what to restore, so a successor can take over. Written
 * before each change it describes. */
static int pool_state_write(const ZramPool *p) {
        char text[4096];
        size_t len = 0;
        int r;

        if (p->n_devices == 0 && !p->zswap_changed) {
                if (unlink(p->state_file) < 0 && errno != ENOENT)
                        return log_warning_errno(errno, "Failed to remove %s: %m", p->state_file);
                return 0;
        }
        for (size_t i = 0; i < p->n_devices && len < sizeof(text) - 64; i++)
                len += (size_t) snprintf(text + len, sizeof(text) - len, "device=%u\n", p->devices[i]);
        if (p->zswap_changed)
                len += (size_t) snprintf(text + len, sizeof(text) - len, "zswap_original=%c\n",
                                         p->zswap_original ? 'Y' : 'N');
        r = write_file_atomic(p->state_file, text);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", p->state_file);
        return 0;
}

static int pool_add_device(ZramPool *p, unsigned id) {
        unsigned *l = realloc(p->devices, (p->n_devices + 1) * sizeof(unsigned));

        if (!l)
                return -ENOMEM;
        l[p->n_devices++] = id;
        p->devices = l;
        return 0;
}

static void pool_forget_device(ZramPool *p, unsigned id) {
        if (p->backing_device && p->backing_id == id) {
                free(p->backing_device);
                p->backing_device = NULL;
        }
        for (size_t i = 0; i < p->n_devices; i++)
                if (p->devices[i] == id) {
                        memmove(p->devices + i, p->devices + i + 1,
                                (p->n_devices - i - 1) * sizeof(unsigned));
                        p->n_devices--;
                        return;
                }
}

static void device_path(unsigned id, char path[static 32]) {
        snprintf(path, 32, "/dev/zram%u", id);
}

/* Resets and removes a device, but only an empty one: nothing in it but
 * the swap header page we wrote. */
static int device_destroy(unsigned id) {
        ZramDevice d;
        int r;

        r = zram_read_device(id, &d);
        if (r < 0)
                return r;
        if (d.mm.orig_data_bytes > (uint64_t) sysconf(_SC_PAGESIZE))
                return log_error_errno(EBUSY, "zram%u still holds %" PRIu64 " bytes, not resetting it.", id,
                                       d.mm.orig_data_bytes);
        /* hot_remove resets the device itself, and refuses one that is
         * open: no moment where a reset device is left behind. */
        r = zram_hot_remove(id);
        if (r < 0)
                return log_warning_errno(r, "Failed to remove zram%u: %m", id);
        return 0;
}

static int pool_swap_priority(const ZramPool *p, const Config *c) {
        SwapList swaps = {};
        int prio = c->zram_swap_priority, max_other = -1;

        if (swaps_read(&swaps) >= 0) {
                for (size_t i = 0; i < swaps.n_entries; i++) {
                        unsigned id;
                        bool ours = sscanf(swaps.entries[i].path, "/dev/zram%u", &id) == 1 &&
                                    zram_pool_owns(p, id);

                        if (!ours && swaps.entries[i].priority > max_other)
                                max_other = swaps.entries[i].priority;
                }
                swap_list_done(&swaps);
        }
        /* Above every swap we did not make, so pages land in RAM first. */
        if (prio <= max_other)
                prio = max_other < 32767 ? max_other + 1 : 32767;
        return prio;
}

static int device_write_signature(unsigned id, uint64_t disksize) {
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ void *page = NULL;
        _cleanup_close_ int fd = -EBADF;
        long page_size = sysconf(_SC_PAGESIZE);
        uint8_t uuid[16];
        char dev[32];
        int r;

        device_path(id, dev);
        path = root_path(dev);
        page = calloc(1, (size_t) page_size);
        if (!path || !page)
                return -ENOMEM;
        r = swap_uuid_random(uuid);
        if (r < 0)
                return r;
        r = swap_header_build(page, (size_t) page_size, disksize, uuid, SWAP_LABEL);
        if (r < 0)
                return r;
        fd = open(path, O_WRONLY | O_CLOEXEC | O_EXCL);
        if (fd < 0)
                return -errno;
        if (pwrite(fd, page, (size_t) page_size, 0) != page_size)
                return errno ? -errno : -EIO;
        if (fsync(fd) < 0)
                return -errno;
        return 0;
}

/* Adds a sentence to the ageing note (NULL clears it), and logs it. */
_printf_(2, 3) static void pool_ageing_note(ZramPool *p, const char *fmt, ...) {
        const char *added;
        va_list ap;

        va_start(ap, fmt);
        added = note_add(&p->ageing_note, fmt, ap);
        va_end(ap);
        if (added)
                log_warning("%s.", added);
}

/* Before the device's size is set (zram takes neither later): the second
 * compressor and the backing device the configuration asks for, where the
 * kernel has them. What cannot be had is said in the ageing note; the
 * device works without it. */
static void pool_setup_ageing(ZramPool *p, const Config *c, unsigned id, const char *algorithms) {
        const char *wanted = config_zram_recompress_algorithm(c), *recompress, *why;
        char text[64], buf[128];
        int r;

        pool_ageing_note(p, NULL);
        p->recompress_algorithm[0] = 0;
        recompress = zram_age_pick_recompress(algorithms, wanted, p->algorithm);
        if (!streq(wanted, "none") && !zram_has_attr(id, "recomp_algorithm")) {
                if (!streq(wanted, "auto"))
                        pool_ageing_note(p,
                                         "recompress_algorithm=%s: this kernel cannot recompress zram pages "
                                         "(CONFIG_ZRAM_MULTI_COMP)",
                                         wanted);
        } else if (!streq(wanted, "none") && !streq(wanted, "auto") && !recompress)
                pool_ageing_note(p,
                                 "recompress_algorithm=%s: the kernel offers no such compressor (only: %s)",
                                 wanted, algorithms);
        else if (recompress) {
                snprintf(text, sizeof(text), "algo=%s priority=1", recompress);
                r = zram_write_attr(id, "recomp_algorithm", text);
                if (r < 0)
                        pool_ageing_note(p, "Failed to set %s as zram%u's second compressor: %s", recompress,
                                         id, strerror(-r));
                else
                        snprintf(p->recompress_algorithm, sizeof(p->recompress_algorithm), "%s", recompress);
        }

        if (!c->zram_writeback_device || !*c->zram_writeback_device || p->backing_device)
                return;
        /* What the administrator named comes first: a device with data on
         * it is refused on every kernel. */
        r = zram_age_check_backing_device(c->zram_writeback_device, buf, sizeof(buf), &why);
        if (r < 0) {
                pool_ageing_note(p, "writeback_device=%s refused: %s", c->zram_writeback_device, why);
                return;
        }
        if (!zram_has_attr(id, "backing_dev")) {
                pool_ageing_note(p,
                                 "writeback_device=%s: this kernel cannot write zram pages back "
                                 "(CONFIG_ZRAM_WRITEBACK)",
                                 c->zram_writeback_device);
                return;
        }
        r = zram_write_attr(id, "backing_dev", c->zram_writeback_device);
        if (r < 0) {
                pool_ageing_note(p, "writeback_device=%s: zram%u cannot use it: %s",
                                 c->zram_writeback_device, id, strerror(-r));
                return;
        }
        p->backing_device = strdup(c->zram_writeback_device);
        p->backing_id = id;
        if (!p->backing_device)
                log_oom();
}

/* A device adopted from a previous run keeps what it was set up with. */
static void pool_read_ageing(ZramPool *p, unsigned id) {
        char *backing = NULL;

        if (!p->backing_device && zram_read_backing_dev(id, &backing) >= 0) {
                p->backing_device = backing;
                p->backing_id = id;
        }
        if (!p->recompress_algorithm[0])
                (void) zram_read_recomp_algorithm(id, p->recompress_algorithm,
                                                  sizeof(p->recompress_algorithm));
}

static int pool_create_device(ZramPool *p, const Config *c) {
        _cleanup_free_ char *algorithms = NULL, *path = NULL;
        uint64_t start = now_usec(CLOCK_MONOTONIC);
        uint64_t disksize;
        const char *algorithm;
        char text[32], dev[32];
        unsigned id;
        int prio, r;

        r = zram_hot_add(&id);
        if (r < 0)
                return log_error_errno(r, "Failed to create a zram device: %m");
        /* Recorded before it is set up: a crash from here on leaves a device
         * the next start knows is ours. */
        r = pool_add_device(p, id);
        if (r >= 0)
                r = pool_state_write(p);
        if (r < 0)
                goto fail;

        r = zram_read_algorithms(id, &algorithms);
        if (r >= 0)
                algorithms[strcspn(algorithms, "\n")] = 0;
        algorithm = r >= 0 ? zram_pick_algorithm(algorithms, config_zram_algorithm(c)) : NULL;
        if (algorithm) {
                if (!streq(config_zram_algorithm(c), "auto") && !streq(algorithm, config_zram_algorithm(c)))
                        log_warning("The kernel offers no %s for zram (only: %s), using %s.",
                                    config_zram_algorithm(c), algorithms, algorithm);
                r = zram_write_attr(id, "comp_algorithm", algorithm);
                if (r < 0)
                        log_warning_errno(r, "Failed to set compressor %s on zram%u, using the default: %m",
                                          algorithm, id);
        }
        if (!algorithm || r < 0) {
                free(algorithms);
                algorithms = NULL;
                algorithm = zram_read_algorithms(id, &algorithms) >= 0
                                    ? zram_pick_algorithm(algorithms, NULL)
                                    : "?";
        }
        snprintf(p->algorithm, sizeof(p->algorithm), "%s", algorithm ?: "?");
        pool_setup_ageing(p, c, id, algorithms ?: "");

        /* Room for everything the cap could hold at 2:1; the budget
         * (mem_limit) is what bounds the RAM taken. */
        disksize = zram_pool_cap_bytes(p, c) * 2 / MIB * MIB;
        snprintf(text, sizeof(text), "%" PRIu64, disksize);
        r = zram_write_attr(id, "disksize", text);
        if (r < 0) {
                log_error_errno(r, "Failed to set the size of zram%u to %" PRIu64 ": %m", id, disksize);
                goto fail;
        }
        snprintf(text, sizeof(text), "%" PRIu64, p->budget_bytes);
        r = zram_write_attr(id, "mem_limit", text);
        if (r < 0) {
                log_error_errno(r, "Failed to set mem_limit of zram%u: %m", id);
                goto fail;
        }
        if (p->backing_device && p->backing_id == id) {
                /* Nothing is written back until a step says how much. */
                (void) zram_write_attr(id, "writeback_limit_enable", "1");
                (void) zram_write_attr(id, "writeback_limit", "0");
        }
        r = device_write_signature(id, disksize);
        if (r < 0) {
                log_error_errno(r, "Failed to write the swap signature to zram%u: %m", id);
                goto fail;
        }

        prio = pool_swap_priority(p, c);
        device_path(id, dev);
        path = root_path(dev);
        if (!path) {
                r = -ENOMEM;
                goto fail;
        }
        if (swapon(path, SWAP_FLAG_PREFER | (prio & SWAP_FLAG_PRIO_MASK) | SWAP_FLAG_DISCARD) < 0) {
                r = log_error_errno(errno, "Failed to turn on swap on %s: %m", dev);
                goto fail;
        }
        p->swap_priority = prio;
        log_info("Created zram%u in %.1f ms: %s, %" PRIu64 " MiB of swap, RAM budget %" PRIu64
                 " MiB, priority %d.",
                 id, (double) (now_usec(CLOCK_MONOTONIC) - start) / 1000.0, p->algorithm, disksize / MIB,
                 p->budget_bytes / MIB, prio);
        return 0;

fail:
        if (zram_pool_owns(p, id) && device_destroy(id) >= 0) {
                pool_forget_device(p, id);
                (void) pool_state_write(p);
        }
        return r;
}

/* Whether device 'id' carries the swap signature the engine writes (its
 * label): a device listed in the state file may since have been removed
 * and another made under the same number, by an admin or zram-generator.
 * Returns 1 when it is the engine's, 0 when not, or a negative errno. */
static int device_has_signature(unsigned id) {
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ void *page = NULL;
        _cleanup_close_ int fd = -EBADF;
        long page_size = sysconf(_SC_PAGESIZE);
        char dev[32], label[SWAP_LABEL_MAX];
        uint8_t uuid[16];
        ssize_t n;

        device_path(id, dev);
        path = root_path(dev);
        page = malloc((size_t) page_size);
        if (!path || !page)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        n = pread(fd, page, (size_t) page_size, 0);
        if (n < 0)
                return -errno;
        if (n != page_size || swap_header_parse(page, (size_t) page_size, label, uuid) < 0)
                return 0;
        return streq(label, SWAP_LABEL);
}

int zram_pool_state_parse(const char *buf, size_t len, ZramPoolState *ret) {
        ZramPoolState st = {};
        const char *line;
        size_t pos = 0, line_len;

        while (next_line(buf, len, &pos, &line, &line_len)) {
                uint64_t id;

                if (line_len == 16 && memcmp(line, "zswap_original=", 15) == 0) {
                        st.zswap_changed = true;
                        st.zswap_original = line[15] == 'Y';
                        continue;
                }
                if (line_len < 8 || memcmp(line, "device=", 7) != 0 ||
                    parse_u64(line + 7, line_len - 7, &id) < 0 || id > 0xFFFF ||
                    st.n_devices >= ZRAM_POOL_STATE_DEVICES_MAX) {
                        st.n_ignored++;
                        continue;
                }
                st.devices[st.n_devices++] = (unsigned) id;
        }
        *ret = st;
        return 0;
}

/* Takes over what a previous run recorded, and only devices that carry
 * the engine's signature. */
static int pool_adopt(ZramPool *p, const SwapList *swaps) {
        _cleanup_free_ char *buf = NULL;
        ZramPoolState st;
        size_t size;
        int r;

        r = read_full_file(p->state_file, &buf, &size);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "Failed to read %s: %m", p->state_file);
        (void) zram_pool_state_parse(buf, size, &st);
        if (st.n_ignored > 0)
                log_warning("Ignoring %zu lines of %s that name no device.", st.n_ignored, p->state_file);
        if (st.zswap_changed) {
                p->zswap_changed = true;
                p->zswap_original = st.zswap_original;
        }

        for (size_t i = 0; i < st.n_devices; i++) {
                unsigned id = st.devices[i];
                char dev[32];
                ZramDevice d;

                device_path(id, dev);
                if (zram_read_device(id, &d) < 0) {
                        log_info("zram%u of a previous run is gone.", id);
                        continue;
                }
                /* Swap is taken over only when it carries the engine's label:
                 * the number may since belong to someone else's device. */
                if (swap_list_find(swaps, dev) && (r = device_has_signature(id)) <= 0) {
                        if (r < 0)
                                log_warning_errno(
                                        r, "Failed to read zram%u's swap header (%m); leaving it alone.",
                                        id);
                        else
                                log_warning("zram%u is not the one a previous run made (it does not carry "
                                            "wolfram's swap label); leaving it alone.",
                                            id);
                        continue;
                }
                if (swap_list_find(swaps, dev)) {
                        r = pool_add_device(p, id);
                        if (r < 0)
                                return r;
                        log_info("Adopted zram%u of a previous run (%" PRIu64 " MiB stored).", id,
                                 d.mm.orig_data_bytes / MIB);
                        pool_read_ageing(p, id);
                        pool_add_note(p, "zram%u adopted from a previous run", id);
                } else if (d.mm.orig_data_bytes <= (uint64_t) sysconf(_SC_PAGESIZE)) {
                        /* Made but never turned on, or turned off but not yet
                         * removed: nothing in it to lose (hot_remove refuses
                         * a device someone has open). */
                        if (device_destroy(id) >= 0)
                                log_info("Removed zram%u, left half set up by a previous run.", id);
                } else
                        log_warning("zram%u of a previous run holds data but is not swap; leaving it alone.",
                                    id);
        }
        return 0;
}

int zram_pool_stats(const ZramPool *p, ZramPoolStats *ret) {
        ZramPoolStats s = {};

        for (size_t i = 0; i < p->n_devices; i++) {
                ZramDevice d;
                int r = zram_read_device(p->devices[i], &d);

                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                s.orig_data_bytes += d.mm.orig_data_bytes;
                s.compr_data_bytes += d.mm.compr_data_bytes;
                s.mem_used_bytes += d.mm.mem_used_total_bytes;
                s.same_pages += d.mm.same_pages;
                s.disksize_bytes += d.disksize_bytes;
        }
        *ret = s;
        return 0;
}

void zram_pool_stats_from(const ZramPool *p, const ZramDevice *devices, size_t n_devices,
                          ZramPoolStats *ret) {
        ZramPoolStats s = {};

        for (size_t i = 0; i < p->n_devices; i++)
                for (size_t j = 0; j < n_devices; j++) {
                        const ZramDevice *d = &devices[j];

                        if (d->id != p->devices[i])
                                continue;
                        s.orig_data_bytes += d->mm.orig_data_bytes;
                        s.compr_data_bytes += d->mm.compr_data_bytes;
                        s.mem_used_bytes += d->mm.mem_used_total_bytes;
                        s.same_pages += d->mm.same_pages;
                        s.disksize_bytes += d->disksize_bytes;
                }
        *ret = s;
}

/* Gives the newest device what the budget leaves after the others. */
static int pool_apply_budget(ZramPool *p) {
        uint64_t others = 0, limit;
        char text[32];
        unsigned newest;

        if (p->n_devices == 0)
                return 0;
        newest = p->devices[p->n_devices - 1];
        for (size_t i = 0; i + 1 < p->n_devices; i++) {
                ZramDevice d;
                if (zram_read_device(p->devices[i], &d) >= 0)
                        others += d.mm.mem_used_total_bytes;
        }
        limit = p->budget_bytes > others ? p->budget_bytes - others : 1;
        snprintf(text, sizeof(text), "%" PRIu64, limit);
        return zram_write_attr(newest, "mem_limit", text);
}

static void pool_zswap_off(ZramPool *p) {
        int enabled;

        if (zswap_pinned()) {
                pool_add_note(p,
                              "zswap.enabled= is set on the kernel command line, so zswap is left as it is");
                log_notice("zswap.enabled= is set on the kernel command line; leaving zswap as it is.");
                return;
        }
        enabled = zswap_read_enabled();
        if (enabled <= 0)
                return; /* off already, or no zswap */
        if (!p->zswap_changed) {
                p->zswap_changed = true;
                p->zswap_original = true;
                if (pool_state_write(p) < 0) {
                        p->zswap_changed = false;
                        return;
                }
        }
        if (zswap_write_enabled(false) < 0)
                log_warning("Failed to turn zswap off; zswap and zram will both compress.");
        else
                log_info("Turned zswap off while the zram pool is active.");
}

static void pool_zswap_restore(ZramPool *p) {
        if (!p->zswap_changed)
                return;
        if (zswap_write_enabled(p->zswap_original) < 0)
                log_warning("Failed to restore zswap to %s.", p->zswap_original ? "on" : "off");
        else
                log_info("Restored zswap to %s.", p->zswap_original ? "on" : "off");
        p->zswap_changed = false;
}

int zram_pool_start(ZramPool *p, const Config *c) {
        _cleanup_(swap_list_done) SwapList swaps = {};
        ZramPoolStats stats;
        MemInfo m;
        int r;

        r = meminfo_read(&m);
        if (r < 0)
                return log_error_errno(r, "Failed to read /proc/meminfo: %m");
        p->ram_bytes = m.total_bytes;
        pool_add_note(p, NULL);

        r = swaps_read(&swaps);
        if (r < 0)
                return log_error_errno(r, "Failed to read /proc/swaps: %m");
        r = pool_adopt(p, &swaps);
        if (r < 0)
                return r;

        p->budget_bytes = pool_initial_bytes(p, c);
        if (p->n_devices > 0) {
                char *list = NULL;
                (void) zram_read_algorithms(p->devices[p->n_devices - 1], &list);
                const char *open_bracket = list ? strchr(list, '[') : NULL;
                if (open_bracket)
                        snprintf(p->algorithm, sizeof(p->algorithm), "%.*s",
                                 (int) strcspn(open_bracket + 1, "]"), open_bracket + 1);
                free(list);
                if (zram_pool_stats(p, &stats) >= 0)
                        p->budget_bytes =
                                zram_pool_next_budget(p->budget_bytes, stats.mem_used_bytes,
                                                      pool_initial_bytes(p, c), zram_pool_cap_bytes(p, c),
                                                      c->zram_grow_at_percent, c->zram_shrink_at_percent);
                r = pool_apply_budget(p);
                if (r < 0)
                        log_warning_errno(r, "Failed to set the budget of the adopted pool, ignoring: %m");
        } else {
                r = pool_create_device(p, c);
                if (r < 0)
                        return r;
        }

        pool_zswap_off(p);
        return pool_state_write(p);
}

int zram_pool_adjust(ZramPool *p, const Config *c) {
        ZramPoolStats stats;
        uint64_t next;
        int r;

        if (p->n_devices == 0)
                return 0;
        r = zram_pool_stats(p, &stats);
        if (r < 0)
                return log_warning_errno(r, "Failed to read the pool's devices: %m");

        next = zram_pool_next_budget(p->budget_bytes, stats.mem_used_bytes, pool_initial_bytes(p, c),
                                     zram_pool_cap_bytes(p, c), c->zram_grow_at_percent,
                                     c->zram_shrink_at_percent);
        if (next == p->budget_bytes)
                return 0;

        log_info("Pool budget %" PRIu64 " MiB -> %" PRIu64 " MiB (%" PRIu64 " MiB in use).",
                 p->budget_bytes / MIB, next / MIB, stats.mem_used_bytes / MIB);
        p->budget_bytes = next;
        r = pool_apply_budget(p);
        if (r < 0)
                return log_warning_errno(r, "Failed to apply the pool budget: %m");
        return 1;
}

int zram_pool_stop_plan(ZramPool *p, const Config *c, ZramPoolStop *ret) {
        _cleanup_(swap_list_done) SwapList swaps = {};
        ZramPoolStop s = { .done_fd = -EBADF };
        uint64_t available = 0, margin = (uint64_t) c->zram_swapoff_margin_mib * MIB;
        bool have_meminfo = false;
        int meminfo_error = 0, r;

        r = swaps_read(&swaps);
        if (r < 0) {
                /* Without knowing what each device holds, none is safe to
                 * turn off. */
                pool_add_note(p, "the pool was kept at stop: /proc/swaps could not be read (%s)",
                              strerror(-r));
                log_warning("%s.", p->note);
                *ret = s;
                return 0;
        }
        s.devices = calloc(p->n_devices ?: 1, sizeof(ZramPoolStopDevice));
        if (!s.devices)
                return -ENOMEM;

        /* The last made first; each swapoff takes what the device holds
         * out of the memory that the next one may count on. */
        for (size_t i = p->n_devices; i > 0; i--) {
                ZramPoolStopDevice *d = &s.devices[s.n_devices];
                const SwapEntry *e;
                char dev[32];

                *d = (ZramPoolStopDevice){ .id = p->devices[i - 1] };
                device_path(d->id, dev);
                e = swap_list_find(&swaps, dev);
                if (e) {
                        if (!have_meminfo) {
                                MemInfo m;

                                meminfo_error = meminfo_read(&m);
                                have_meminfo = true;
                                available = meminfo_error >= 0 ? m.available_bytes : 0;
                        }
                        if (meminfo_error < 0) {
                                pool_add_note(p, "zram%u kept as swap: /proc/meminfo could not be read (%s)",
                                              d->id, strerror(-meminfo_error));
                                log_warning("%s.", p->note);
                                continue;
                        }
                        if (!zram_pool_swapoff_safe(available, e->used_bytes, margin)) {
                                pool_add_note(p,
                                              "zram%u kept as swap: it holds %" PRIu64
                                              " MiB and only %" PRIu64
                                              " MiB of memory is available (margin %" PRIu64
                                              " MiB); the next start adopts it",
                                              d->id, e->used_bytes / MIB, available / MIB, margin / MIB);
                                log_warning("%s.", p->note);
                                continue;
                        }
                        available -= e->used_bytes;
                        d->stored_bytes = e->used_bytes;
                        d->path = root_path(dev);
                        if (!d->path) {
                                zram_pool_stop_done(&s);
                                return -ENOMEM;
                        }
                }
                s.n_devices++;
        }
        *ret = s;
        return 0;
}

void zram_pool_stop_swapoff(ZramPoolStop *s) {
        for (size_t i = 0; i < s->n_devices; i++) {
                ZramPoolStopDevice *d = &s->devices[i];
                uint64_t start = now_usec(CLOCK_MONOTONIC);

                if (d->path && swapoff(d->path) < 0)
                        d->error = -errno;
                d->duration_usec = now_usec(CLOCK_MONOTONIC) - start;
        }
}

static void *stop_thread(void *userdata) {
        ZramPoolStop *s = userdata;
        uint64_t one = 1;

        zram_pool_stop_swapoff(s);
        (void) !write(s->done_fd, &one, sizeof(one));
        return NULL;
}

int zram_pool_stop_start(ZramPoolStop *s) {
        int r;

        s->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->done_fd < 0)
                return -errno;
        r = -pthread_create(&s->thread, NULL, stop_thread, s);
        if (r < 0) {
                close(s->done_fd);
                s->done_fd = -EBADF;
                return r;
        }
        s->running = true;
        return 0;
}

int zram_pool_stop_finish(ZramPool *p, ZramPoolStop *s) {
        if (s->running) {
                (void) pthread_join(s->thread, NULL);
                s->running = false;
        }
        for (size_t i = 0; i < s->n_devices; i++) {
                const ZramPoolStopDevice *d = &s->devices[i];

                if (d->error < 0) {
                        pool_add_note(p, "zram%u kept as swap: swapoff failed: %s", d->id,
                                      strerror(-d->error));
                        log_warning("%s.", p->note);
                        continue;
                }
                if (device_destroy(d->id) < 0) {
                        pool_add_note(p, "zram%u could not be removed; see the log", d->id);
                        continue;
                }
                log_info("Removed zram%u in %.1f ms (%" PRIu64 " MiB came back to RAM).", d->id,
                         (double) d->duration_usec / 1000.0, d->stored_bytes / MIB);
                pool_forget_device(p, d->id);
        }

        if (p->n_devices == 0)
                pool_zswap_restore(p);
        (void) pool_state_write(p);
        return (int) p->n_devices;
}

void zram_pool_stop_done(ZramPoolStop *s) {
        if (s->running) {
                (void) pthread_join(s->thread, NULL);
                s->running = false;
        }
        for (size_t i = 0; i < s->n_devices; i++)
                free(s->devices[i].path);
        free(s->devices);
        s->devices = NULL;
        s->n_devices = 0;
        if (s->done_fd >= 0)
                close(s->done_fd);
        s->done_fd = -EBADF;
}

int zram_pool_stop(ZramPool *p, const Config *c) {
        _cleanup_(zram_pool_stop_done) ZramPoolStop s = { .done_fd = -EBADF };
        int r;

        r = zram_pool_stop_plan(p, c, &s);
        if (r < 0)
                return r;
        if (!s.devices)
                return (int) p->n_devices; /* /proc/swaps unreadable: all kept */
        zram_pool_stop_swapoff(&s);
        return zram_pool_stop_finish(p, &s);
}
