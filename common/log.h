/* SPDX-License-Identifier: MIT */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <syslog.h>

#include "common/macro.h"

/* Sets the most verbose level that is printed (LOG_DEBUG … LOG_ERR). */
void log_set_max_level(int level);

/* Parses "debug", "info", "notice", "warning" or "err"; -EINVAL otherwise. */
int log_level_from_string(const char *s);

/* Writes exactly one line of valid UTF-8 to stderr, whatever the message
 * holds (newlines and other controls escaped, see escape.h), with a
 * journal priority prefix when stderr is the journal. errno is set to
 * 'error' for %m. Returns -abs(error). */
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...) log_internal((level), (error), __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(error, ...) log_full_errno(LOG_DEBUG, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_ERR, (error), __VA_ARGS__)
#define log_oom() log_full_errno(LOG_ERR, ENOMEM, "Out of memory.")
