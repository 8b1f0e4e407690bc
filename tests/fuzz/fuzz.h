/* SPDX-License-Identifier: MIT */
/* Shared by the libFuzzer targets: each feeds one input to one of the
 * engine's parsers (several, where they read the same kind of file) and
 * frees what it got. A crash, a sanitizer report, a leak or a hang fails
 * the run. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The parsers log what they skip; thousands of lines a second say nothing. */
static inline void fuzz_quiet(void) {
        log_set_max_level(LOG_CRIT);
}

/* The input as a NUL-terminated string, for the parsers that read one. */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);

        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}
