/* SPDX-License-Identifier: MIT */
#pragma once

/* Text that comes from other people's processes (a comm, a cgroup path) is
 * bytes, not text: it may hold invalid UTF-8, which sd-bus refuses, and
 * control characters, which break log lines and terminals. Everything the
 * engine and its clients show goes through the one escape here, so that a
 * name reads the same on the bus, in wolframctl and in the journal. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most bytes escaping 'len' bytes can give, without the NUL: each byte
 * becomes at most "\xNN". */
#define ESCAPED_MAX(len) (4 * (len))

typedef enum EscapeFlags {
        /* A backslash becomes "\\", so that unescape_bytes() gives back the
         * original bytes. Off for text that is escaped already and only has
         * to be made safe to show (log lines, what clients print). */
        ESCAPE_BACKSLASH = 1 << 0,
} EscapeFlags;

/* The length (1 to 4) of the valid UTF-8 character at 's', of at most
 * 'left' bytes, and its code point in *ret_cp (may be NULL). 0 when the
 * bytes there are no character: a stray or cut sequence, an overlong form,
 * a surrogate, a code point above U+10FFFF. */
size_t utf8_char_decode(const char *s, size_t left, uint32_t *ret_cp);

/* Whether a character must not be shown as it is: C0 controls, DEL, C1
 * controls, the line and paragraph separators, and the bidi controls that
 * reorder what a line appears to say. */
bool unichar_is_unsafe(uint32_t cp);

/* Writes the 'len' bytes at 's' to 'buf' as valid UTF-8 with nothing
 * unsafe in it, NUL-terminated: "\n", "\t" and "\r" for those, "\xNN" for
 * every other byte of an unsafe character or of invalid UTF-8, and "\\"
 * for a backslash with ESCAPE_BACKSLASH; everything else as it is. 'buf'
 * has room for ESCAPED_MAX(len) + 1 bytes. Returns the length written. */
size_t escape_bytes_buf(char *buf, const char *s, size_t len, EscapeFlags flags);

/* The same, newly allocated; NULL when out of memory. */
char *escape_bytes(const char *s, size_t len, EscapeFlags flags);

/* Reads the escapes escape_bytes() writes with ESCAPE_BACKSLASH ("\\",
 * "\n", "\t", "\r", "\xNN" but "\x00"); any other backslash stands for
 * itself. Returns the bytes, newly allocated and NUL-terminated, and their
 * length in *ret_len (may be NULL); NULL when out of memory. */
char *unescape_bytes(const char *s, size_t *ret_len);

/* The shown form of a pattern that may be written either way, as raw bytes
 * or as escape_bytes() shows them: escape_bytes(unescape_bytes(s),
 * ESCAPE_BACKSLASH), newly allocated in *ret. *ret_raw_len (may be NULL)
 * gets the length of the bytes it stands for. -ENOMEM or 0. */
int escape_normalize(const char *s, char **ret, size_t *ret_raw_len);
