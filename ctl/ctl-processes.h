/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "ctl-bus.h"
#include "output.h"

/* "anon", "swap", "idle", "pageout", "pid"; _SORT_INVALID otherwise. */
ProcessSort process_sort_from_string(const char *s);

/* Turns ListProcesses as bus_message_read_json() reads it (an array of
 * 13-member arrays) into an array of objects with named members, the shape
 * --json prints. Returns 0 or -EBADMSG for a row of another shape. */
int processes_from_bus(json_object *bus_rows, json_object **ret);

/* A new array of the rows sorted by 'sort' (largest first; pid ascending,
 * which also breaks ties), at most 'top' of them (0: all). Returns 0 or
 * -ENOMEM. */
int processes_select(json_object *rows, ProcessSort sort, unsigned top, json_object **ret);

/* Prints the rows as a table. Returns 0, -ENOMEM or -EIO. */
int processes_print(FILE *f, json_object *rows, const OutputOptions *o);

/* wolframctl processes. Returns an exit status. */
int verb_processes(sd_bus *bus, const CtlContext *c, char **args);
