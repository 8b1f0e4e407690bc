/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "config/config-internal.h"
#include "config/config.h"

/* Ends a line of 'col' characters with 'source' as a comment, cut short
 * where the line would grow too long to be read back. Only ';' starts a
 * comment after a value; '#' would be read as part of it. */
static void print_source(FILE *f, int col, const char *source) {
        int pad = col < 40 ? 40 - col : 1, room = CONFIG_LINE_MAX - col - pad - (int) strlen("; ");

        if (room < (int) strlen("x..."))
                fputc('\n', f);
        else if (strlen(source) > (size_t) room)
                fprintf(f, "%*s; %.*s...\n", pad, "", room - (int) strlen("..."), source);
        else
                fprintf(f, "%*s; %s\n", pad, "", source);
}

/* The shortest form of 'd' that reads back as the same number: "0.7", not
 * %g's six digits, which would change 0.1234567 on the way back. */
static void format_ratio(double d, char *buf, size_t size) {
        for (int precision = 1; precision <= 17; precision++) {
                snprintf(buf, size, "%.*g", precision, d);
                if (strtod(buf, NULL) == d)
                        return;
        }
}

static void print_value(const Setting *s, const Config *c, FILE *f, const char *source) {
        const void *field = (const char *) c + s->offset;
        char ratio[32];
        int col;

        switch (s->type) {
        case T_PROFILE:
                col = fprintf(f, "%s=%s", s->key, profile_to_string(c->profile));
                break;
        case T_BOOL:
                col = fprintf(f, "%s=%s", s->key, *(const bool *) field ? "yes" : "no");
                break;
        case T_UINT:
                col = fprintf(f, "%s=%u", s->key, *(const unsigned *) field);
                break;
        case T_INT:
                col = fprintf(f, "%s=%d", s->key, *(const int *) field);
                break;
        case T_KNOB:
                if (*(const int *) field == KNOB_SKIP)
                        col = fprintf(f, "%s=skip", s->key);
                else
                        col = fprintf(f, "%s=%d", s->key, *(const int *) field);
                break;
        case T_RATIO:
        case T_PERCENT:
                format_ratio(*(const double *) field, ratio, sizeof(ratio));
                col = fprintf(f, "%s=%s", s->key, ratio);
                break;
        case T_ENUM:
                col = fprintf(f, "%s=%s", s->key, s->choices[*(const unsigned *) field]);
                break;
        case T_PATH:
                col = fprintf(f, "%s=%s", s->key, *(char *const *) field ?: "no");
                break;
        case T_LIST: {
                char *const *list = *(char *const *const *) field;
                size_t n = *(const size_t *) ((const char *) c + s->count_offset);

                /* A reset with the source, then the items on lines short
                 * enough for the parser to read back. */
                col = fprintf(f, "%s=", s->key);
                print_source(f, col, source);
                col = 0;
                for (size_t i = 0; i < n; i++) {
                        if (col > 0 && col + 1 + strlen(list[i]) > 150) {
                                fputc('\n', f);
                                col = 0;
                        }
                        if (col == 0)
                                col = fprintf(f, "%s=%s", s->key, list[i]);
                        else
                                col += fprintf(f, " %s", list[i]);
                }
                if (col > 0)
                        fputc('\n', f);
                return;
        }
        default:
                col = 0;
        }
        print_source(f, col, source);
}

void config_print(const Config *c, FILE *f) {
        const char *section = NULL;

        fprintf(f, "# The effective wolfram configuration; each comment says where the value came from.\n");
        for (size_t i = 0; i < config_n_settings; i++) {
                if (!section || !streq(section, config_settings[i].section)) {
                        section = config_settings[i].section;
                        fprintf(f, "%s[%s]\n", i > 0 ? "\n" : "", section);
                }
                print_value(&config_settings[i], c, f, c->sources[i]);
        }
}
