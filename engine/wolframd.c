/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "bus-server.h"
#include "config.h"
#include "engine.h"
#include "log.h"
#include "paths.h"
#include "priority.h"

static const char *arg_root;

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "The wolfram memory saver engine. Serves org.wolfram.Memory1 on the system bus.\n\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --log-level=LEVEL   err, warning, notice, info (default) or debug\n"
               "     --root=DIR          Read /proc and /sys under DIR (for tests)\n",
               program_invocation_short_name);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_LOG_LEVEL, ARG_ROOT };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "root", required_argument, NULL, ARG_ROOT },
                {},
        };
        int c, level;

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
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }

        if (optind < argc)
                return log_error_errno(EINVAL, "Unexpected argument '%s'; see --help.", argv[optind]);
        return 1;
}

static int run(int argc, char *argv[]) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        Engine engine = { .state = ENGINE_RUNNING };
        sigset_t mask;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        if (geteuid() != 0)
                return log_error_errno(EPERM, "wolframd must run as root.");

        r = root_set_prefix(arg_root);
        if (r < 0)
                return log_error_errno(r, "Failed to set root %s: %m", arg_root);

        (void) priority_lower();

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        engine.event = event;

        /* sd-event wants the signals blocked before it watches them. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");
        r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGTERM/SIGINT: %m");

        r = bus_server_start(&engine);
        if (r < 0)
                return r;

        (void) sd_notify(false, "READY=1\nSTATUS=Running.");
        log_info("wolframd %s running, serving %s.", PACKAGE_VERSION, "org.wolfram.Memory1");

        r = sd_event_loop(event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");

        (void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping.");
        bus_server_stop(&engine);
        log_info("wolframd stopped.");
        return r;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        (void) root_set_prefix(NULL);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
