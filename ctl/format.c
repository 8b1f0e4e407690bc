/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "format.h"

char *format_bytes(char *buf, size_t size, uint64_t bytes) {
        static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        double v = (double) bytes;
        unsigned i = 0;

        if (bytes < 1024) {
                snprintf(buf, size, "%llu B", (unsigned long long) bytes);
                return buf;
        }
        v /= 1024.0;
        /* Pick the unit after rounding: 1023.96 KiB prints as "1.0 MiB", not
         * "1024.0 KiB". */
        while (v >= 1023.95 && i + 1 < sizeof(units) / sizeof(units[0])) {
                v /= 1024.0;
                i++;
        }
        snprintf(buf, size, "%.1f %s", v, units[i]);
        return buf;
}
