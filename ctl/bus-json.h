/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <systemd/sd-bus.h>

/* Reads the next complete value of 'm' into JSON: numbers and strings as
 * themselves, booleans as booleans, a{s…} as objects, other arrays and
 * structs as arrays, variants as their content. Returns 0 or a negative
 * errno (-EBADMSG for a type it cannot express). */
int bus_message_read_json(sd_bus_message *m, json_object **ret);
