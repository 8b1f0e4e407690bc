/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-bus.h>

#include "engine.h"

/* Keeps e->bus_daemon_pid and e->polkitd_pid following the bus: asks the
 * bus for both pids now and again whenever polkit's name changes owner.
 * Nothing here blocks; until the answers come the pids stay 0 (and the
 * names alone protect those processes). The watch lives as long as the
 * connection. */
int bus_peers_watch(Engine *e, sd_bus *bus);
