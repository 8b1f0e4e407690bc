/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/macro.h"

size_t utf8_char_decode(const char *s, size_t left, uint32_t *ret_cp) {
        const unsigned char *p = (const unsigned char *) s;
        unsigned char lo = 0x80, hi = 0xbf;
        size_t len;
        uint32_t cp;

        if (left == 0)
                return 0;
        if (p[0] < 0x80) {
                len = 1;
                cp = p[0];
        } else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
                len = 2;
                cp = p[0] & 0x1f;
        } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
                len = 3;
                cp = p[0] & 0x0f;
                /* No overlong forms (E0 80..9F), no surrogates (ED A0..BF). */
                if (p[0] == 0xe0)
                        lo = 0xa0;
                else if (p[0] == 0xed)
                        hi = 0x9f;
        } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                len = 4;
                cp = p[0] & 0x07;
                /* No overlong forms (F0 80..8F), nothing above U+10FFFF. */
                if (p[0] == 0xf0)
                        lo = 0x90;
                else if (p[0] == 0xf4)
                        hi = 0x8f;
        } else
                return 0; /* a continuation byte, C0, C1 or F5..FF */

        if (len > left)
                return 0;
        for (size_t i = 1; i < len; i++) {
                unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xbf;

                if (p[i] < min || p[i] > max)
                        return 0;
                cp = cp << 6 | (p[i] & 0x3f);
        }
        if (ret_cp)
                *ret_cp = cp;
        return len;
}

bool unichar_is_unsafe(uint32_t cp) {
        return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
               (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static char *put_hex(char *q, unsigned char c) {
        static const char hex[] = "0123456789abcdef";

        *q++ = '\\';
        *q++ = 'x';
        *q++ = hex[c >> 4];
        *q++ = hex[c & 0xf];
        return q;
}

size_t escape_bytes_buf(char *buf, const char *s, size_t len, EscapeFlags flags) {
        const char *p = s, *end = s + len;
        char *q = buf;

        while (p < end) {
                uint32_t cp;
                size_t n = utf8_char_decode(p, (size_t) (end - p), &cp);

                if (n == 0) {
                        /* One byte at a time: whatever follows a bad byte
                         * may be a good character again. */
                        q = put_hex(q, (unsigned char) *p++);
                        continue;
                }
                if (cp == '\\' && (flags & ESCAPE_BACKSLASH)) {
                        *q++ = '\\';
                        *q++ = '\\';
                } else if (cp == '\n' || cp == '\t' || cp == '\r') {
                        *q++ = '\\';
                        *q++ = cp == '\n' ? 'n' : cp == '\t' ? 't' : 'r';
                } else if (unichar_is_unsafe(cp)) {
                        for (size_t i = 0; i < n; i++)
                                q = put_hex(q, (unsigned char) p[i]);
                } else {
                        memcpy(q, p, n);
                        q += n;
                }
                p += n;
        }
        *q = 0;
        return (size_t) (q - buf);
}

char *escape_bytes(const char *s, size_t len, EscapeFlags flags) {
        char *buf = malloc(ESCAPED_MAX(len) + 1);

        if (buf)
                escape_bytes_buf(buf, s, len, flags);
        return buf;
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

char *unescape_bytes(const char *s, size_t *ret_len) {
        /* Escapes only ever shorten the text. */
        char *buf = malloc(strlen(s) + 1), *q = buf;

        if (!buf)
                return NULL;
        for (const char *p = s; *p;) {
                int hi, lo;

                if (p[0] != '\\') {
                        *q++ = *p++;
                        continue;
                }
                if (p[1] == '\\' || p[1] == 'n' || p[1] == 't' || p[1] == 'r') {
                        *q++ = p[1] == '\\' ? '\\' : p[1] == 'n' ? '\n' : p[1] == 't' ? '\t' : '\r';
                        p += 2;
                } else if (p[1] == 'x' && (hi = hex_value(p[2])) >= 0 && (lo = hex_value(p[3])) >= 0 &&
                           (hi | lo) != 0) {
                        *q++ = (char) (hi << 4 | lo);
                        p += 4;
                } else
                        *q++ = *p++;
        }
        *q = 0;
        if (ret_len)
                *ret_len = (size_t) (q - buf);
        return buf;
}

int escape_normalize(const char *s, char **ret, size_t *ret_raw_len) {
        _cleanup_free_ char *raw = NULL;
        size_t len;

        raw = unescape_bytes(s, &len);
        if (!raw)
                return -ENOMEM;
        *ret = escape_bytes(raw, len, ESCAPE_BACKSLASH);
        if (!*ret)
                return -ENOMEM;
        if (ret_raw_len)
                *ret_raw_len = len;
        return 0;
}
