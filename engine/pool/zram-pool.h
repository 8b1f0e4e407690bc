/* SPDX-License-Identifier: MIT */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "kernel/zram.h"

/* wolfram's compressed swap in RAM: zram devices it created and owns. The
 * pool's budget is the RAM its devices may take (their mem_limit): it
 * starts at initial_percent of RAM, doubles when use passes grow_at_percent
 * of it, halves when use falls under shrink_at_percent, and stays between
 * the initial size and max_percent of RAM. Lowering a limit never pushes
 * data out, so shrinking loses nothing. */
typedef struct ZramPool {
        char *state_file;
        unsigned *devices; /* owned device ids, oldest first */
        size_t n_devices;
        uint64_t ram_bytes;
        uint64_t budget_bytes;
        char algorithm[32];
        int swap_priority;
        char *note; /* something the user should know: a kept device, zswap pinned */
        /* Ageing (pool/zram-age.h): the second compressor the devices
         * recompress with ("" none), the backing device one of them writes
         * idle pages to (NULL none), and why either is missing where the
         * configuration asked for it (NULL when nothing to say). */
        char recompress_algorithm[32];
        char *backing_device;
        unsigned backing_id;
        char *ageing_note;
        /* zswap as the engine found it, to put back on stop */
        bool zswap_changed;
        bool zswap_original;
} ZramPool;

/* Name of the state file (in the runtime directory). */
#define ZRAM_POOL_STATE_FILE "zram-pool.state"

/* What the state file records: lines "device=N" and "zswap_original=Y|N". */
#define ZRAM_POOL_STATE_DEVICES_MAX 64
typedef struct ZramPoolState {
        unsigned devices[ZRAM_POOL_STATE_DEVICES_MAX];
        size_t n_devices;
        bool zswap_changed;
        bool zswap_original;
        size_t n_ignored; /* lines that name nothing, and devices past the most kept */
} ZramPoolState;

/* Parses the state file's text; never fails (0): what it cannot use is
 * counted in n_ignored. */
int zram_pool_state_parse(const char *buf, size_t len, ZramPoolState *ret);

/* Sets up paths; touches nothing. */
int zram_pool_init(ZramPool *p, const char *runtime_dir);

/* Adopts the devices a previous run recorded (still active swap), else
 * creates one; turns zswap off unless it is pinned on the kernel command
 * line. Returns 0 or a negative errno (then the pool is empty and nothing
 * is left behind). */
int zram_pool_start(ZramPool *p, const Config *c);

/* Moves the budget after the devices' memory use. Returns 1 when it
 * changed, 0 when not, or a negative errno. */
int zram_pool_adjust(ZramPool *p, const Config *c);

/* Turns swap off and removes each device whose content fits into available
 * memory with the configured margin; a device that does not stays active
 * and recorded (the next start adopts it) and the note says why. Restores
 * zswap once no device is left. Returns the number of devices kept. */
int zram_pool_stop(ZramPool *p, const Config *c);

/* The same stop in three steps, so that the slow part runs off the loop:
 * swapoff brings every page a device holds back into RAM, seconds for a
 * full pool. The plan (on the loop) reads /proc/swaps and meminfo, writes
 * the notes for what is kept, and lists what to turn off; the swapoffs
 * touch only the plan, in a thread of their own that writes done_fd when
 * they are done; the finish (on the loop, after joining) removes the
 * devices that are off and restores zswap. */
typedef struct ZramPoolStopDevice {
        unsigned id;
        char *path; /* to turn off first; NULL: not swap, removed at once */
        uint64_t stored_bytes;
        uint64_t duration_usec;
        int error; /* swapoff's, negative */
} ZramPoolStopDevice;

typedef struct ZramPoolStop {
        ZramPoolStopDevice *devices; /* NULL when nothing could be planned */
        size_t n_devices;
        pthread_t thread;
        bool running;
        int done_fd;
} ZramPoolStop;

int zram_pool_stop_plan(ZramPool *p, const Config *c, ZramPoolStop *ret);
void zram_pool_stop_swapoff(ZramPoolStop *s);
int zram_pool_stop_start(ZramPoolStop *s);
/* Joins the thread if one runs; returns the number of devices kept. */
int zram_pool_stop_finish(ZramPool *p, ZramPoolStop *s);
void zram_pool_stop_done(ZramPoolStop *s);

/* Frees what the pool holds (the devices stay as they are). */
void zram_pool_done(ZramPool *p);

/* The pool's figures, summed over its devices. */
typedef struct ZramPoolStats {
        uint64_t orig_data_bytes;
        uint64_t compr_data_bytes;
        uint64_t mem_used_bytes;
        uint64_t same_pages;
        uint64_t disksize_bytes;
} ZramPoolStats;

/* Reads the pool's devices' figures and adds them up. */
int zram_pool_stats(const ZramPool *p, ZramPoolStats *ret);

/* The same, from devices read already (a StatsSnapshot's). */
void zram_pool_stats_from(const ZramPool *p, const ZramDevice *devices, size_t n_devices,
                          ZramPoolStats *ret);

/* The cap: max_percent of RAM. */
uint64_t zram_pool_cap_bytes(const ZramPool *p, const Config *c);

/* Whether device id is one of the pool's. */
bool zram_pool_owns(const ZramPool *p, unsigned id);

/* The budget decision alone: the next budget for a pool using 'used_bytes'
 * of 'budget_bytes'. Never below the initial size nor above the cap, never
 * below what is in use. */
uint64_t zram_pool_next_budget(uint64_t budget_bytes, uint64_t used_bytes, uint64_t initial_bytes,
                               uint64_t cap_bytes, unsigned grow_at_percent, unsigned shrink_at_percent);

/* Whether turning off a swap device holding 'stored_bytes' is safe with
 * 'available_bytes' of memory available and 'margin_bytes' to spare. */
bool zram_pool_swapoff_safe(uint64_t available_bytes, uint64_t stored_bytes, uint64_t margin_bytes);
