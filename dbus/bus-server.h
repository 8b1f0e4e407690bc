/* SPDX-License-Identifier: MIT */
#pragma once

#include "engine.h"

/* Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured), serves
 * org.wolfram.Memory1 on the engine's event loop and owns the bus name.
 * Returns -EEXIST when another process owns the name, -EACCES when the bus
 * policy does not let us own it. */
int bus_server_start(Engine *e);

/* Sends PropertiesChanged for what a reload changed (EngineChange mask). */
void bus_server_emit_changes(Engine *e, int changes);

/* Releases the name and closes the connection. */
void bus_server_stop(Engine *e);
