/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The /proc/meminfo figures the engine uses, in bytes. */
typedef struct MemInfo {
        uint64_t total_bytes;
        uint64_t free_bytes;
        uint64_t available_bytes;
        uint64_t swap_total_bytes;
        uint64_t swap_free_bytes;
} MemInfo;

/* Parses the text of /proc/meminfo. Every field of MemInfo must be present
 * exactly once with a "kB" unit; -EBADMSG otherwise, -ERANGE on overflow.
 * Unknown lines are ignored. */
int meminfo_parse(const char *buf, size_t len, MemInfo *ret);

/* Reads and parses /proc/meminfo (under the root prefix). */
int meminfo_read(MemInfo *ret);

/* Swap in use: total minus free, never negative. */
uint64_t meminfo_swap_used_bytes(const MemInfo *m);
