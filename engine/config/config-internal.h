/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared between config.c (the settings and how they combine),
 * config-files.c (where the text comes from) and config-print.c (writing
 * them back). Not for other modules. config.c calls the readers in
 * config-files.c; they hand what they read back through Parser.add, so
 * the two never call each other. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

/* One key of the configuration and what it accepts. */
typedef enum SettingType {
        T_BOOL,
        T_UINT,
        T_INT,
        T_RATIO,
        T_PERCENT, /* a double from 0 to 100 */
        T_ENUM,
        T_LIST,
        T_KNOB,
        T_PROFILE,
        T_PATH,
} SettingType;

/* T_PATH: what else the path may be. */
typedef enum PathFlags {
        PATH_DIRECTORY = 1 << 0, /* a trailing slash is fine */
        PATH_MAY_BE_NO = 1 << 1, /* "no" turns the feature off: NULL */
} PathFlags;

typedef struct Setting {
        const char *section;
        const char *key;
        SettingType type;
        size_t offset; /* of the value in Config */
        size_t count_offset; /* T_LIST: of the size_t count */
        int64_t min, max; /* T_UINT, T_INT, T_KNOB */
        const char *const *choices; /* T_ENUM, NULL-terminated */
        unsigned item_max_len; /* T_LIST: 0 for no limit */
        PathFlags path_flags; /* T_PATH */
} Setting;

/* Every key wolfram reads, in the order config_print() shows them; Config's
 * sources are indexed the same way. */
extern const Setting config_settings[];
extern const size_t config_n_settings;

/* The longest line read, in characters without the newline: inih's line
 * buffer holds 200 bytes, the newline and the NUL included. */
#define CONFIG_LINE_MAX 198

typedef struct Assignment Assignment;

typedef struct Parser Parser;

struct Parser {
        Assignment *assignments;
        size_t n_assignments;
        char *error; /* the first error */
        unsigned error_line; /* its line, 0 when it has none */
        /* Validates one key=value read at 'where' ("FILE:LINE" or "command
         * line") and keeps it for later (config.c). */
        int (*add)(Parser *p, const char *where, unsigned line, const char *section, const char *key,
                   size_t key_len, const char *value);
};

/* Records the first error ("FILE:LINE: …") and returns -EINVAL. */
_printf_(3, 4) int parser_error(Parser *p, unsigned line, const char *fmt, ...);

/* Reads one file, below the root prefix when 'below_root' (the search
 * path) or as given (a file named on the command line, which may be
 * relative); a missing file is an error only when 'must_exist'. */
int parser_parse_file(Parser *p, const char *path, bool below_root, bool must_exist);

/* Reads wolfram.conf and its drop-ins from /etc, /run and /usr/lib. */
int parser_parse_search_path(Parser *p);

/* Reads one "Section.key=value" from the command line. */
int parser_parse_cli(Parser *p, const char *assignment);
