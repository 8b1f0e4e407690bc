/* SPDX-License-Identifier: MIT */
#pragma once

/* Members of org.wolfram.Memory1 kept apart from bus-server.c by subject:
 * the cycles and processes (bus-reclaim.c) and KSM (bus-ksm.c). The
 * vtable in bus-server.c refers to them. */

#include <systemd/sd-bus.h>

#include "bus-polkit.h"
#include "engine.h"

int append_cycle_summary(sd_bus_message *m, Engine *e);
int emit_cycle_finished(Engine *e);
int property_get_idle_backend(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error);
int property_get_cycle_u64(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error);
int method_list_processes(sd_bus_message *call, void *userdata, sd_bus_error *error);

int property_get_ksm_u64(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *error);
int property_get_ksm_misc(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error);
int append_ksm(sd_bus_message *m, Engine *e);

/* bus-control.c */
int append_policies(sd_bus_message *m, Engine *e);
int append_exclusions(sd_bus_message *m, Engine *e);
int property_get_policies(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error);
int property_get_exclusions(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error);
int method_add_exclusion(sd_bus_message *call, void *userdata, sd_bus_error *error);
int method_remove_exclusion(sd_bus_message *call, void *userdata, sd_bus_error *error);
int method_set_policy(sd_bus_message *call, void *userdata, sd_bus_error *error);
int method_reclaim_process(sd_bus_message *call, void *userdata, sd_bus_error *error);

/* The bus connection of the server (for signals). */
sd_bus *bus_server_bus(Engine *e);

/* The server's polkit questions in flight. */
PolkitRegistry *bus_server_polkit(Engine *e);
