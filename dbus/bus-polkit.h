/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-bus.h>

/* Authorization questions in flight, one registry per server. */
typedef struct PolkitRegistry PolkitRegistry;

/* Most questions in flight at once; more get WOLFRAM_ERROR_BUSY. */
#define POLKIT_QUERIES_MAX 128U

int polkit_registry_new(PolkitRegistry **ret);

/* Drops every question in flight; their callers get no reply from us (the
 * bus tells them when we exit). Returns NULL. */
PolkitRegistry *polkit_registry_free(PolkitRegistry *registry);

/* Asks polkitd whether the sender of 'call' may perform 'action', without
 * blocking. Returns 1 when authorized. Returns 0 when the question was sent:
 * the handler must then return 1 without replying, and 'call' is dispatched
 * again once polkitd answered, when this returns the answer. Returns a
 * negative errno with 'error' set when refused: AccessDenied, or
 * InteractiveAuthorizationRequired when the caller did not allow
 * interaction and polkit would ask. No polkitd means refused. */
int bus_verify_polkit_async(sd_bus_message *call, const char *action, PolkitRegistry *registry,
                            sd_bus_error *error);
