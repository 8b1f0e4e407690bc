/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The fields of /sys/block/zramN/mm_stat as the kernel gives them: the
 * _bytes fields in bytes, the others in pages. Older kernels have fewer
 * fields (no huge_pages, no huge_pages_since); those read as 0. */
typedef struct ZramMmStat {
        uint64_t orig_data_bytes;
        uint64_t compr_data_bytes;
        uint64_t mem_used_total_bytes;
        uint64_t mem_limit_bytes;
        uint64_t mem_used_max_bytes;
        uint64_t same_pages;
        uint64_t pages_compacted;
        uint64_t huge_pages;
        uint64_t huge_pages_since;
        unsigned n_fields;
} ZramMmStat;

/* One zram device as /sys/block shows it. */
typedef struct ZramDevice {
        unsigned id;
        char name[16]; /* "zram0" */
        uint64_t disksize_bytes;
        ZramMmStat mm;
} ZramDevice;

/* Parses mm_stat: 7 or more unsigned numbers separated by spaces, then a
 * newline; fields past the ninth (a later kernel's) are checked and left
 * out. -EBADMSG on fewer than 7, an absurd number of them, or non-numeric
 * fields. */
int zram_mm_stat_parse(const char *buf, size_t len, ZramMmStat *ret);

/* Lists the zram devices present, sorted by id. A device that vanishes
 * while being read is left out. No zram at all gives an empty list. */
int zram_list_devices(ZramDevice **ret, size_t *ret_n);

/* Reads one device; -ENOENT when it does not exist. */
int zram_read_device(unsigned id, ZramDevice *ret);

/* Reads only the device's mm_stat: what a pageout put in, looked at before
 * and after each one. */
int zram_read_mm_stat(unsigned id, ZramMmStat *ret);

/* /sys/block/zramN/bd_stat, where the kernel has writeback
 * (CONFIG_ZRAM_WRITEBACK): what is on the backing device now, what was read
 * back from it and what was written to it, each in bytes (the kernel counts
 * 4 KiB units). */
typedef struct ZramBdStat {
        uint64_t stored_bytes;
        uint64_t read_bytes;
        uint64_t written_bytes;
} ZramBdStat;

/* Parses bd_stat: exactly 3 unsigned numbers on one line. -EBADMSG else. */
int zram_bd_stat_parse(const char *buf, size_t len, ZramBdStat *ret);

/* Reads a device's bd_stat; -ENOENT on kernels without writeback. */
int zram_read_bd_stat(unsigned id, ZramBdStat *ret);

/* Whether the device has the attribute (recompress, writeback, ...). */
bool zram_has_attr(unsigned id, const char *attr);

/* Reads /sys/block/zramN/ATTR whole ('ret_size' may be NULL). */
int zram_read_attr(unsigned id, const char *attr, char **ret, size_t *ret_size);

/* The device's backing device (its path, allocated); -ENOENT when it has
 * none, or the kernel has no writeback. */
int zram_read_backing_dev(unsigned id, char **ret);

/* The device's second compressor (the one recomp_algorithm shows in
 * brackets) into 'buf'; -ENOENT when it has none, or the kernel cannot
 * recompress. */
int zram_read_recomp_algorithm(unsigned id, char *buf, size_t size);

/* Creates a device through /sys/class/zram-control/hot_add; returns its id. */
int zram_hot_add(unsigned *ret_id);

/* Removes a device through hot_remove. The device must be reset (empty). */
int zram_hot_remove(unsigned id);

/* Writes 'value' to /sys/block/zramN/ATTR. */
int zram_write_attr(unsigned id, const char *attr, const char *value);

/* Reads /sys/block/zramN/comp_algorithm: the choices, the one in use in
 * brackets ("lzo [lz4] zstd"). */
int zram_read_algorithms(unsigned id, char **ret);

/* Whether the space-separated list names 'name', bracketed or not. */
bool zram_algorithm_offered(const char *list, const char *name);

/* Picks the compressor: 'configured' when the list offers it (and it is
 * not "auto"), else the best offered of zstd, lz4, lzo-rle, lzo, else the
 * first offered. NULL when the list names none. Returns 'configured' itself
 * or a pointer to a static string. */
const char *zram_pick_algorithm(const char *list, const char *configured);
