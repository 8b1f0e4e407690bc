/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-processes.h"
#include "format.h"
#include "macro.h"
#include "wolfram-bus.h"

typedef struct Row {
        uint32_t pid;
        const char *name, *cgroup, *state;
        uint64_t anon, swap, cold, pageout;
        double idle;
        uint32_t cycles_idle;
        uint64_t ksm_merging;
        int64_t ksm_profit;
        int merge_any;
} Row;

static const char *const sort_names[_SORT_MAX] = { "anon", "swap", "idle", "pageout", "pid" };
static ProcessSort sort_key;

ProcessSort process_sort_from_string(const char *s) {
        for (int i = 0; i < _SORT_MAX; i++)
                if (streq(sort_names[i], s))
                        return (ProcessSort) i;
        return _SORT_INVALID;
}

static int cmp_rows(const void *a, const void *b) {
        const Row *x = a, *y = b;

        switch (sort_key) {
        case SORT_SWAP:
                return x->swap < y->swap ? 1 : x->swap > y->swap ? -1 : 0;
        case SORT_IDLE:
                return x->idle < y->idle ? 1 : x->idle > y->idle ? -1 : 0;
        case SORT_PAGEOUT:
                return x->pageout < y->pageout ? 1 : x->pageout > y->pageout ? -1 : 0;
        case SORT_PID:
                return x->pid > y->pid ? 1 : x->pid < y->pid ? -1 : 0;
        default:
                return x->anon < y->anon ? 1 : x->anon > y->anon ? -1 : 0;
        }
}

static void print_json(const Row *rows, size_t n) {
        json_object *arr = json_object_new_array();

        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "pid", json_object_new_int64(rows[i].pid));
                json_object_object_add(o, "name", json_object_new_string(rows[i].name));
                json_object_object_add(o, "cgroup", json_object_new_string(rows[i].cgroup));
                json_object_object_add(o, "anon_rss_bytes", json_object_new_uint64(rows[i].anon));
                json_object_object_add(o, "swap_bytes", json_object_new_uint64(rows[i].swap));
                json_object_object_add(o, "idle_share", json_object_new_double(rows[i].idle));
                json_object_object_add(o, "cycles_idle", json_object_new_int64(rows[i].cycles_idle));
                json_object_object_add(o, "cold_bytes", json_object_new_uint64(rows[i].cold));
                json_object_object_add(o, "paged_out_bytes", json_object_new_uint64(rows[i].pageout));
                json_object_object_add(o, "state", json_object_new_string(rows[i].state));
                json_object_object_add(o, "ksm_merging_bytes", json_object_new_uint64(rows[i].ksm_merging));
                json_object_object_add(o, "ksm_profit_bytes", json_object_new_int64(rows[i].ksm_profit));
                json_object_object_add(o, "ksm_merge_any", json_object_new_boolean(rows[i].merge_any));
                json_object_array_add(arr, o);
        }
        printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
}

static void print_table(const Row *rows, size_t n) {
        char a[32], b[32], c[32], d[32];

        printf("%8s %-15s %10s %10s %5s %6s %10s %10s %-8s %s\n", "PID", "NAME", "ANON", "SWAP", "IDLE",
               "CYCLES", "PAGED OUT", "KSM", "STATE", "CGROUP");
        for (size_t i = 0; i < n; i++)
                printf("%8" PRIu32 " %-15s %10s %10s %4.0f%% %6" PRIu32 " %10s %10s %-8s %s\n", rows[i].pid,
                       rows[i].name, format_bytes(a, sizeof(a), rows[i].anon),
                       format_bytes(b, sizeof(b), rows[i].swap), rows[i].idle * 100.0, rows[i].cycles_idle,
                       format_bytes(c, sizeof(c), rows[i].pageout),
                       format_bytes(d, sizeof(d), rows[i].ksm_merging), rows[i].state, rows[i].cgroup);
        if (n == 0)
                printf("(no processes yet: the first cycle has not finished, or none is large enough)\n");
}

int verb_processes(sd_bus *bus, ProcessSort sort, unsigned top, bool json) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ Row *rows = NULL;
        size_t n = 0;
        Row row;
        int r;

        r = sd_bus_call_method(bus, WOLFRAM_BUS_NAME, WOLFRAM_BUS_PATH, WOLFRAM_BUS_INTERFACE,
                               "ListProcesses", &error, &reply, NULL);
        if (r < 0) {
                if (sd_bus_error_has_names(&error, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                           SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        fprintf(stderr, "Failed to list processes: wolframd is not running.\n");
                else
                        fprintf(stderr, "Failed to list processes: %s\n", error.message ?: strerror(-r));
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(ussttduttstxb)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ussttduttstxb)", &row.pid, &row.name, &row.cgroup,
                                                  &row.anon, &row.swap, &row.idle, &row.cycles_idle,
                                                  &row.cold, &row.pageout, &row.state, &row.ksm_merging,
                                                  &row.ksm_profit, &row.merge_any)) > 0) {
                Row *l = realloc(rows, (n + 1) * sizeof(Row));
                if (!l)
                        return -ENOMEM;
                rows = l;
                rows[n++] = row;
        }
        if (r < 0) {
                fprintf(stderr, "Failed to parse the process list: %s\n", strerror(-r));
                return r;
        }

        sort_key = sort;
        if (n > 0)
                qsort(rows, n, sizeof(Row), cmp_rows);
        if (top > 0 && n > top)
                n = top;
        if (json)
                print_json(rows, n);
        else
                print_table(rows, n);
        return 0;
}
