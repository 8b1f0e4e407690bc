/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* One row of /proc/swaps. */
typedef struct SwapEntry {
        char *path; /* unescaped: "\040" in the file becomes a space */
        char *type; /* "partition", "file" */
        uint64_t size_bytes;
        uint64_t used_bytes;
        int priority;
} SwapEntry;

typedef struct SwapList {
        SwapEntry *entries;
        size_t n_entries;
} SwapList;

/* Parses the text of /proc/swaps: a header line starting with "Filename",
 * then five fields per row. -EBADMSG on a missing header, a short or long
 * row, or a field that is not a number where one is expected. */
int swaps_parse(const char *buf, size_t len, SwapList *ret);

/* Reads and parses /proc/swaps (under the root prefix). */
int swaps_read(SwapList *ret);

/* The row whose path is 'path', or NULL. A block device /dev/NAME is also
 * found as "/NAME", the way /proc/swaps shows it once the mount namespace
 * it was turned on in has gone. */
const SwapEntry *swap_list_find(const SwapList *l, const char *path);

/* Frees the rows; the list is empty afterwards. */
void swap_list_done(SwapList *l);
