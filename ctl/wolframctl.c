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
#include "common/macro.h"
#include "ctl-bus.h"
#include "ctl-control.h"
#include "ctl-monitor.h"
#include "ctl-processes.h"
#include "ctl-stats.h"
#include "format.h"

typedef struct Verb {
        const char *name;
        unsigned min_args, max_args;
        int (*run)(sd_bus *bus, const CtlContext *c, char **args);
} Verb;

static const Verb verbs[] = {
        { "status", 0, 0, verb_status },
        { "stats", 0, 0, verb_stats },
        { "processes", 0, 0, verb_processes },
        { "pause", 0, 0, verb_pause },
        { "resume", 0, 0, verb_resume },
        { "exclude", 1, 1, verb_exclude },
        { "include", 1, 1, verb_include },
        { "exclusions", 0, 0, verb_exclusions },
        { "reclaim", 1, 1, verb_reclaim },
        { "hibernate", 1, 1, verb_hibernate },
        { "wake", 1, 1, verb_wake },
        { "set", 2, 2, verb_set },
        { "reload", 0, 0, verb_reload },
        { "monitor", 0, 0, verb_monitor },
        { "help", 0, 0, NULL },
};

static const char *const policy_names[] = { "compression", "ksm", "tuning" };

static CtlContext arg = {
        .ask_password = true,
        .sort = SORT_ANON,
        .reclaim_mode = NULL,
};
static bool arg_sort_set = false, arg_top_set = false, arg_quiet = false;

static void help(void) {
        printf("%s [OPTIONS...] [COMMAND]\n\n"
               "Show and steer the wolfram memory saver.\n\n"
               "Commands:\n"
               "  status               Show what the engine sees and does (default)\n"
               "  stats                Show every figure of the engine's snapshot\n"
               "  processes            The processes the engine looked at, largest first\n"
               "  exclusions           List what the engine never touches\n"
               "  exclude PATTERN      Never touch processes matching PATTERN\n"
               "  include PATTERN      Remove an exclusion added with exclude\n"
               "  reclaim PID          Page out (or with --cold, make cold) a process now\n"
               "  hibernate PID        Checkpoint a process with CRIU and stop it\n"
               "  wake PID|all         Restore a hibernated process, or all of them\n"
               "  set POLICY on|off|default\n"
               "                       Turn compression, ksm or tuning on or off, or back\n"
               "                       to what the configuration says\n"
               "  pause                Pause the engine\n"
               "  resume               Resume the engine\n"
               "  reload               Make the engine read its configuration again\n"
               "  monitor              Follow cycles and changes as they happen\n"
               "  help                 Show this help\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               "     --version         Show the version\n"
               "     --json            Print JSON (status, stats, processes, exclusions,\n"
               "                       reclaim, monitor)\n"
               "     --bytes           Print sizes in bytes, not KiB, MiB, GiB\n"
               "     --sort=KEY        Sort processes by anon, swap, idle, pageout or pid\n"
               "     --top=N           Show only the first N processes\n"
               "     --cold            reclaim: mark memory cold (MADV_COLD)\n"
               "     --pageout         reclaim: page memory out (MADV_PAGEOUT, the default)\n"
               "  -H --host=[USER@]HOST\n"
               "                       Talk to the engine of another machine over ssh\n"
               "     --no-ask-password Do not ask for a password to authorize\n"
               "     --no-legend       Print tables without their header line and hints\n"
               "     --no-pager        Accepted for systemctl's habit: output is never paged\n"
               "  -q --quiet           Print nothing on success; the exit status tells\n"
               "                       (0 done or running, 3 not running, see wolframctl(1))\n",
               program_invocation_short_name);
}

static int parse_top(const char *s) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v > 1000000 || s[0] < '0' || s[0] > '9') {
                fprintf(stderr, "Invalid --top=%s: use a number of processes.\n", s);
                return -EINVAL;
        }
        arg.top = (unsigned) v;
        return 0;
}

static int set_reclaim_mode(const char *mode) {
        if (arg.reclaim_mode && !streq(arg.reclaim_mode, mode)) {
                fprintf(stderr, "--cold and --pageout exclude each other.\n");
                return -EINVAL;
        }
        arg.reclaim_mode = mode;
        return 0;
}

/* Returns 1 to go on, 0 to exit successfully (help, version), or -EINVAL
 * after saying what was wrong. */
static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_JSON,
                ARG_BYTES,
                ARG_NO_ASK_PASSWORD,
                ARG_SORT,
                ARG_TOP,
                ARG_COLD,
                ARG_PAGEOUT,
                ARG_NO_LEGEND,
                ARG_NO_PAGER,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, ARG_JSON },
                { "bytes", no_argument, NULL, ARG_BYTES },
                { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
                { "sort", required_argument, NULL, ARG_SORT },
                { "top", required_argument, NULL, ARG_TOP },
                { "cold", no_argument, NULL, ARG_COLD },
                { "pageout", no_argument, NULL, ARG_PAGEOUT },
                { "host", required_argument, NULL, 'H' },
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                { "no-pager", no_argument, NULL, ARG_NO_PAGER },
                { "quiet", no_argument, NULL, 'q' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "hH:q", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("wolframctl %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_JSON:
                        arg.json = true;
                        break;
                case ARG_BYTES:
                        arg.output.bytes = true;
                        break;
                case ARG_NO_ASK_PASSWORD:
                        arg.ask_password = false;
                        break;
                case ARG_SORT:
                        arg.sort = process_sort_from_string(optarg);
                        if (arg.sort == _SORT_INVALID) {
                                fprintf(stderr, "Invalid --sort=%s: use anon, swap, idle, pageout or pid.\n",
                                        optarg);
                                return -EINVAL;
                        }
                        arg_sort_set = true;
                        break;
                case ARG_TOP:
                        if (parse_top(optarg) < 0)
                                return -EINVAL;
                        arg_top_set = true;
                        break;
                case ARG_COLD:
                        if (set_reclaim_mode("cold") < 0)
                                return -EINVAL;
                        break;
                case ARG_PAGEOUT:
                        if (set_reclaim_mode("pageout") < 0)
                                return -EINVAL;
                        break;
                case 'H':
                        if (!*optarg) {
                                fprintf(stderr, "Invalid --host=: name a host, as [USER@]HOST.\n");
                                return -EINVAL;
                        }
                        arg.host = optarg;
                        break;
                case ARG_NO_LEGEND:
                        arg.output.no_legend = true;
                        break;
                case ARG_NO_PAGER:
                        /* Nothing to turn off: wolframctl never pages. */
                        break;
                case 'q':
                        arg_quiet = true;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }
        return 1;
}

static const Verb *verb_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

/* Everything that can be checked without the engine, so that bad usage is
 * exit status 2 and never reaches the bus. */
static int check_arguments(const Verb *v, char **args, unsigned n_args) {
        if (n_args < v->min_args) {
                fprintf(stderr, "'%s' needs %s; see --help.\n", v->name,
                        streq(v->name, "set")                                      ? "a policy and on or off"
                        : streq(v->name, "reclaim") || streq(v->name, "hibernate") ? "a process id"
                        : streq(v->name, "wake")                                   ? "a process id or 'all'"
                                                                                   : "a pattern");
                return -EINVAL;
        }
        if (n_args > v->max_args) {
                fprintf(stderr, "Too many arguments after '%s'; see --help.\n", v->name);
                return -EINVAL;
        }
        if ((arg_sort_set || arg_top_set) && !streq(v->name, "processes")) {
                fprintf(stderr, "--sort and --top only apply to 'processes'.\n");
                return -EINVAL;
        }
        if (arg.reclaim_mode && !streq(v->name, "reclaim")) {
                fprintf(stderr, "--cold and --pageout only apply to 'reclaim'.\n");
                return -EINVAL;
        }
        if (streq(v->name, "reclaim") || streq(v->name, "hibernate") ||
            (streq(v->name, "wake") && !streq(args[0], "all"))) {
                uint32_t pid;

                if (parse_pid(args[0], &pid) < 0) {
                        _cleanup_free_ char *e = escape_text(args[0]);
                        fprintf(stderr, "Invalid process id '%s': use a number above 0.\n", e ?: "?");
                        return -EINVAL;
                }
        }
        if (streq(v->name, "set")) {
                bool known = false;

                for (size_t i = 0; i < ELEMENTSOF(policy_names); i++)
                        known = known || streq(policy_names[i], args[0]);
                if (!known) {
                        _cleanup_free_ char *e = escape_text(args[0]);
                        fprintf(stderr, "Unknown policy '%s': use compression, ksm or tuning.\n", e ?: "?");
                        return -EINVAL;
                }
                if (!streq(args[1], "on") && !streq(args[1], "off") && !streq(args[1], "default")) {
                        _cleanup_free_ char *e = escape_text(args[1]);
                        fprintf(stderr, "Invalid value '%s' for %s: use on, off or default.\n", e ?: "?",
                                args[0]);
                        return -EINVAL;
                }
        }
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const Verb *v;
        const char *name;
        char **args;
        unsigned n_args;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? CTL_EXIT_USAGE : CTL_EXIT_SUCCESS;

        name = optind < argc ? argv[optind] : "status";
        v = verb_find(name);
        if (!v) {
                _cleanup_free_ char *e = escape_text(name);
                fprintf(stderr, "Unknown command '%s'; see --help.\n", e ?: "?");
                return CTL_EXIT_USAGE;
        }
        args = optind < argc ? argv + optind + 1 : argv + argc;
        n_args = optind < argc ? (unsigned) (argc - optind - 1) : 0;
        if (check_arguments(v, args, n_args) < 0)
                return CTL_EXIT_USAGE;
        if (!arg.reclaim_mode)
                arg.reclaim_mode = "pageout";
        if (!v->run) { /* help */
                help();
                return CTL_EXIT_SUCCESS;
        }
        /* What went wrong still goes to stderr. */
        if (arg_quiet && !freopen("/dev/null", "w", stdout)) {
                fprintf(stderr, "Failed to silence the output: %m\n");
                return CTL_EXIT_FAILED;
        }

        arg.output.colour = colour_wanted(isatty(STDOUT_FILENO), getenv("NO_COLOR"), getenv("TERM"));

        r = ctl_connect(&arg, &bus);
        if (r != CTL_EXIT_SUCCESS)
                return r;
        return v->run(bus, &arg, args);
}
