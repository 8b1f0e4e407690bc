/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "build-config.h"
#include "bus-json.h"
#include "ctl-processes.h"
#include "format.h"
#include "macro.h"
#include "wolfram-bus.h"

static bool arg_json = false;
static bool arg_ask_password = true;
static ProcessSort arg_sort = SORT_ANON;
static unsigned arg_top = 0;

static void help(void) {
        printf("%s [OPTIONS...] [COMMAND]\n\n"
               "Show and steer the wolfram memory saver.\n\n"
               "Commands:\n"
               "  status               Show what the engine sees and does (default)\n"
               "  pause                Pause the engine\n"
               "  resume               Resume the engine\n"
               "  reload               Make the engine read its configuration again\n"
               "  processes            The processes the engine looked at, largest first\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               "     --version         Show the version\n"
               "     --json            Print status or processes as JSON\n"
               "     --sort=KEY        Sort processes by anon, swap, idle, pageout or pid\n"
               "     --top=N           Show only the first N processes\n"
               "     --no-ask-password Do not ask for a password to authorize\n",
               program_invocation_short_name);
}

/* Says why a call failed in words a person can act on. */
static int report_bus_error(const char *what, const sd_bus_error *error, int r) {
        if (sd_bus_error_has_names(error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                fprintf(stderr,
                        "Failed to %s: wolframd is not running (%s has no owner on the system bus).\n", what,
                        WOLFRAM_BUS_NAME);
        else if (sd_bus_error_is_set(error))
                fprintf(stderr, "Failed to %s: %s\n", what, error->message ?: error->name);
        else
                fprintf(stderr, "Failed to %s: %s\n", what, strerror(-r));
        return r;
}

static int connect_bus(sd_bus **ret) {
        int r = sd_bus_default_system(ret);
        if (r < 0) {
                fprintf(stderr, "Failed to connect to the system bus: %s\n", strerror(-r));
                return r;
        }
        /* Interactive authorization only makes sense where a person can
         * answer a password prompt. */
        (void) sd_bus_set_allow_interactive_authorization(*ret, arg_ask_password && isatty(STDIN_FILENO));
        return 0;
}

static uint64_t get_u64(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? json_object_get_uint64(v) : 0;
}

static const char *get_str(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "?";
}

static bool get_bool(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static void print_tuning(json_object *stats) {
        json_object *tuning;
        size_t n = 0;

        if (json_object_object_get_ex(stats, "Tuning", &tuning))
                n = json_object_array_length(tuning);
        if (n == 0) {
                printf("   Tuning: none\n");
                return;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *t = json_object_array_get_idx(tuning, i), *orig, *value;

                if (!json_object_object_get_ex(t, "Original", &orig) ||
                    !json_object_object_get_ex(t, "Value", &value))
                        continue;
                printf("%s vm.%s %" PRId64 " (was %" PRId64 ")\n", i == 0 ? "   Tuning:" : "          ",
                       get_str(t, "Name"), json_object_get_int64(value), json_object_get_int64(orig));
        }
}

static void print_cycles(json_object *stats) {
        json_object *last;
        char a[32], b[32];

        printf("     Idle: %s tracking", get_str(stats, "IdleBackend"));
        if (json_object_object_get_ex(stats, "LastCycle", &last) && get_u64(last, "Cycle") > 0)
                printf(", cycle %" PRIu64 " looked at %" PRIu64
                       " processes in %.1f s, paged out %s, made cold %s%s\n",
                       get_u64(last, "Cycle"), get_u64(last, "Processes"),
                       (double) get_u64(last, "DurationUsec") / 1e6,
                       format_bytes(a, sizeof(a), get_u64(last, "PagedOutBytes")),
                       format_bytes(b, sizeof(b), get_u64(last, "ColdBytes")),
                       get_bool(last, "DryRun") ? " (dry run: planned only)" : "");
        else
                printf(", no cycle finished yet\n");
        printf("    Saved: %s paged out, %s made cold since start\n",
               format_bytes(a, sizeof(a), get_u64(stats, "TotalPagedOutBytes")),
               format_bytes(b, sizeof(b), get_u64(stats, "TotalColdBytes")));
}

static void print_pool(json_object *stats) {
        json_object *pool, *devices;
        char a[32], b[32], c[32], d[32];
        const char *note;

        if (!json_object_object_get_ex(stats, "Pool", &pool) ||
            !json_object_object_get_ex(pool, "Devices", &devices) ||
            json_object_array_length(devices) == 0) {
                printf("     Pool: none\n");
                return;
        }
        printf("     Pool:");
        for (size_t i = 0; i < json_object_array_length(devices); i++)
                printf(" %s", json_object_get_string(json_object_array_get_idx(devices, i)));
        printf(" (%s), %s stored in %s, ratio %.2f\n", get_str(pool, "Algorithm"),
               format_bytes(a, sizeof(a), get_u64(pool, "OriginalBytes")),
               format_bytes(b, sizeof(b), get_u64(pool, "MemoryUsedBytes")),
               get_u64(pool, "CompressedBytes") > 0
                       ? (double) get_u64(pool, "OriginalBytes") / (double) get_u64(pool, "CompressedBytes")
                       : 0.0);
        printf("           budget %s of RAM, cap %s\n",
               format_bytes(c, sizeof(c), get_u64(pool, "BudgetBytes")),
               format_bytes(d, sizeof(d), get_u64(pool, "CapBytes")));
        note = get_str(pool, "Note");
        if (*note && !streq(note, "?"))
                printf("     Note: %s\n", note);
}

static void print_ksm(json_object *stats) {
        json_object *ksm, *saved;
        char a[32];

        if (!get_bool(stats, "KsmAvailable") || !json_object_object_get_ex(stats, "Ksm", &ksm)) {
                printf("      KSM: not available\n");
                return;
        }
        json_object_object_get_ex(ksm, "SavedBytes", &saved);
        printf("      KSM: %s, %" PRIu64 " pages sharing, saves %s, ksmd %.1f%% CPU\n", get_str(ksm, "Mode"),
               get_u64(ksm, "PagesSharing"),
               format_bytes(a, sizeof(a),
                            saved && json_object_get_int64(saved) > 0
                                    ? (uint64_t) json_object_get_int64(saved)
                                    : 0),
               json_object_object_get_ex(ksm, "CpuPercent", &saved) ? json_object_get_double(saved) : 0.0);
}

static void print_status(json_object *stats) {
        char a[32], b[32], c[32];
        json_object *zram;
        size_t n_zram = 0;

        printf("wolframd %s: %s\n", get_str(stats, "Version"), get_str(stats, "State"));
        printf("  Profile: %s (%s)\n", get_str(stats, "Profile"), get_str(stats, "ProfileReason"));
        if (get_bool(stats, "DryRun"))
                printf("  Dry run: yes, nothing is changed\n");
        printf("   Memory: %s total, %s available\n",
               format_bytes(a, sizeof(a), get_u64(stats, "MemoryTotalBytes")),
               format_bytes(b, sizeof(b), get_u64(stats, "MemoryAvailableBytes")));
        printf("     Swap: %s used of %s\n", format_bytes(a, sizeof(a), get_u64(stats, "SwapUsedBytes")),
               format_bytes(b, sizeof(b), get_u64(stats, "SwapTotalBytes")));

        if (json_object_object_get_ex(stats, "ZramDevices", &zram))
                n_zram = json_object_array_length(zram);
        if (n_zram == 0)
                printf("     zram: no devices\n");
        for (size_t i = 0; i < n_zram; i++) {
                json_object *d = json_object_array_get_idx(zram, i), *is_swap;
                bool swap =
                        json_object_object_get_ex(d, "IsSwap", &is_swap) && json_object_get_boolean(is_swap);

                printf("%s %s: %s stored in %s (%s of RAM)%s\n", i == 0 ? "     zram:" : "          ",
                       get_str(d, "Name"), format_bytes(a, sizeof(a), get_u64(d, "OriginalBytes")),
                       format_bytes(b, sizeof(b), get_u64(d, "CompressedBytes")),
                       format_bytes(c, sizeof(c), get_u64(d, "MemoryUsedBytes")),
                       swap ? ", swap" : ", not swap");
        }

        print_cycles(stats);
        print_pool(stats);
        print_tuning(stats);
        print_ksm(stats);
}

static int verb_status(sd_bus *bus) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        json_object *stats = NULL;
        int r;

        r = sd_bus_call_method(bus, WOLFRAM_BUS_NAME, WOLFRAM_BUS_PATH, WOLFRAM_BUS_INTERFACE, "GetStats",
                               &error, &reply, NULL);
        if (r < 0)
                return report_bus_error("get status", &error, r);

        r = bus_message_read_json(reply, &stats);
        if (r < 0) {
                fprintf(stderr, "Failed to parse the engine's statistics: %s\n", strerror(-r));
                return r;
        }

        if (arg_json)
                printf("%s\n", json_object_to_json_string_ext(
                                       stats, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        else
                print_status(stats);
        json_object_put(stats);
        return 0;
}

static int verb_simple_call(sd_bus *bus, const char *method, const char *what) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, WOLFRAM_BUS_NAME, WOLFRAM_BUS_PATH, WOLFRAM_BUS_INTERFACE, method,
                               &error, NULL, NULL);
        if (r < 0)
                return report_bus_error(what, &error, r);
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_JSON, ARG_NO_ASK_PASSWORD, ARG_SORT, ARG_TOP };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, ARG_JSON },
                { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
                { "sort", required_argument, NULL, ARG_SORT },
                { "top", required_argument, NULL, ARG_TOP },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("wolframctl %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_NO_ASK_PASSWORD:
                        arg_ask_password = false;
                        break;
                case ARG_SORT:
                        arg_sort = process_sort_from_string(optarg);
                        if (arg_sort == _SORT_INVALID) {
                                fprintf(stderr, "Invalid --sort=%s: use anon, swap, idle, pageout or pid.\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_TOP: {
                        char *end;
                        unsigned long v;

                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || *end || v > 1000000 || optarg[0] == '-') {
                                fprintf(stderr, "Invalid --top=%s: use a number of processes.\n", optarg);
                                return -EINVAL;
                        }
                        arg_top = (unsigned) v;
                        break;
                }
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }
        return 1;
}

static bool verb_known(const char *verb) {
        static const char *const verbs[] = { "status", "pause", "resume", "reload", "processes" };

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i], verb))
                        return true;
        return false;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *verb;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        verb = optind < argc ? argv[optind] : "status";
        if (optind + 1 < argc) {
                fprintf(stderr, "Too many arguments after '%s'; see --help.\n", verb);
                return EXIT_FAILURE;
        }
        if (!verb_known(verb)) {
                fprintf(stderr, "Unknown command '%s'; see --help.\n", verb);
                return EXIT_FAILURE;
        }

        r = connect_bus(&bus);
        if (r < 0)
                return EXIT_FAILURE;

        if (streq(verb, "status"))
                r = verb_status(bus);
        else if (streq(verb, "pause"))
                r = verb_simple_call(bus, "Pause", "pause");
        else if (streq(verb, "resume"))
                r = verb_simple_call(bus, "Resume", "resume");
        else if (streq(verb, "processes"))
                r = verb_processes(bus, arg_sort, arg_top, arg_json);
        else
                r = verb_simple_call(bus, "Reload", "reload");

        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
