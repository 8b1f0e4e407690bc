/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The length of the valid UTF-8 sequence at 's', or 0 when it is not one
 * (overlong forms and surrogates included). */
static size_t utf8_sequence_length(const unsigned char *s) {
        unsigned char c = s[0];

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                return (s[1] & 0xc0) == 0x80 ? 2 : 0;
        if (c >= 0xe0 && c <= 0xef) {
                unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
                return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
        }
        if (c >= 0xf0 && c <= 0xf4) {
                unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
                return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
        }
        return 0;
}

/* Valid UTF-8 that still must not reach a terminal as is: C1 controls, which
 * some terminals act on, and the bidi controls that reorder what a line
 * appears to say. */
static bool utf8_sequence_unsafe(const unsigned char *s, size_t len) {
        if (len == 2)
                return s[0] == 0xc2 && s[1] < 0xa0;
        if (len == 3 && s[0] == 0xe2 && s[1] == 0x80)
                return s[2] >= 0xaa && s[2] <= 0xae;
        if (len == 3 && s[0] == 0xe2 && s[1] == 0x81)
                return s[2] >= 0xa6 && s[2] <= 0xa9;
        return false;
}

char *escape_text(const char *s) {
        const unsigned char *p = (const unsigned char *) s;
        char *buf, *q;

        /* Each byte grows to at most four ("\xNN"). */
        buf = malloc(strlen(s) * 4 + 1);
        if (!buf)
                return NULL;
        q = buf;
        while (*p) {
                size_t len = utf8_sequence_length(p);

                if (*p == '\\') {
                        *q++ = '\\';
                        *q++ = '\\';
                        p++;
                } else if (len == 0 || (len == 1 && (*p < 0x20 || *p == 0x7f))) {
                        q += sprintf(q, "\\x%02x", *p);
                        p++;
                } else if (utf8_sequence_unsafe(p, len)) {
                        for (size_t i = 0; i < len; i++)
                                q += sprintf(q, "\\x%02x", p[i]);
                        p += len;
                } else {
                        memcpy(q, p, len);
                        q += len;
                        p += len;
                }
        }
        *q = 0;
        return buf;
}

size_t text_width(const char *s) {
        size_t n = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80)
                        n++;
        return n;
}
