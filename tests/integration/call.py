# SPDX-License-Identifier: MIT
"""Calls one D-Bus method on the system bus and prints the outcome as JSON,
with the error's D-Bus name, so tests can check exactly how a call was
refused. Run as the user under test.
argv: dest path interface method signature json-args interactive(0/1)"""

import json
import sys

from gi.repository import Gio, GLib

dest, path, interface, method, signature, args, interactive = sys.argv[1:8]
params = GLib.Variant(f"({signature})", tuple(json.loads(args))) if signature else None
flags = Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION if interactive == "1" else Gio.DBusCallFlags.NONE
try:
    bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
    reply = bus.call_sync(dest, path, interface, method, params, None, flags, 10000, None)
    print(json.dumps({"ok": True, "result": reply.unpack() if reply else None}))
except GLib.Error as e:
    name = Gio.DBusError.get_remote_error(e)
    message = e.message
    prefix = f"GDBus.Error:{name}: "
    if name and message.startswith(prefix):
        message = message[len(prefix):]
    print(json.dumps({"ok": False, "error": name, "message": message}))
