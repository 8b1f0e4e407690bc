/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "ctl-processes.h"
#include "format.h"
#include "table.h"
#include "wolfram-bus.h"

static const char *const sort_names[_SORT_MAX] = { "anon", "swap", "idle", "pageout", "pid" };

/* The members of one ListProcesses struct, in the order of its signature
 * (ussttduttstxbt), named as --json prints them. */
static const struct {
        const char *name;
        json_type type;
} process_fields[] = {
        { "Pid", json_type_int },
        { "Name", json_type_string },
        { "Cgroup", json_type_string },
        { "AnonRssBytes", json_type_int },
        { "SwapBytes", json_type_int },
        { "IdleShare", json_type_double },
        { "CyclesIdle", json_type_int },
        { "ColdBytes", json_type_int },
        { "PagedOutBytes", json_type_int },
        { "State", json_type_string },
        { "KsmMergingBytes", json_type_int },
        { "KsmProfitBytes", json_type_int },
        { "KsmMergeAny", json_type_boolean },
        { "RefaultedBytes", json_type_int },
};

ProcessSort process_sort_from_string(const char *s) {
        for (int i = 0; i < _SORT_MAX; i++)
                if (streq(sort_names[i], s))
                        return (ProcessSort) i;
        return _SORT_INVALID;
}

int processes_from_bus(json_object *bus_rows, json_object **ret) {
        json_object *rows;

        if (!json_object_is_type(bus_rows, json_type_array))
                return -EBADMSG;
        rows = json_object_new_array();
        if (!rows)
                return -ENOMEM;
        for (size_t i = 0; i < json_object_array_length(bus_rows); i++) {
                json_object *in = json_object_array_get_idx(bus_rows, i), *out;

                if (!json_object_is_type(in, json_type_array) ||
                    json_object_array_length(in) != ELEMENTSOF(process_fields))
                        goto bad;
                out = json_object_new_object();
                if (!out || json_object_array_add(rows, out) < 0) {
                        json_object_put(out);
                        json_object_put(rows);
                        return -ENOMEM;
                }
                for (size_t j = 0; j < ELEMENTSOF(process_fields); j++) {
                        json_object *v = json_object_array_get_idx(in, j);

                        if (!json_object_is_type(v, process_fields[j].type))
                                goto bad;
                        json_object_object_add(out, process_fields[j].name, json_object_get(v));
                }
        }
        *ret = rows;
        return 0;
bad:
        json_object_put(rows);
        return -EBADMSG;
}

static int cmp_u64(uint64_t a, uint64_t b) {
        return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_rows(const void *a, const void *b, void *userdata) {
        json_object *x = *(json_object *const *) a, *y = *(json_object *const *) b;
        ProcessSort sort = *(const ProcessSort *) userdata;
        double dx, dy;
        int r = 0;

        switch (sort) {
        case SORT_ANON:
                r = cmp_u64(json_get_u64(x, "AnonRssBytes", 0), json_get_u64(y, "AnonRssBytes", 0));
                break;
        case SORT_SWAP:
                r = cmp_u64(json_get_u64(x, "SwapBytes", 0), json_get_u64(y, "SwapBytes", 0));
                break;
        case SORT_IDLE:
                dx = json_get_double(x, "IdleShare", 0);
                dy = json_get_double(y, "IdleShare", 0);
                r = dx < dy ? 1 : dx > dy ? -1 : 0;
                break;
        case SORT_PAGEOUT:
                r = cmp_u64(json_get_u64(x, "PagedOutBytes", 0), json_get_u64(y, "PagedOutBytes", 0));
                break;
        default:
                break;
        }
        /* qsort is not stable: the pid decides between equals. */
        return r != 0 ? r : -cmp_u64(json_get_u64(x, "Pid", 0), json_get_u64(y, "Pid", 0));
}

int processes_select(json_object *rows, ProcessSort sort, unsigned top, json_object **ret) {
        size_t n = json_object_array_length(rows);
        _cleanup_free_ json_object **v = calloc(n ?: 1, sizeof(json_object *));
        json_object *out;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                v[i] = json_object_array_get_idx(rows, i);
        qsort_r(v, n, sizeof(json_object *), cmp_rows, &sort);
        if (top > 0 && n > top)
                n = top;

        out = json_object_new_array_ext((int) n);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (json_object_array_add(out, json_object_get(v[i])) < 0) {
                        json_object_put(v[i]);
                        json_object_put(out);
                        return -ENOMEM;
                }
        *ret = out;
        return 0;
}

int processes_print(FILE *f, json_object *rows, const OutputOptions *o) {
        static const char *const headers[] = { "PID",       "NAME",      "ANON", "SWAP",  "IDLE",  "CYCLES",
                                               "PAGED OUT", "CAME BACK", "KSM",  "STATE", "CGROUP" };
        _cleanup_(table_freep) Table *t = table_new(ELEMENTSOF(headers), headers);
        size_t n = json_object_array_length(rows);
        int r = 0;

        if (!t)
                return -ENOMEM;
        /* Numbers right, words left. */
        for (size_t c = 0; c < ELEMENTSOF(headers); c++)
                if (!streq(headers[c], "NAME") && !streq(headers[c], "STATE") &&
                    !streq(headers[c], "CGROUP"))
                        table_align_right(t, c);

        for (size_t i = 0; i < n && r >= 0; i++) {
                json_object *p = json_object_array_get_idx(rows, i);
                char pid[32], idle[16], cycles[32], a[FORMAT_SIZE_MAX], b[FORMAT_SIZE_MAX],
                        c[FORMAT_SIZE_MAX], d[FORMAT_SIZE_MAX], e[FORMAT_SIZE_MAX];

                snprintf(pid, sizeof(pid), "%" PRIu64, json_get_u64(p, "Pid", 0));
                snprintf(idle, sizeof(idle), "%.0f%%", json_get_double(p, "IdleShare", 0) * 100.0);
                snprintf(cycles, sizeof(cycles), "%" PRIu64, json_get_u64(p, "CyclesIdle", 0));
                const char *cells[] = {
                        pid,
                        json_get_str(p, "Name", "?"),
                        format_size(a, json_get_u64(p, "AnonRssBytes", 0), o),
                        format_size(b, json_get_u64(p, "SwapBytes", 0), o),
                        idle,
                        cycles,
                        format_size(c, json_get_u64(p, "PagedOutBytes", 0), o),
                        format_size(e, json_get_u64(p, "RefaultedBytes", 0), o),
                        format_size(d, json_get_u64(p, "KsmMergingBytes", 0), o),
                        json_get_str(p, "State", "?"),
                        json_get_str(p, "Cgroup", "?"),
                };
                for (size_t k = 0; k < ELEMENTSOF(cells) && r >= 0; k++)
                        r = table_add_cell(t, cells[k]);
        }
        if (r < 0)
                return r;
        r = table_print(t, f, o);
        if (r < 0)
                return r;
        if (n == 0 && !o->no_legend)
                fputs("(no processes yet: the first cycle has not finished, or none is large enough)\n", f);
        return ferror(f) ? -EIO : 0;
}

/* Under the table: the processes that sleep (HibernatedProcesses), which
 * ListProcesses cannot list, being gone from /proc. An engine without the
 * property shows none. */
static void print_hibernated(sd_bus *bus, const CtlContext *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name;
        uint32_t pid, uid;
        uint64_t bytes, since;
        bool first = true;
        int r;

        if (ctl_get_property(bus, "HibernatedProcesses", &error, &reply) < 0 ||
            sd_bus_message_enter_container(reply, 'a', "(usutt)") < 0)
                return;
        while ((r = sd_bus_message_read(reply, "(usutt)", &pid, &name, &uid, &bytes, &since)) > 0) {
                char size[FORMAT_SIZE_MAX], when[64];

                if (first && !c->output.no_legend)
                        printf("\nHibernated (wolframctl wake PID):\n");
                first = false;
                printf("%5" PRIu32 " ", pid);
                fputs_escaped(stdout, name);
                printf(" uid %" PRIu32 ", %s returned, since %s\n", uid,
                       format_size(size, bytes, &c->output), format_timestamp(when, sizeof(when), since));
        }
}

int verb_processes(sd_bus *bus, const CtlContext *c, char **args) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        json_object *bus_rows = NULL, *rows = NULL, *selected = NULL;
        int r;

        (void) args;
        r = ctl_call(bus, "ListProcesses", CTL_NO_START, 0, &error, &reply, NULL);
        if (r < 0)
                return ctl_report_error(c, "list processes", &error, r);
        r = ctl_reply_to_json(reply, "process list", &bus_rows);
        if (r != CTL_EXIT_SUCCESS)
                return r;

        r = processes_from_bus(bus_rows, &rows);
        json_object_put(bus_rows);
        if (r >= 0) {
                r = processes_select(rows, c->sort, c->top, &selected);
                json_object_put(rows);
        }
        if (r < 0) {
                fprintf(stderr, "Failed to parse the process list: %s\n", strerror(-r));
                return CTL_EXIT_FAILED;
        }
        r = c->json ? print_json(stdout, selected, true) : processes_print(stdout, selected, &c->output);
        json_object_put(selected);
        if (r >= 0 && !c->json)
                print_hibernated(bus, c);
        return r < 0 ? CTL_EXIT_FAILED : CTL_EXIT_SUCCESS;
}
