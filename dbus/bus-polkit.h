/* SPDX-License-Identifier: MIT */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

/* Authorization questions in flight, one registry per server. */
typedef struct PolkitRegistry PolkitRegistry;

/* Most questions in flight at once, and for one user (by effective uid,
 * over all of that user's connections); more get WOLFRAM_ERROR_BUSY. A
 * question whose caller leaves the bus is withdrawn from polkitd and its
 * slot freed at once. */
#define POLKIT_QUERIES_MAX 128U
#define POLKIT_QUERIES_PER_USER_MAX 16U

int polkit_registry_new(PolkitRegistry **ret);

/* Questions in flight: all, and those of one user. */
size_t polkit_registry_pending(const PolkitRegistry *registry, uid_t uid, size_t *ret_of_user);

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
