/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "build-config.h"
#include "bus-server.h"
#include "common/log.h"
#include "common/paths.h"
#include "engine.h"
#include "kernel/priority.h"

static const char *arg_root;
static const char *arg_config_file;
static char **arg_set;
static size_t arg_n_set;
static bool arg_print_config;
static bool arg_no_bus;

static int arg_set_add(const char *assignment) {
        char **l = realloc(arg_set, (arg_n_set + 1) * sizeof(char *));

        if (!l)
                return log_oom();
        arg_set = l;
        arg_set[arg_n_set] = strdup(assignment);
        if (!arg_set[arg_n_set])
                return log_oom();
        arg_n_set++;
        return 0;
}

static void arg_set_free(void) {
        for (size_t i = 0; i < arg_n_set; i++)
                free(arg_set[i]);
        free(arg_set);
}

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "The wolfram memory saver engine. Serves org.wolfram.Memory1 on the system bus.\n\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --log-level=LEVEL   err, warning, notice, info (default) or debug\n"
               "     --config=FILE       Read only FILE, not /etc/wolfram/wolfram.conf and drop-ins\n"
               "     --set=SECTION.KEY=VALUE\n"
               "                         Override one setting (repeatable), e.g. Engine.cycle_secs=60\n"
               "     --profile=NAME      Same as --set=Engine.profile=NAME\n"
               "     --dry-run           Same as --set=Engine.dry_run=yes\n"
               "     --print-config      Show the effective settings and where each came from\n"
               "     --no-bus            Work without the system bus (tests, diagnostics): no\n"
               "                         D-Bus API, everything else as usual\n"
               "     --root=DIR          Read /proc, /sys and /etc under DIR (for tests)\n",
               program_invocation_short_name);
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_LOG_LEVEL,
                ARG_ROOT,
                ARG_CONFIG,
                ARG_SET,
                ARG_PROFILE,
                ARG_DRY_RUN,
                ARG_PRINT_CONFIG,
                ARG_NO_BUS,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "root", required_argument, NULL, ARG_ROOT },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "set", required_argument, NULL, ARG_SET },
                { "profile", required_argument, NULL, ARG_PROFILE },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                { "print-config", no_argument, NULL, ARG_PRINT_CONFIG },
                { "no-bus", no_argument, NULL, ARG_NO_BUS },
                {},
        };
        _cleanup_free_ char *profile = NULL;
        int c, level, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("wolframd %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_LOG_LEVEL:
                        level = log_level_from_string(optarg);
                        if (level < 0)
                                return log_error_errno(level,
                                                       "Invalid --log-level=%s: use err, warning, notice, "
                                                       "info or debug.",
                                                       optarg);
                        log_set_max_level(level);
                        break;
                case ARG_ROOT:
                        if (optarg[0] != '/')
                                return log_error_errno(EINVAL, "--root= needs an absolute path, got '%s'.",
                                                       optarg);
                        arg_root = optarg;
                        break;
                case ARG_CONFIG:
                        arg_config_file = optarg;
                        break;
                case ARG_SET:
                        r = arg_set_add(optarg);
                        if (r < 0)
                                return r;
                        break;
                case ARG_PROFILE:
                        free(profile);
                        if (asprintf(&profile, "Engine.profile=%s", optarg) < 0)
                                return log_oom();
                        r = arg_set_add(profile);
                        if (r < 0)
                                return r;
                        break;
                case ARG_DRY_RUN:
                        r = arg_set_add("Engine.dry_run=yes");
                        if (r < 0)
                                return r;
                        break;
                case ARG_PRINT_CONFIG:
                        arg_print_config = true;
                        break;
                case ARG_NO_BUS:
                        arg_no_bus = true;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }

        if (optind < argc)
                return log_error_errno(EINVAL, "Unexpected argument '%s'; see --help.", argv[optind]);
        return 1;
}

static int print_config(const ConfigLoadArgs *args) {
        _cleanup_free_ char *error = NULL;
        Config c;
        int r;

        r = config_load(args, &c, &error);
        if (r == -EINVAL)
                return log_error_errno(r, "Invalid configuration: %s", error);
        if (r < 0)
                return log_error_errno(r, "Failed to load the configuration: %m");
        config_print(&c, stdout);
        config_done(&c);
        return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Engine *e = userdata;
        _cleanup_free_ char *error = NULL;

        log_info("SIGHUP: reloading the configuration.");
        (void) engine_reload(e, &error);
        return 0;
}

static int run(int argc, char *argv[]) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(engine_done) Engine engine = {};
        ConfigLoadArgs config_args;
        sigset_t mask;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        r = root_set_prefix(arg_root);
        if (r < 0)
                return log_error_errno(r, "Failed to set root %s: %m", arg_root);

        config_args = (ConfigLoadArgs){
                .config_file = arg_config_file,
                .cli_assignments = arg_set,
                .n_cli_assignments = arg_n_set,
        };
        if (arg_print_config)
                return print_config(&config_args);

        if (geteuid() != 0)
                return log_error_errno(EPERM, "wolframd must run as root.");

        (void) priority_lower();

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");

        r = engine_init(&engine, event, &config_args);
        if (r < 0)
                return r;

        /* sd-event wants the signals blocked before it watches them. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");
        r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGHUP, on_sighup, &engine);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGTERM/SIGINT/SIGHUP: %m");

        r = arg_no_bus ? 0 : bus_server_start(&engine);
        if (r < 0)
                return r;

        /* Only the instance that owns the name changes the kernel. */
        r = engine_start(&engine);
        if (r < 0) {
                bus_server_stop(&engine);
                return r;
        }

        (void) sd_notify(false, "READY=1\nSTATUS=Running.");
        if (arg_no_bus)
                log_info("wolframd %s running without the bus.", PACKAGE_VERSION);
        else
                log_info("wolframd %s running, serving %s.", PACKAGE_VERSION, "org.wolfram.Memory1");

        r = sd_event_loop(event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");

        (void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping.");
        engine_stop(&engine);
        bus_server_stop(&engine);
        log_info("wolframd stopped.");
        return r;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        (void) root_set_prefix(NULL);
        arg_set_free();
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
