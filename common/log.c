/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/escape.h"
#include "common/log.h"
#include "common/macro.h"

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

/* Most messages fit here, so logging needs no allocation (log_oom() has
 * none to spare); a longer one is allocated, or cut if that fails. */
#define LOG_LINE_SHORT 1024

int log_internal(int level, int error, const char *fmt, ...) {
        /* The journal reads "<N>" at the start of a line as the priority;
         * on a terminal it would only be noise. */
        static int to_journal = -1;
        int saved_errno = errno, n;
        char short_text[LOG_LINE_SHORT], short_line[ESCAPED_MAX(LOG_LINE_SHORT) + 1];
        _cleanup_free_ char *long_text = NULL, *long_line = NULL;
        const char *text = short_text;
        char *line = short_line;
        size_t len;
        va_list ap;

        error = error < 0 ? -error : error;
        if (level > max_level)
                goto finish;

        if (to_journal < 0)
                to_journal = getenv("JOURNAL_STREAM") != NULL;

        errno = error;
        va_start(ap, fmt);
        n = vsnprintf(short_text, sizeof(short_text), fmt, ap);
        va_end(ap);
        if (n < 0)
                goto finish;
        len = (size_t) n;
        if (len >= sizeof(short_text)) {
                errno = error;
                va_start(ap, fmt);
                if (vasprintf(&long_text, fmt, ap) < 0)
                        long_text = NULL;
                va_end(ap);
                long_line = long_text ? malloc(ESCAPED_MAX(len) + 1) : NULL;
                if (long_line) {
                        text = long_text;
                        line = long_line;
                } else
                        len = sizeof(short_text) - 1;
        }

        /* The one choke point between what the engine says and the journal:
         * a newline in a value (a process name, a path, a pattern) would
         * start a record of its own, with whatever priority its text makes
         * up. So every record is one line of valid UTF-8, whatever the
         * values hold. Backslashes stay as they are: names arrive escaped
         * already (escape.h), and a log line is read, not parsed back. */
        escape_bytes_buf(line, text, len, 0);
        if (to_journal)
                fprintf(stderr, "<%d>%s\n", level, line);
        else
                fprintf(stderr, "%s\n", line);

finish:
        errno = saved_errno;
        return -error;
}
