# SPDX-License-Identifier: MIT
"""Prints each PropertiesChanged of /org/wolfram/Memory1 on the system bus
as one JSON line {"changed": {...}, "invalidated": [...]}, after a line
"ready" once its match rule is in place. Runs until terminated."""

import json
import sys

from gi.repository import Gio, GLib

BUS_NAME = "org.wolfram.Memory1"
BUS_PATH = "/org/wolfram/Memory1"


def on_signal(conn, sender, path, interface, member, params):
    iface, changed, invalidated = params.unpack()
    if iface == BUS_NAME:
        print(json.dumps({"changed": changed, "invalidated": invalidated}, default=str), flush=True)


bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
bus.signal_subscribe(None, "org.freedesktop.DBus.Properties", "PropertiesChanged", BUS_PATH, None,
                     Gio.DBusSignalFlags.NONE, on_signal)
# A round trip to the bus: the AddMatch sent before it has been handled.
bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId", None, None,
              Gio.DBusCallFlags.NONE, 5000, None)
print("ready", flush=True)
sys.stdout.flush()
GLib.MainLoop().run()
