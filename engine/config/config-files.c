/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "common/paths.h"
#include "common/strv.h"
#include "config/config-internal.h"

/* Feeds inih one line at a time so that the handler knows the line. */
typedef struct TextStream {
        Parser *parser;
        const char *path;
        const char *buf;
        size_t len, pos;
        unsigned line;
} TextStream;

int parser_error(Parser *p, unsigned line, const char *fmt, ...) {
        va_list ap;
        char *s;

        if (p->error)
                return -EINVAL;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                return -ENOMEM;
        p->error = s;
        p->error_line = line;
        return -EINVAL;
}

static char *stream_reader(char *str, int num, void *userdata) {
        TextStream *st = userdata;
        const char *start, *nl;
        size_t line_len, text_len;

        if (st->pos >= st->len)
                return NULL;
        start = st->buf + st->pos;
        nl = memchr(start, '\n', st->len - st->pos);
        line_len = nl ? (size_t) (nl - start) + 1 : st->len - st->pos;
        text_len = nl ? line_len - 1 : line_len;
        st->pos += line_len;
        st->line++;

        /* inih would cut a long line and read the rest as a line of its
         * own (newer versions: drop it); NUL would end it silently. Both
         * are refused instead. The newline stays, as inih expects it
         * whenever the buffer is full. */
        if (text_len > CONFIG_LINE_MAX || line_len > (size_t) num - 1) {
                (void) parser_error(st->parser, st->line,
                                    "%s:%u: line is longer than %d characters; continue a long list on "
                                    "further lines with the same key",
                                    st->path, st->line, CONFIG_LINE_MAX);
                str[0] = 0;
                return str;
        }
        if (memchr(start, 0, line_len)) {
                (void) parser_error(st->parser, st->line, "%s:%u: line contains a NUL byte", st->path,
                                    st->line);
                str[0] = 0;
                return str;
        }
        memcpy(str, start, line_len);
        str[line_len] = 0;
        return str;
}

static int stream_handler(void *userdata, const char *section, const char *name, const char *value) {
        TextStream *st = userdata;
        _cleanup_free_ char *where = NULL, *v = NULL;
        size_t len = strlen(value);

        /* inih cuts a " ;" comment off a key=value line, but some of its
         * builds leave it on a continuation line: cut it here too. */
        for (const char *c = value; (c = strchr(c, ';')); c++)
                if (c > value && isspace((unsigned char) c[-1])) {
                        len = (size_t) (c - value);
                        break;
                }
        while (len > 0 && isspace((unsigned char) value[len - 1]))
                len--;

        v = strndup(value, len);
        if (!v || asprintf(&where, "%s:%u", st->path, st->line) < 0)
                return 0;
        return st->parser->add(st->parser, where, st->line, section, name, strlen(name), v) >= 0;
}

int parser_parse_file(Parser *p, const char *path, bool below_root, bool must_exist) {
        _cleanup_free_ char *full = NULL, *buf = NULL;
        TextStream st = { .parser = p, .path = path };
        size_t size;
        int r;

        full = below_root ? root_path(path) : strdup(path);
        if (!full)
                return -ENOMEM;
        r = read_full_file(full, &buf, &size);
        if (r == -ENOENT && !must_exist)
                return 0;
        if (r < 0)
                return parser_error(p, 0, "%s: cannot read: %s", path, strerror(-r));

        st.buf = buf;
        st.len = size;
        r = ini_parse_stream(stream_reader, &st, stream_handler, &st);
        if (r == -2)
                return -ENOMEM;
        if (r > 0 && (!p->error || p->error_line == 0 || (unsigned) r < p->error_line)) {
                free(p->error);
                p->error = NULL;
                (void) parser_error(
                        p, (unsigned) r,
                        "%s:%d: syntax error; expected [Section], key=value or a comment (# or ;)", path, r);
        }
        return p->error ? -EINVAL : 0;
}

static const char *const config_dirs[] = { "/etc/wolfram", "/run/wolfram", "/usr/lib/wolfram" };

static int cmp_basename(const void *a, const void *b) {
        return strcmp(strrchr(*(const char *const *) a, '/'), strrchr(*(const char *const *) b, '/'));
}

static bool basename_seen(char *const *paths, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(strrchr(paths[i], '/') + 1, name))
                        return true;
        return false;
}

/* The drop-ins sorted by file name; a name in an earlier directory hides
 * the same name in later ones. */
static int collect_dropins(char ***ret, size_t *ret_n) {
        char **paths = NULL;
        size_t n = 0;

        for (size_t d = 0; d < ELEMENTSOF(config_dirs); d++) {
                _cleanup_free_ char *dir = NULL, *full = NULL;
                struct dirent *de;
                DIR *dh;

                if (asprintf(&dir, "%s/wolfram.conf.d", config_dirs[d]) < 0)
                        goto oom;
                full = root_path(dir);
                if (!full)
                        goto oom;
                dh = opendir(full);
                if (!dh)
                        continue;
                while ((de = readdir(dh))) {
                        size_t len = strlen(de->d_name);
                        char **np;

                        if (de->d_name[0] == '.' || len < 6 || !streq(de->d_name + len - 5, ".conf") ||
                            basename_seen(paths, n, de->d_name))
                                continue;
                        np = realloc(paths, (n + 1) * sizeof(char *));
                        if (!np || asprintf(&np[n], "%s/%s", dir, de->d_name) < 0) {
                                paths = np ?: paths;
                                closedir(dh);
                                goto oom;
                        }
                        paths = np;
                        n++;
                }
                closedir(dh);
        }

        if (n > 0)
                qsort(paths, n, sizeof(char *), cmp_basename);
        *ret = paths;
        *ret_n = n;
        return 0;

oom:
        strv_free(paths, n);
        return -ENOMEM;
}

int parser_parse_search_path(Parser *p) {
        char **dropins = NULL;
        size_t n = 0;
        int r;

        for (size_t d = 0; d < ELEMENTSOF(config_dirs); d++) {
                _cleanup_free_ char *path = NULL, *full = NULL;

                if (asprintf(&path, "%s/wolfram.conf", config_dirs[d]) < 0)
                        return -ENOMEM;
                full = root_path(path);
                if (!full)
                        return -ENOMEM;
                if (access(full, F_OK) < 0)
                        continue;
                r = parser_parse_file(p, path, true, true);
                if (r < 0)
                        return r;
                break;
        }

        r = collect_dropins(&dropins, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r >= 0; i++)
                r = parser_parse_file(p, dropins[i], true, true);
        strv_free(dropins, n);
        return r;
}

int parser_parse_cli(Parser *p, const char *assignment) {
        _cleanup_free_ char *where = NULL, *section = NULL;
        const char *dot = strchr(assignment, '.'), *eq = strchr(assignment, '=');

        if (asprintf(&where, "command line (%s)", assignment) < 0)
                return -ENOMEM;
        if (!dot || !eq || dot > eq)
                return parser_error(p, 0, "%s: expected Section.key=value, e.g. Engine.cycle_secs=60",
                                    where);
        section = strndup(assignment, (size_t) (dot - assignment));
        if (!section)
                return -ENOMEM;
        return p->add(p, where, 0, section, dot + 1, (size_t) (eq - dot - 1), eq + 1);
}
