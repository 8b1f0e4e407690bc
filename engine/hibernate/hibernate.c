/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/alloc-util.h"
#include "common/escape.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "hibernate/hibernate.h"

static void json_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

void hibernate_record_done(HibernateRecord *r) {
        free(r->cgroup);
        free(r->wake_error);
        r->cgroup = r->wake_error = NULL;
}

static int put_u64(json_object *o, const char *key, uint64_t v) {
        json_object *n = json_object_new_uint64(v);

        if (!n || json_object_object_add(o, key, n) < 0) {
                json_object_put(n);
                return -ENOMEM;
        }
        return 0;
}

static int put_string(json_object *o, const char *key, const char *s) {
        json_object *n = json_object_new_string(s);

        if (!n || json_object_object_add(o, key, n) < 0) {
                json_object_put(n);
                return -ENOMEM;
        }
        return 0;
}

int hibernate_record_format(const HibernateRecord *r, char **ret) {
        _cleanup_(json_putp) json_object *o = json_object_new_object();
        json_object *ports, *listen;
        const char *text;
        int k = 0;

        if (!o)
                return -ENOMEM;
        k |= put_u64(o, "pid", (uint64_t) r->pid);
        k |= put_u64(o, "start_time", r->start_time);
        k |= put_u64(o, "uid", r->uid);
        k |= put_string(o, "comm", r->comm);
        if (r->cgroup)
                k |= put_string(o, "cgroup", r->cgroup);
        k |= put_u64(o, "pss_bytes", r->pss_bytes);
        k |= put_u64(o, "swap_bytes", r->swap_bytes);
        k |= put_u64(o, "image_bytes", r->image_bytes);
        k |= put_u64(o, "hibernated_realtime_usec", r->hibernated_realtime_usec);
        k |= put_u64(o, "dump_usec", r->dump_usec);
        k |= put_u64(o, "tasks", r->n_tasks);
        if (k)
                return -ENOMEM;
        ports = json_object_new_array();
        if (!ports || json_object_object_add(o, "ports", ports) < 0) {
                json_object_put(ports);
                return -ENOMEM;
        }
        for (unsigned i = 0; i < r->n_ports; i++)
                if (json_object_array_add(ports, json_object_new_uint64(r->ports[i])) < 0)
                        return -ENOMEM;
        listen = json_object_new_array();
        if (!listen || json_object_object_add(o, "listen", listen) < 0) {
                json_object_put(listen);
                return -ENOMEM;
        }
        for (unsigned i = 0; i < r->n_listen; i++) {
                json_object *l = json_object_new_object();
                char address[INET6_ADDRSTRLEN];

                if (!l || json_object_array_add(listen, l) < 0) {
                        json_object_put(l);
                        return -ENOMEM;
                }
                if (!inet_ntop(r->listen[i].family, r->listen[i].address, address, sizeof(address)))
                        return -EINVAL;
                if (put_string(l, "address", address) < 0 || put_u64(l, "port", r->listen[i].port) < 0 ||
                    json_object_object_add(l, "reuse_address",
                                           json_object_new_boolean(r->listen[i].reuse_address)) < 0)
                        return -ENOMEM;
        }
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return -ENOMEM;
        *ret = strdup(text);
        return *ret ? 0 : -ENOMEM;
}

/* A non-negative integer member no larger than max; -EBADMSG otherwise,
 * -ENOENT when it is missing. */
static int get_u64(json_object *o, const char *key, uint64_t max, uint64_t *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return -ENOENT;
        if (!json_object_is_type(v, json_type_int))
                return -EBADMSG;
        /* json-c gives 0 with errno for text it cannot take as a number, and
         * clamps a negative one to 0 in get_uint64: ask for int64 first. */
        if (json_object_get_int64(v) < 0)
                return -EBADMSG;
        *ret = json_object_get_uint64(v);
        return *ret <= max ? 0 : -EBADMSG;
}

/* An array member of at most 'max' elements: 1 with it in *ret, 0 when it
 * is missing, -EBADMSG when it is something else or longer. */
static int get_array(json_object *o, const char *key, size_t max, json_object **ret, size_t *ret_n) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return 0;
        if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > max)
                return -EBADMSG;
        *ret = v;
        *ret_n = json_object_array_length(v);
        return 1;
}

int hibernate_record_parse(const char *text, HibernateRecord *ret) {
        _cleanup_(json_putp) json_object *o = json_tokener_parse(text);
        HibernateRecord r = {};
        json_object *v;
        uint64_t u;
        size_t n;
        int k;

        if (!o || !json_object_is_type(o, json_type_object))
                return -EBADMSG;
        if (get_u64(o, "pid", INT32_MAX, &u) < 0 || u == 0)
                return -EBADMSG;
        r.pid = (pid_t) u;
        if (get_u64(o, "start_time", UINT64_MAX, &r.start_time) < 0)
                return -EBADMSG;
        if (get_u64(o, "uid", UINT32_MAX - 1, &u) < 0)
                return -EBADMSG;
        r.uid = (uid_t) u;
        if (!json_object_object_get_ex(o, "comm", &v) || !json_object_is_type(v, json_type_string) ||
            json_object_get_string_len(v) >= HIBERNATE_COMM_MAX)
                return -EBADMSG;
        memcpy(r.comm, json_object_get_string(v), (size_t) json_object_get_string_len(v) + 1);
        /* The figures are for people: a missing one reads 0, a wrong one
         * makes the record wrong. */
        {
                static const char *const keys[] = { "pss_bytes", "swap_bytes", "image_bytes",
                                                    "hibernated_realtime_usec", "dump_usec" };
                uint64_t *fields[] = { &r.pss_bytes, &r.swap_bytes, &r.image_bytes,
                                       &r.hibernated_realtime_usec, &r.dump_usec };

                for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                        if (get_u64(o, keys[i], UINT64_MAX, fields[i]) == -EBADMSG)
                                return -EBADMSG;
        }
        if (get_u64(o, "tasks", HIBERNATE_MAX_TASKS, &u) == -EBADMSG)
                return -EBADMSG;
        r.n_tasks = (unsigned) u;
        k = get_array(o, "ports", HIBERNATE_MAX_PORTS, &v, &n);
        if (k < 0)
                return k;
        if (k > 0) {
                for (size_t i = 0; i < n; i++) {
                        json_object *p = json_object_array_get_idx(v, i);

                        if (!json_object_is_type(p, json_type_int) || json_object_get_int64(p) <= 0 ||
                            json_object_get_int64(p) > 65535)
                                return -EBADMSG;
                        r.ports[r.n_ports++] = (uint16_t) json_object_get_int64(p);
                }
        }
        k = get_array(o, "listen", HIBERNATE_MAX_PORTS, &v, &n);
        if (k < 0)
                return k;
        if (k > 0) {
                for (size_t i = 0; i < n; i++) {
                        json_object *l = json_object_array_get_idx(v, i), *a, *reuse;
                        HibernateListen *e = &r.listen[r.n_listen];
                        const char *address;

                        if (!json_object_is_type(l, json_type_object) ||
                            !json_object_object_get_ex(l, "address", &a) ||
                            !json_object_is_type(a, json_type_string) || get_u64(l, "port", 65535, &u) < 0 ||
                            u == 0)
                                return -EBADMSG;
                        address = json_object_get_string(a);
                        if (inet_pton(AF_INET, address, e->address) == 1)
                                e->family = AF_INET;
                        else if (inet_pton(AF_INET6, address, e->address) == 1)
                                e->family = AF_INET6;
                        else
                                return -EBADMSG;
                        e->port = (uint16_t) u;
                        if (json_object_object_get_ex(l, "reuse_address", &reuse)) {
                                if (!json_object_is_type(reuse, json_type_boolean))
                                        return -EBADMSG;
                                e->reuse_address = json_object_get_boolean(reuse);
                        }
                        r.n_listen++;
                }
        }
        if (json_object_object_get_ex(o, "cgroup", &v)) {
                if (!json_object_is_type(v, json_type_string))
                        return -EBADMSG;
                r.cgroup = strdup(json_object_get_string(v));
                if (!r.cgroup)
                        return -ENOMEM;
        }
        *ret = r;
        return 0;
}

void hibernate_criu_reason(const char *log, size_t len, int status, char *buf, size_t size) {
        const char *line;
        size_t pos = 0, line_len, used = 0;
        unsigned n = 0;

        if (size == 0)
                return;
        buf[0] = '\0';
        while (log && n < 3 && next_line(log, len, &pos, &line, &line_len)) {
                const char *e = memmem(line, line_len, "Error (", 7), *text, *end = line + line_len;
                int k;

                if (!e)
                        continue;
                /* "Error (criu/file.c:12): what": the text after the location. */
                text = memmem(e, (size_t) (end - e), "): ", 3);
                text = text ? text + 3 : e;
                while (end > text && (end[-1] == ' ' || end[-1] == '\r'))
                        end--;
                /* criu's probes of helper programs ("exited, status=1")
                 * say nothing of why the process could not be taken. */
                if (end == text || ((size_t) (end - text) >= 15 && memcmp(text, "exited, status=", 15) == 0))
                        continue;
                k = snprintf(buf + used, size - used, "%s%.*s", n ? "; " : "", (int) (end - text), text);
                if (k < 0 || (size_t) k >= size - used) {
                        used = size - 1;
                        n++;
                        break;
                }
                used += (size_t) k;
                n++;
        }
        if (n == 0)
                snprintf(buf, size, "criu exited with status %d", status);
}

static bool has_inode(const uint64_t *inodes, size_t n, uint64_t inode) {
        for (size_t i = 0; i < n; i++)
                if (inodes[i] == inode)
                        return true;
        return false;
}

/* One hexadecimal field of /proc/net/tcp: a number of at most 'digits'
 * digits, in *ret. */
static int parse_hex(const char *p, size_t len, size_t digits, uint64_t *ret) {
        uint64_t v = 0;

        if (len == 0 || len > digits)
                return -EBADMSG;
        for (size_t i = 0; i < len; i++) {
                int d = p[i] >= '0' && p[i] <= '9'   ? p[i] - '0'
                        : p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 10
                        : p[i] >= 'a' && p[i] <= 'f' ? p[i] - 'a' + 10
                                                     : -1;
                if (d < 0)
                        return -EBADMSG;
                v = v * 16 + (uint64_t) d;
        }
        *ret = v;
        return 0;
}

/* The local address of a line: 8 (IPv4) or 32 (IPv6) hexadecimal digits,
 * the kernel's 32-bit words as they are in memory (%08X each). */
static int parse_address(const char *p, size_t len, int family, uint8_t *ret) {
        size_t words = family == AF_INET ? 1 : 4;

        if (len != words * 8)
                return -EBADMSG;
        for (size_t i = 0; i < words; i++) {
                uint64_t w;
                uint32_t w32;

                if (parse_hex(p + i * 8, 8, 8, &w) < 0)
                        return -EBADMSG;
                w32 = (uint32_t) w;
                memcpy(ret + i * 4, &w32, 4);
        }
        return 0;
}

int hibernate_listen_parse(const char *text, size_t len, int family, const uint64_t *inodes, size_t n_inodes,
                           HibernateRecord *rec, uint64_t *inode_of) {
        const char *line;
        size_t pos = 0, line_len;
        bool header = true;

        if (family != AF_INET && family != AF_INET6)
                return -EINVAL;
        while (next_line(text, len, &pos, &line, &line_len)) {
                /* "  0: 00000000:1F90 00000000:0000 0A 00000000:00000000
                 * 00:00000000 00000000  1000        0 12345 1 ..." */
                const char *p = line, *end = line + line_len, *f[10];
                size_t fl[10];
                uint64_t port, state, inode;
                uint8_t address[16] = {};
                const char *colon;
                unsigned i;

                if (header) {
                        header = false;
                        if (memmem(line, line_len, "local_address", 13))
                                continue;
                }
                for (i = 0; i < 10 && next_field(&p, end, &f[i], &fl[i]); i++)
                        ;
                if (i == 0)
                        continue;
                if (i < 10)
                        return -EBADMSG;
                colon = memchr(f[1], ':', fl[1]);
                if (!colon || parse_address(f[1], (size_t) (colon - f[1]), family, address) < 0 ||
                    parse_hex(colon + 1, (size_t) (f[1] + fl[1] - colon - 1), 4, &port) < 0)
                        return -EBADMSG;
                if (fl[3] != 2 || parse_hex(f[3], 2, 2, &state) < 0)
                        return -EBADMSG;
                if (parse_u64(f[9], fl[9], &inode) < 0)
                        return -EBADMSG;
                if (state != 0x0A || port == 0 || !has_inode(inodes, n_inodes, inode) ||
                    rec->n_listen >= HIBERNATE_MAX_PORTS)
                        continue;
                if (inode_of)
                        inode_of[rec->n_listen] = inode;
                rec->listen[rec->n_listen++] = (HibernateListen){
                        .family = family,
                        .port = (uint16_t) port,
                };
                memcpy(rec->listen[rec->n_listen - 1].address, address, sizeof(address));
                for (i = 0; i < rec->n_ports; i++)
                        if (rec->ports[i] == port)
                                break;
                if (i == rec->n_ports)
                        rec->ports[rec->n_ports++] = (uint16_t) port;
        }
        return 0;
}

void hibernate_listen_format(const HibernateListen *l, char *buf, size_t size) {
        char address[INET6_ADDRSTRLEN];

        if (!inet_ntop(l->family, l->address, address, sizeof(address)))
                snprintf(address, sizeof(address), "?");
        snprintf(buf, size, l->family == AF_INET6 ? "[%s]:%u" : "%s:%u", address, (unsigned) l->port);
}

/* The "entries" list of a crit decode whose magic is 'magic'. */
static json_object *crit_entries(json_object *o, const char *magic) {
        json_object *m, *entries;

        if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "magic", &m) ||
            !json_object_is_type(m, json_type_string) || strcmp(json_object_get_string(m), magic) != 0 ||
            !json_object_object_get_ex(o, "entries", &entries) ||
            !json_object_is_type(entries, json_type_array))
                return NULL;
        return entries;
}

int hibernate_pstree_parse(const char *json, pid_t *pids, unsigned *n_pids) {
        _cleanup_(json_putp) json_object *o = json_tokener_parse(json);
        json_object *entries = crit_entries(o, "PSTREE");
        size_t n;

        if (!entries)
                return -EBADMSG;
        n = json_object_array_length(entries);
        if (n == 0)
                return -EBADMSG;
        if (n > HIBERNATE_MAX_TASKS)
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(entries, i);
                uint64_t pid;

                if (!json_object_is_type(e, json_type_object) || get_u64(e, "pid", INT32_MAX, &pid) < 0 ||
                    pid == 0)
                        return -EBADMSG;
                pids[i] = (pid_t) pid;
        }
        *n_pids = (unsigned) n;
        return 0;
}

/* A present page is in this image's pages file unless it is in a parent
 * image (PE_PARENT, a pre-dump's: wolfram makes none). PE_LAZY only says
 * a restore could fetch it later; without lazy-pages it is written too.
 * crit writes the flags as names joined by " | " ("PE_LAZY | PE_PRESENT"),
 * older ones as a number or as in_parent. */
static int entry_in_pages_file(json_object *e, bool *ret) {
        json_object *v;

        if (json_object_object_get_ex(e, "in_parent", &v) && json_object_get_boolean(v)) {
                *ret = false;
                return 0;
        }
        if (!json_object_object_get_ex(e, "flags", &v)) {
                *ret = true;
                return 0;
        }
        if (json_object_is_type(v, json_type_string)) {
                const char *s = json_object_get_string(v);

                *ret = strstr(s, "PE_PRESENT") && !strstr(s, "PE_PARENT");
                return 0;
        }
        if (json_object_is_type(v, json_type_int)) {
                int64_t f = json_object_get_int64(v);

                *ret = (f & 4) && !(f & 1); /* PE_PRESENT, not PE_PARENT */
                return 0;
        }
        return -EBADMSG;
}

int hibernate_pagemap_parse(const char *json, uint64_t *ret_pages_id, uint64_t *ret_pages) {
        _cleanup_(json_putp) json_object *o = json_tokener_parse(json);
        json_object *entries = crit_entries(o, "PAGEMAP"), *head;
        uint64_t pages = 0, pages_id;
        size_t n;

        if (!entries)
                return -EBADMSG;
        n = json_object_array_length(entries);
        /* The head first: { "pages_id": N }. */
        head = n ? json_object_array_get_idx(entries, 0) : NULL;
        if (!head || !json_object_is_type(head, json_type_object) ||
            get_u64(head, "pages_id", UINT32_MAX, &pages_id) < 0)
                return -EBADMSG;
        for (size_t i = 1; i < n; i++) {
                json_object *e = json_object_array_get_idx(entries, i);
                uint64_t nr;
                bool in_file;

                if (!json_object_is_type(e, json_type_object) ||
                    get_u64(e, "nr_pages", UINT32_MAX, &nr) < 0 || entry_in_pages_file(e, &in_file) < 0)
                        return -EBADMSG;
                if (in_file)
                        pages += nr;
        }
        *ret_pages_id = pages_id;
        *ret_pages = pages;
        return 0;
}

/* "   1234 kB" after a smaps key, in bytes. */
static int parse_kib(const char *p, const char *end, uint64_t *ret) {
        const char *digits;
        uint64_t kib;

        while (p < end && *p == ' ')
                p++;
        digits = p;
        while (p < end && *p >= '0' && *p <= '9')
                p++;
        if (p == digits || parse_u64(digits, (size_t) (p - digits), &kib) < 0 || kib > UINT64_MAX / 1024)
                return -EBADMSG;
        if ((size_t) (end - p) != 3 || memcmp(p, " kB", 3) != 0)
                return -EBADMSG;
        *ret = kib * 1024;
        return 0;
}

int hibernate_rollup_parse(const char *text, size_t len, uint64_t *ret_pss, uint64_t *ret_swap) {
        const char *line;
        size_t pos = 0, line_len;
        bool have_pss = false, have_swap = false;

        while (next_line(text, len, &pos, &line, &line_len)) {
                if (line_len > 4 && memcmp(line, "Pss:", 4) == 0) {
                        if (parse_kib(line + 4, line + line_len, ret_pss) < 0)
                                return -EBADMSG;
                        have_pss = true;
                } else if (line_len > 5 && memcmp(line, "Swap:", 5) == 0) {
                        if (parse_kib(line + 5, line + line_len, ret_swap) < 0)
                                return -EBADMSG;
                        have_swap = true;
                }
        }
        return have_pss && have_swap ? 0 : -EBADMSG;
}

bool hibernate_dir_name_pid(const char *name, pid_t *ret) {
        uint64_t v;

        if (!name[0] || name[0] == '0' || strspn(name, "0123456789") != strlen(name) ||
            parse_u64(name, strlen(name), &v) < 0 || v > INT32_MAX)
                return false;
        *ret = (pid_t) v;
        return true;
}

void hibernate_records_free(HibernateRecord *r, size_t n) {
        for (size_t i = 0; i < n; i++)
                hibernate_record_done(&r[i]);
        free(r);
}

static int record_cmp(const void *a, const void *b) {
        const HibernateRecord *x = a, *y = b;
        return (x->pid > y->pid) - (x->pid < y->pid);
}

int hibernate_scan(const char *root, HibernateRecord **ret, size_t *ret_n) {
        HibernateRecord *list = NULL;
        size_t n = 0, allocated = 0;
        struct dirent *de;
        DIR *d;
        int r = 0;

        d = opendir(root);
        if (!d) {
                if (errno != ENOENT)
                        return -errno;
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                HibernateRecord rec;
                size_t len;
                pid_t pid;

                if (!hibernate_dir_name_pid(de->d_name, &pid))
                        continue;
                if (asprintf(&path, "%s/%s/%s", root, de->d_name, HIBERNATE_RECORD) < 0) {
                        path = NULL;
                        r = -ENOMEM;
                        break;
                }
                r = read_full_file(path, &text, &len);
                if (r == -ENOENT) {
                        r = 0;
                        continue;
                }
                if (r >= 0)
                        r = hibernate_record_parse(text, &rec);
                if (r == -ENOMEM)
                        break;
                if (r >= 0 && rec.pid != pid)
                        r = -EBADMSG;
                if (r < 0) {
                        log_warning_errno(r, "Skipping %s: not a hibernation record: %m", path);
                        r = 0;
                        continue;
                }
                /* A restore that failed says why beside the record. */
                free(path);
                free(text);
                text = NULL;
                if (asprintf(&path, "%s/%s/%s", root, de->d_name, HIBERNATE_WAKE_ERROR) < 0) {
                        path = NULL;
                        hibernate_record_done(&rec);
                        r = -ENOMEM;
                        break;
                }
                if (read_full_file(path, &text, &len) >= 0) {
                        rec.wake_error = escape_bytes(text, strcspn(text, "\n"), ESCAPE_BACKSLASH);
                }
                if (GREEDY_REALLOC(list, allocated, n + 1) < 0) {
                        hibernate_record_done(&rec);
                        r = -ENOMEM;
                        break;
                }
                list[n++] = rec;
        }
        closedir(d);
        if (r < 0) {
                hibernate_records_free(list, n);
                return r;
        }
        if (n > 1)
                qsort(list, n, sizeof(*list), record_cmp);
        *ret = list;
        *ret_n = n;
        return 0;
}

uint64_t hibernate_saved_bytes(const HibernateRecord *r, size_t n) {
        uint64_t sum = 0;

        for (size_t i = 0; i < n; i++)
                sum += r[i].pss_bytes + r[i].swap_bytes;
        return sum;
}
