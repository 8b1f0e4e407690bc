/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "ctl-bus.h"
#include "output.h"

/* Turns the Exclusions property as bus_message_read_json() reads it (an
 * array of (pattern, kind, origin) arrays) into an array of objects with
 * members "pattern", "kind", "origin". Returns 0, -EBADMSG or -ENOMEM. */
int exclusions_from_bus(json_object *bus_rows, json_object **ret);

/* Prints exclusions as a table PATTERN KIND ORIGIN. Returns 0 or <0. */
int exclusions_print(FILE *f, json_object *exclusions, const OutputOptions *o);

/* Prints the one line that says what ReclaimProcess did, from its result.
 * Returns 0 or -EIO. */
int reclaim_result_print(FILE *f, json_object *result, const OutputOptions *o);

/* Parses a pid as wolframctl takes it: decimal, 1 to INT32_MAX. Returns 0
 * or -EINVAL. */
int parse_pid(const char *s, uint32_t *ret);

/* The verbs; each returns an exit status. 'args' are the words after the
 * verb, as many as the verb table in wolframctl.c allows. */
int verb_exclusions(sd_bus *bus, const CtlContext *c, char **args);
int verb_exclude(sd_bus *bus, const CtlContext *c, char **args);
int verb_include(sd_bus *bus, const CtlContext *c, char **args);
int verb_reclaim(sd_bus *bus, const CtlContext *c, char **args);
int verb_hibernate(sd_bus *bus, const CtlContext *c, char **args);
int verb_wake(sd_bus *bus, const CtlContext *c, char **args);
int verb_set(sd_bus *bus, const CtlContext *c, char **args);
int verb_pause(sd_bus *bus, const CtlContext *c, char **args);
int verb_resume(sd_bus *bus, const CtlContext *c, char **args);
int verb_reload(sd_bus *bus, const CtlContext *c, char **args);
