/* SPDX-License-Identifier: MIT */
#pragma once

/* What reclaim costs, as the kernel counts it: the swap and refault
 * counters of /proc/vmstat, and pressure stall information (PSI) of
 * /proc/pressure/memory and /proc/pressure/io. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The /proc/vmstat counters the engine paces itself by, in pages since
 * boot. */
typedef struct VmStat {
        uint64_t pswpin; /* pages read back from swap (zram included) */
        uint64_t pswpout; /* pages written to swap */
        uint64_t workingset_refault_anon; /* anonymous pages needed again soon after they were reclaimed */
} VmStat;

/* Parses /proc/vmstat: the counters above where present (0 where not: the
 * kernel may lack one), unknown lines skipped. -EBADMSG when a known
 * counter is not a number or appears twice. */
int vmstat_parse(const char *buf, size_t len, VmStat *ret);

/* Reads and parses /proc/vmstat (root prefix honoured). */
int vmstat_read(VmStat *ret);

/* One line of a PSI file: the share of time some (or all) tasks stalled. */
typedef struct PsiLine {
        double avg10, avg60, avg300; /* percent */
        uint64_t total_usec; /* stalled time since boot */
} PsiLine;

typedef struct Psi {
        PsiLine some;
        PsiLine full;
        bool has_full; /* /proc/pressure/cpu had no "full" line before 5.13 */
} Psi;

/* Parses a PSI file ("some avg10=0.00 avg60=0.00 avg300=0.00 total=0" and
 * "full …"): -EBADMSG without a well-formed "some" line or with a bad
 * "full" line; fields it does not know are skipped. */
int psi_parse(const char *buf, size_t len, Psi *ret);

/* Reads /proc/pressure/RESOURCE ("memory", "io"); -EOPNOTSUPP when the
 * kernel has no PSI (or it is off: psi=0). */
int psi_read(const char *resource, Psi *ret);
