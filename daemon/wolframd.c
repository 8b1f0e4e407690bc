/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "common/time-util.h"
#include "engine.h"
#include "kernel/priority.h"
#include "state/instance-lock.h"

static const char *arg_root;
static const char *arg_config_file;
static char **arg_set;
static size_t arg_n_set;
static bool arg_print_config;
static bool arg_no_bus;
static uint64_t arg_instance_wait_usec = 120 * USEC_PER_SEC;

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
               "     --wait=SECS         Wait up to SECS (default 120) for an earlier instance\n"
               "                         to finish putting things back, then give up\n"
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
                ARG_WAIT,
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
                { "wait", required_argument, NULL, ARG_WAIT },
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
                case ARG_WAIT: {
                        uint64_t secs;

                        if (parse_u64(optarg, strlen(optarg), &secs) < 0 || secs > 24 * 3600)
                                return log_error_errno(EINVAL, "Invalid --wait=%s: use seconds, 0 to 86400.",
                                                       optarg);
                        arg_instance_wait_usec = secs * USEC_PER_SEC;
                        break;
                }
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
        return engine_print_config(args, stdout);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Engine *e = userdata;
        _cleanup_free_ char *error = NULL;

        log_info("SIGHUP: reloading the configuration.");
        (void) engine_reload(e, &error);
        return 0;
}

static void on_instance_wait(pid_t holder, void *userdata) {
        const char *path = userdata;

        if (holder > 0)
                log_notice("Another wolframd (pid %d) holds %s; waiting up to %" PRIu64
                           " s for it to finish putting things back.",
                           (int) holder, path, (uint64_t) (arg_instance_wait_usec / USEC_PER_SEC));
        else
                log_notice("Another wolframd holds %s; waiting up to %" PRIu64 " s for it to finish.", path,
                           (uint64_t) (arg_instance_wait_usec / USEC_PER_SEC));
}

/* Taken before any saved state is read and held until the process exits,
 * after everything is put back and the bus name released: an instance
 * started while an earlier one still cleans up (a restart script, bus
 * activation) neither reads its half-restored state nor races its
 * cleanup. The descriptor is left open on purpose. */
static int lock_instance(void) {
        _cleanup_free_ char *path = NULL;
        pid_t holder = 0;
        int r;

        r = engine_make_runtime_dir();
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s", engine_runtime_dir(), INSTANCE_LOCK_FILE) < 0)
                return log_oom();
        r = instance_lock_take(path, arg_instance_wait_usec, on_instance_wait, path, &holder);
        if (r == -EBUSY)
                return log_error_errno(r,
                                       "Another wolframd (pid %d) is still running or putting things back "
                                       "after %" PRIu64 " s; not starting. Stop it first (systemctl stop "
                                       "wolfram), or wait longer with --wait=SECS.",
                                       (int) holder, (uint64_t) (arg_instance_wait_usec / USEC_PER_SEC));
        if (r < 0)
                return log_error_errno(r, "Failed to lock %s: %m", path);
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

        r = lock_instance();
        if (r < 0)
                return r;

        /* Before any worker starts: the workers lower themselves to idle
         * priority, this thread answers the bus. */
        r = priority_short_slice();
        if (r == -EOPNOTSUPP)
                log_debug("The kernel has no custom time slices; the loop keeps the default one.");
        else if (r < 0)
                log_warning_errno(r, "Failed to ask for a short time slice for the loop, ignoring: %m");

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");

        /* With WatchdogSec= in the unit, sd-event sends WATCHDOG=1 from the
         * loop itself: a loop that hangs stops it, and systemd restarts us. */
        r = sd_event_set_watchdog(event, true);
        if (r < 0)
                log_warning_errno(r, "Failed to enable the service watchdog, ignoring: %m");

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
