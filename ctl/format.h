/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Formats a byte count for people: "0 B", "512 B", "1.5 KiB", "23.4 GiB".
 * Returns buf. */
char *format_bytes(char *buf, size_t size, uint64_t bytes);

/* Formats a span of time for people: "850 us", "12.5 ms", "2.3 s",
 * "5min 12s", "3h 4min", "2d 5h". Returns buf. */
char *format_duration(char *buf, size_t size, uint64_t usec);

/* Formats microseconds since the epoch as local time, "2026-01-02 10:00:00
 * UTC"; 0 as "never". Returns buf. */
char *format_timestamp(char *buf, size_t size, uint64_t usec);

/* Returns a newly allocated copy of 's' that is safe to print on a
 * terminal: escape_bytes() without ESCAPE_BACKSLASH, so newline, tab and CR
 * become \n, \t, \r and other controls, invalid UTF-8, C1 controls and
 * bidi overrides \xNN. A backslash stays: names and paths come from the
 * engine escaped already and are shown as they are, so that what is shown
 * can be given back as a pattern. NULL when out of memory. */
char *escape_text(const char *s);

/* The number of terminal columns 's' takes, counting each UTF-8 code point
 * as one (what escape_text() returns never holds anything wider). */
size_t text_width(const char *s);
