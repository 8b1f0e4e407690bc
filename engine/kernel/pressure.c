/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "kernel/pressure.h"

int vmstat_parse(const char *buf, size_t len, VmStat *ret) {
        static const KeyField keys[] = {
                { "pswpin", offsetof(VmStat, pswpin) },
                { "pswpout", offsetof(VmStat, pswpout) },
                { "workingset_refault_anon", offsetof(VmStat, workingset_refault_anon) },
        };
        VmStat v;
        int r = parse_key_fields(buf, len, keys, ELEMENTSOF(keys), &v, sizeof(v));

        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int vmstat_read(VmStat *ret) {
        _cleanup_free_ char *path = root_path("/proc/vmstat"), *buf = NULL;
        size_t size;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_full_file(path, &buf, &size);
        if (r < 0)
                return r;
        return vmstat_parse(buf, size, ret);
}

/* "avg10=0.12": the value of a known key as a double. */
static int parse_psi_field(const char *f, size_t len, PsiLine *l) {
        static const char *const keys[] = { "avg10=", "avg60=", "avg300=", "total=" };
        char number[32], *end;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                size_t kl = strlen(keys[i]);

                if (len <= kl || memcmp(f, keys[i], kl) != 0)
                        continue;
                if (i == 3)
                        return parse_u64(f + kl, len - kl, &l->total_usec) < 0 ? -EBADMSG : 1;
                if (len - kl >= sizeof(number))
                        return -EBADMSG;
                memcpy(number, f + kl, len - kl);
                number[len - kl] = 0;
                /* The kernel prints "%lu.%02lu": digits and one dot, in any
                 * locale; strtod would follow LC_NUMERIC. */
                double v = 0, scale = 1;
                bool dot = false, digits = false;
                for (end = number; *end; end++) {
                        if (*end == '.' && !dot) {
                                dot = true;
                                continue;
                        }
                        if (*end < '0' || *end > '9')
                                return -EBADMSG;
                        digits = true;
                        if (dot) {
                                scale /= 10;
                                v += (*end - '0') * scale;
                        } else
                                v = v * 10 + (*end - '0');
                }
                if (!digits)
                        return -EBADMSG;
                *(i == 0 ? &l->avg10 : i == 1 ? &l->avg60 : &l->avg300) = v;
                return 1;
        }
        return 0; /* a field a later kernel added */
}

static int parse_psi_line(const char *p, const char *end, PsiLine *ret) {
        PsiLine l = {};
        unsigned known = 0;
        const char *f;
        size_t fl;
        int r;

        while (next_field(&p, end, &f, &fl)) {
                r = parse_psi_field(f, fl, &l);
                if (r < 0)
                        return r;
                known += r;
        }
        if (known < 4)
                return -EBADMSG;
        *ret = l;
        return 0;
}

int psi_parse(const char *buf, size_t len, Psi *ret) {
        Psi s = {};
        bool some = false;
        const char *line;
        size_t pos = 0, line_len;
        int r;

        while (next_line(buf, len, &pos, &line, &line_len)) {
                const char *p = line, *end = line + line_len, *kind;
                size_t kind_len;

                if (!next_field(&p, end, &kind, &kind_len))
                        continue;
                if (kind_len == 4 && memcmp(kind, "some", 4) == 0) {
                        if (some)
                                return -EBADMSG;
                        r = parse_psi_line(p, end, &s.some);
                        some = true;
                } else if (kind_len == 4 && memcmp(kind, "full", 4) == 0) {
                        if (s.has_full)
                                return -EBADMSG;
                        r = parse_psi_line(p, end, &s.full);
                        s.has_full = true;
                } else
                        continue;
                if (r < 0)
                        return r;
        }
        if (!some)
                return -EBADMSG;
        *ret = s;
        return 0;
}

int psi_read(const char *resource, Psi *ret) {
        _cleanup_free_ char *rel = NULL, *path = NULL, *buf = NULL;
        size_t size;
        int r;

        if (asprintf(&rel, "/proc/pressure/%s", resource) < 0)
                return -ENOMEM;
        path = root_path(rel);
        if (!path)
                return -ENOMEM;
        r = read_full_file(path, &buf, &size);
        /* No file: no PSI in this kernel; EOPNOTSUPP: psi=0 on the command line. */
        if (r == -ENOENT || r == -EOPNOTSUPP)
                return -EOPNOTSUPP;
        if (r < 0)
                return r;
        return psi_parse(buf, size, ret);
}
