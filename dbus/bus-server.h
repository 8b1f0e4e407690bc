/* SPDX-License-Identifier: MIT */
#pragma once

#include "engine.h"

/* Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured), serves
 * org.wolfram.Memory1 on the engine's event loop, owns the bus name and
 * announces every change the engine reports (Engine.on_change). Returns
 * -EEXIST when another process owns the name, -EACCES when the bus policy
 * does not let us own it. */
int bus_server_start(Engine *e);

/* Releases the name and closes the connection. */
void bus_server_stop(Engine *e);
