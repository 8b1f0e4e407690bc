/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "ctl-bus.h"
#include "output.h"

/* A new event object {"event": NAME, "timestamp": usec since the epoch};
 * the caller adds the rest: "summary" (CycleFinished), "changed" and
 * "invalidated" (PropertiesChanged), "owner" (EngineStarted). NULL when out
 * of memory. */
json_object *monitor_event_new(const char *name, uint64_t timestamp_usec);

/* Prints one event as one line: for people, or as JSON. Returns 0 or
 * -EIO. */
int monitor_event_print(FILE *f, json_object *event, const OutputOptions *o, bool json);

/* wolframctl monitor: follows the engine until SIGINT or SIGTERM. Returns
 * an exit status. */
int verb_monitor(sd_bus *bus, const CtlContext *c, char **args);
