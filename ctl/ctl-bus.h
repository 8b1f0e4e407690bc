/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "output.h"

/* wolframctl's exit statuses; docs/wolframctl.1 lists them. */
typedef enum CtlExit {
        CTL_EXIT_SUCCESS = 0,
        CTL_EXIT_FAILED = 1, /* the engine refused or failed the request */
        CTL_EXIT_USAGE = 2, /* bad arguments, nothing was asked */
        CTL_EXIT_NOT_RUNNING = 3, /* no engine, no bus, host unreachable */
        CTL_EXIT_NOT_AUTHORIZED = 4, /* polkit said no */
} CtlExit;

typedef enum ProcessSort {
        SORT_ANON,
        SORT_SWAP,
        SORT_IDLE,
        SORT_PAGEOUT,
        SORT_PID,
        _SORT_MAX,
        _SORT_INVALID = -1,
} ProcessSort;

/* What the command line asked for, handed to every verb. */
typedef struct CtlContext {
        OutputOptions output;
        bool json;
        bool ask_password;
        const char *host; /* [user@]host for ssh, NULL: this machine */
        ProcessSort sort;
        unsigned top; /* processes: at most this many rows, 0: all */
        const char *reclaim_mode; /* "pageout" or "cold" */
} CtlContext;

/* The exit status for a failed call: 3 when the engine or the bus cannot be
 * reached, 4 when authorization was refused, 1 otherwise. */
CtlExit ctl_exit_from_error(const sd_bus_error *error, int r);

/* Prints "Failed to WHAT: why" on stderr and returns the exit status for it.
 * 'what' is printed as is: the caller escapes what came from elsewhere. */
CtlExit ctl_report_error(const CtlContext *c, const char *what, const sd_bus_error *error, int r);

/* Connects to the system bus of this machine, or of c->host over ssh, and
 * sets interactive authorization from c->ask_password. Returns an exit
 * status, having said what failed. */
CtlExit ctl_connect(const CtlContext *c, sd_bus **ret);

/* Reads the first value of a reply into JSON; says on stderr what could not
 * be parsed ('what' names it). Returns an exit status. */
CtlExit ctl_reply_to_json(sd_bus_message *reply, const char *what, json_object **ret);

/* Whether a call may have the bus start the engine (bus activation). */
typedef enum CtlStart {
        CTL_NO_START, /* reads state: no engine, no answer (exit status 3) */
        CTL_START_ENGINE, /* changes something: the engine is started for it */
} CtlStart;

/* Calls a method of the engine with a timeout (0: sd-bus's default) and the
 * arguments 'types' describes. Returns what sd_bus_call() does. */
int ctl_call(sd_bus *bus, const char *method, CtlStart start, uint64_t timeout_usec, sd_bus_error *error,
             sd_bus_message **reply, const char *types, ...);

/* Gets one of the engine's properties without starting it; the reply's
 * reader is inside the variant, at the value. */
int ctl_get_property(sd_bus *bus, const char *property, sd_bus_error *error, sd_bus_message **ret_reply);
