/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses exactly 'len' characters as an unsigned decimal number: no sign,
 * no spaces, no empty string. -EINVAL on anything else, -ERANGE on
 * overflow. */
int parse_u64(const char *s, size_t len, uint64_t *ret);

/* The same for a signed decimal number with an optional leading '-'. */
int parse_i64(const char *s, size_t len, int64_t *ret);

/* Parses a buffer that holds one number and at most one trailing newline,
 * as a single-value /sys attribute does. */
int parse_u64_line(const char *buf, size_t len, uint64_t *ret);
int parse_i64_line(const char *buf, size_t len, int64_t *ret);

/* Multiplies with overflow check: -ERANGE when the product does not fit. */
int mul_u64(uint64_t a, uint64_t b, uint64_t *ret);

/* Steps through a buffer line by line. *pos starts at 0. Returns false at
 * the end; otherwise sets *line and *line_len (without the newline). */
bool next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *line_len);

/* Splits off the next whitespace-separated field of [*p, end). Returns false
 * when none is left. */
bool next_field(const char **p, const char *end, const char **field, size_t *field_len);

/* A "key number" line's key and where its number goes in a struct. */
typedef struct KeyField {
        const char *key;
        size_t offset; /* of a uint64_t */
} KeyField;

/* Parses "key number" lines (/proc/vmstat, memory.stat) into the uint64_t
 * fields of the struct at 'ret', which it zeroes first ('size' bytes):
 * the keys listed where present, unknown lines skipped. -EBADMSG when a
 * listed key's number is missing or bad, or the key appears twice. */
int parse_key_fields(const char *buf, size_t len, const KeyField *keys, size_t n_keys, void *ret,
                     size_t size);

/* Whether 's' ends with 'suffix' and holds more than it. */
bool ends_with(const char *s, const char *suffix);
