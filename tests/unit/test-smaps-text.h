/* SPDX-License-Identifier: MIT */
#pragma once

/* Generated /proc/PID/smaps text for the cases about processes with many
 * mappings: every key 6.18 prints, padded as it pads them, so that a
 * generated VMA is as long as a real one (about 750 bytes) and 30,000 of
 * them are more than the 4 MiB a whole-file read once took. */

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "test-util.h"

/* Appends one VMA; 'path' is NULL for an anonymous one. Figures in KiB. */
static inline void smaps_text_append(FILE *f, uint64_t start, uint64_t end, const char *perms,
                                     const char *path, uint64_t rss_kib, uint64_t referenced_kib,
                                     uint64_t anonymous_kib, uint64_t swap_kib) {
        fprintf(f, "%" PRIx64 "-%" PRIx64 " %s 00000000 %s %-26s%s\n", start, end, perms,
                path ? "fe:00" : "00:00", path ? "4711" : "0", path ?: "");
        fprintf(f,
                "Size:               %6" PRIu64
                " kB\nKernelPageSize:        4 kB\nMMUPageSize:           4 kB\n"
                "Rss:                %6" PRIu64 " kB\nPss:                %6" PRIu64 " kB\n"
                "Pss_Dirty:          %6" PRIu64
                " kB\nShared_Clean:          0 kB\nShared_Dirty:          0 kB\n"
                "Private_Clean:         0 kB\nPrivate_Dirty:      %6" PRIu64 " kB\n"
                "Referenced:         %6" PRIu64 " kB\nAnonymous:          %6" PRIu64 " kB\n"
                "KSM:                   0 kB\nLazyFree:              0 kB\nAnonHugePages:         0 kB\n"
                "ShmemPmdMapped:        0 kB\nFilePmdMapped:         0 kB\nShared_Hugetlb:        0 kB\n"
                "Private_Hugetlb:       0 kB\nSwap:               %6" PRIu64 " kB\n"
                "SwapPss:            %6" PRIu64
                " kB\nLocked:                0 kB\nTHPeligible:           0\n"
                "ProtectionKey:         0\nVmFlags: rd wr mr mw me ac sd \n",
                (end - start) / 1024, rss_kib, rss_kib, anonymous_kib, anonymous_kib, referenced_kib,
                anonymous_kib, swap_kib, swap_kib);
}

/* Opens a text to append VMAs to; smaps_text_end() hands it over. */
static inline FILE *smaps_text_begin(char **text, size_t *len) {
        FILE *f = open_memstream(text, len);

        if (!f)
                TEST_FAIL("%s", "open_memstream() failed");
        return f;
}

static inline void smaps_text_end(FILE *f) {
        if (fclose(f) != 0)
                TEST_FAIL("%s", "Failed to finish a generated smaps text");
}
