/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "common/parse-util.h"

int parse_u64(const char *s, size_t len, uint64_t *ret) {
        uint64_t v = 0;

        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                unsigned d;

                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                d = (unsigned) (s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

int parse_i64(const char *s, size_t len, int64_t *ret) {
        bool negative = len > 0 && s[0] == '-';
        uint64_t v;
        int r;

        r = parse_u64(s + negative, len - negative, &v);
        if (r < 0)
                return r;
        if (negative) {
                if (v > (uint64_t) INT64_MAX + 1)
                        return -ERANGE;
                *ret = v == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) v;
        } else {
                if (v > INT64_MAX)
                        return -ERANGE;
                *ret = (int64_t) v;
        }
        return 0;
}

static size_t strip_newline(const char *buf, size_t len) {
        return len > 0 && buf[len - 1] == '\n' ? len - 1 : len;
}

int parse_u64_line(const char *buf, size_t len, uint64_t *ret) {
        return parse_u64(buf, strip_newline(buf, len), ret);
}

int parse_i64_line(const char *buf, size_t len, int64_t *ret) {
        return parse_i64(buf, strip_newline(buf, len), ret);
}

int mul_u64(uint64_t a, uint64_t b, uint64_t *ret) {
        if (a != 0 && b > UINT64_MAX / a)
                return -ERANGE;
        *ret = a * b;
        return 0;
}

bool next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *line_len) {
        const char *nl;

        if (*pos >= len)
                return false;

        *line = buf + *pos;
        nl = memchr(*line, '\n', len - *pos);
        *line_len = nl ? (size_t) (nl - *line) : len - *pos;
        *pos += *line_len + (nl ? 1 : 0);
        return true;
}

bool next_field(const char **p, const char *end, const char **field, size_t *field_len) {
        const char *s = *p;

        while (s < end && (*s == ' ' || *s == '\t'))
                s++;
        if (s >= end)
                return false;

        *field = s;
        while (s < end && *s != ' ' && *s != '\t')
                s++;
        *field_len = (size_t) (s - *field);
        *p = s;
        return true;
}

int parse_key_fields(const char *buf, size_t len, const KeyField *keys, size_t n_keys, void *ret,
                     size_t size) {
        uint64_t seen = 0; /* a bit per key: at most 64 keys */
        const char *line;
        size_t pos = 0, line_len;

        assert(n_keys <= 64);
        memset(ret, 0, size);
        while (next_line(buf, len, &pos, &line, &line_len)) {
                const char *p = line, *end = line + line_len, *key, *num;
                size_t key_len, num_len;

                if (!next_field(&p, end, &key, &key_len))
                        continue;
                for (size_t i = 0; i < n_keys; i++) {
                        if (key_len != strlen(keys[i].key) || memcmp(key, keys[i].key, key_len) != 0)
                                continue;
                        if ((seen & (UINT64_C(1) << i)) || !next_field(&p, end, &num, &num_len) ||
                            parse_u64(num, num_len, (uint64_t *) ((char *) ret + keys[i].offset)) < 0)
                                return -EBADMSG;
                        seen |= UINT64_C(1) << i;
                }
        }
        return 0;
}

bool ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n > m && memcmp(s + n - m, suffix, m) == 0;
}
