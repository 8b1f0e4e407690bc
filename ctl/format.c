/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/escape.h"
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

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MINUTE (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MINUTE)
#define USEC_PER_DAY (24 * USEC_PER_HOUR)

char *format_duration(char *buf, size_t size, uint64_t usec) {
        /* Two units at most: nobody reads "2d 5h 3min 12s" in a status line. */
        if (usec < USEC_PER_MSEC)
                snprintf(buf, size, "%" PRIu64 " us", usec);
        else if (usec < USEC_PER_SEC)
                snprintf(buf, size, "%.1f ms", (double) usec / (double) USEC_PER_MSEC);
        else if (usec < USEC_PER_MINUTE)
                snprintf(buf, size, "%.1f s", (double) usec / (double) USEC_PER_SEC);
        else if (usec < USEC_PER_HOUR)
                snprintf(buf, size, "%" PRIu64 "min %" PRIu64 "s", usec / USEC_PER_MINUTE,
                         usec % USEC_PER_MINUTE / USEC_PER_SEC);
        else if (usec < USEC_PER_DAY)
                snprintf(buf, size, "%" PRIu64 "h %" PRIu64 "min", usec / USEC_PER_HOUR,
                         usec % USEC_PER_HOUR / USEC_PER_MINUTE);
        else
                snprintf(buf, size, "%" PRIu64 "d %" PRIu64 "h", usec / USEC_PER_DAY,
                         usec % USEC_PER_DAY / USEC_PER_HOUR);
        return buf;
}

char *format_timestamp(char *buf, size_t size, uint64_t usec) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        if (usec == 0 || !localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                snprintf(buf, size, "%s", usec == 0 ? "never" : "?");
        return buf;
}

char *escape_text(const char *s) {
        return escape_bytes(s, strlen(s), 0);
}

size_t text_width(const char *s) {
        size_t n = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80)
                        n++;
        return n;
}
