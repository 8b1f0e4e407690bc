/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static int max_level = LOG_INFO;

void log_set_max_level(int level) {
        max_level = level;
}

int log_level_from_string(const char *s) {
        static const char *const names[] = {
                [LOG_ERR] = "err",   [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
                [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (names[i] && streq(names[i], s))
                        return (int) i;
        return -EINVAL;
}

int log_internal(int level, int error, const char *fmt, ...) {
        /* The journal reads "<N>" at the start of a line as the priority;
         * on a terminal it would only be noise. */
        static int to_journal = -1;
        int saved_errno = errno;
        va_list ap;

        error = error < 0 ? -error : error;
        if (level > max_level)
                goto finish;

        if (to_journal < 0)
                to_journal = getenv("JOURNAL_STREAM") != NULL;

        if (to_journal)
                fprintf(stderr, "<%d>", level);
        errno = error;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);

finish:
        errno = saved_errno;
        return -error;
}
