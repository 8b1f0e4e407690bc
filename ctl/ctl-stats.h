/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdio.h>

#include "ctl-bus.h"
#include "output.h"

/* Prints every key of a GetStats snapshot (or any a{sv} read into JSON),
 * nested objects and lists indented; a value is formatted after its key's
 * unit: …Bytes as a size, …Usec as a duration, …Timestamp as local time.
 * Returns 0 or -EIO. */
int stats_print(FILE *f, json_object *stats, const OutputOptions *o);

/* Prints one value on a single line, formatted after 'key' as above (key
 * may be NULL). */
void value_print_inline(FILE *f, const char *key, json_object *v, const OutputOptions *o);

/* The summary 'wolframctl status' prints from a GetStats snapshot. Keys the
 * engine does not send are left out. Returns 0 or -EIO. */
int status_print(FILE *f, json_object *stats, const OutputOptions *o);

/* wolframctl status and wolframctl stats: GetStats as a summary, every key,
 * or (with --json) the whole snapshot. Return an exit status. */
int verb_status(sd_bus *bus, const CtlContext *c, char **args);
int verb_stats(sd_bus *bus, const CtlContext *c, char **args);
