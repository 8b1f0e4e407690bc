/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/macro.h"
#include "format.h"
#include "output.h"

bool colour_wanted(bool is_terminal, const char *no_color, const char *term) {
        /* https://no-color.org: present and not empty means no colour. */
        if (!is_terminal || (no_color && *no_color))
                return false;
        return term && *term && !streq(term, "dumb");
}

const char *ansi_bold(const OutputOptions *o) {
        return o->colour ? "\x1b[1m" : "";
}

const char *ansi_green(const OutputOptions *o) {
        return o->colour ? "\x1b[32m" : "";
}

const char *ansi_yellow(const OutputOptions *o) {
        return o->colour ? "\x1b[33m" : "";
}

const char *ansi_red(const OutputOptions *o) {
        return o->colour ? "\x1b[31m" : "";
}

const char *ansi_normal(const OutputOptions *o) {
        return o->colour ? "\x1b[0m" : "";
}

const char *ansi_for_state(const OutputOptions *o, const char *state) {
        if (streq(state, "running"))
                return ansi_green(o);
        if (streq(state, "paused"))
                return ansi_yellow(o);
        return ansi_red(o);
}

char *format_size(char buf[static FORMAT_SIZE_MAX], uint64_t bytes, const OutputOptions *o) {
        if (o->bytes) {
                snprintf(buf, FORMAT_SIZE_MAX, "%" PRIu64, bytes);
                return buf;
        }
        return format_bytes(buf, FORMAT_SIZE_MAX, bytes);
}

char *format_size_signed(char buf[static FORMAT_SIZE_MAX], int64_t bytes, const OutputOptions *o) {
        if (bytes >= 0)
                return format_size(buf, (uint64_t) bytes, o);
        buf[0] = '-';
        if (o->bytes)
                snprintf(buf + 1, FORMAT_SIZE_MAX - 1, "%" PRIu64, -(uint64_t) bytes);
        else
                format_bytes(buf + 1, FORMAT_SIZE_MAX - 1, -(uint64_t) bytes);
        return buf;
}

json_object *json_get(json_object *o, const char *key) {
        json_object *v;

        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

uint64_t json_get_u64(json_object *o, const char *key, uint64_t def) {
        json_object *v = json_get(o, key);

        if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
                return def;
        /* A negative figure is no size; json-c would clamp it to 0 anyway. */
        if (json_object_get_int64(v) < 0)
                return def;
        return json_object_get_uint64(v);
}

int64_t json_get_i64(json_object *o, const char *key, int64_t def) {
        json_object *v = json_get(o, key);

        if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
                return def;
        return json_object_get_int64(v);
}

double json_get_double(json_object *o, const char *key, double def) {
        json_object *v = json_get(o, key);

        if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
                return def;
        return json_object_get_double(v);
}

bool json_get_bool(json_object *o, const char *key, bool def) {
        json_object *v = json_get(o, key);

        return v && json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : def;
}

const char *json_get_str(json_object *o, const char *key, const char *def) {
        json_object *v = json_get(o, key);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : def;
}

void fputs_json_safe(FILE *f, const char *json) {
        const char *p = json, *end = json + strlen(json);

        /* json-c writes C0 controls as \u00XX but DEL, C1 and bidi controls
         * as they are, and bytes that are not UTF-8 too. Outside strings its
         * text is ASCII, so any such byte is inside a string, where \uXXXX
         * keeps the JSON valid and the terminal safe. */
        while (p < end) {
                uint32_t cp;
                size_t n = utf8_char_decode(p, (size_t) (end - p), &cp);

                if (n == 0) {
                        fputs("\\ufffd", f);
                        p++;
                } else if (cp >= 0x7f && unichar_is_unsafe(cp)) {
                        fprintf(f, "\\u%04" PRIx32, cp);
                        p += n;
                } else {
                        fwrite(p, 1, n, f);
                        p += n;
                }
        }
}

int print_json(FILE *f, json_object *v, bool pretty) {
        int flags =
                JSON_C_TO_STRING_NOSLASHESCAPE | (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN);

        fputs_json_safe(f, json_object_to_json_string_ext(v, flags));
        fputc('\n', f);
        return ferror(f) ? -EIO : 0;
}

void fputs_escaped(FILE *f, const char *s) {
        _cleanup_free_ char *e = NULL;

        if (!s) {
                fputc('?', f);
                return;
        }
        e = escape_text(s);
        /* Out of memory: say nothing rather than something unsafe. */
        fputs(e ?: "?", f);
}

int print_policies(FILE *f, json_object *policies, const OutputOptions *o) {
        static const char *const known[] = { "compression", "ksm", "tuning" };
        bool first = true;

        for (size_t i = 0; i < ELEMENTSOF(known); i++) {
                json_object *v = json_get(policies, known[i]);

                if (!v)
                        continue;
                fprintf(f, "%s%s %s%s%s", first ? "" : ", ", known[i],
                        json_object_get_boolean(v) ? ansi_green(o) : ansi_yellow(o),
                        json_object_get_boolean(v) ? "on" : "off", ansi_normal(o));
                first = false;
        }
        if (policies && json_object_is_type(policies, json_type_object)) {
                json_object_object_foreach(policies, key, v) {
                        bool is_known = false;

                        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                                is_known = is_known || streq(known[i], key);
                        if (is_known)
                                continue;
                        fputs(first ? "" : ", ", f);
                        fputs_escaped(f, key);
                        fprintf(f, " %s", json_object_get_boolean(v) ? "on" : "off");
                        first = false;
                }
        }
        if (first)
                fputs("none", f);
        return ferror(f) ? -EIO : 0;
}
