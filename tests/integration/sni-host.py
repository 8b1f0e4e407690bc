#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The tests' tray: org.kde.StatusNotifierWatcher and a notification server
(org.freedesktop.Notifications) on the session bus that
$DBUS_SESSION_BUS_ADDRESS names. It prints one JSON line per event on
stdout: ready, registered (with the item's service), unregistered (its
owner left), signal (NewIcon, NewToolTip ... from a registered item), notify
(summary and body)."""

import json
import sys

from gi.repository import Gio, GLib

WATCHER_XML = """<node>
 <interface name="org.kde.StatusNotifierWatcher">
  <method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
  <method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
  <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
  <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
  <property name="ProtocolVersion" type="i" access="read"/>
  <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
  <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
  <signal name="StatusNotifierHostRegistered"/>
 </interface>
 <interface name="org.freedesktop.Notifications">
  <method name="Notify">
   <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
   <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
   <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/><arg type="u" direction="out"/>
  </method>
  <method name="GetCapabilities"><arg type="as" direction="out"/></method>
  <method name="GetServerInformation">
   <arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/>
   <arg type="s" direction="out"/>
  </method>
 </interface>
</node>"""

items = {}  # service -> the bus name watch
names_wanted = {"org.kde.StatusNotifierWatcher", "org.freedesktop.Notifications"}
names_owned = set()
notifications = 0


def say(**event):
    print(json.dumps(event), flush=True)


def on_item_vanished(bus, name, service):
    watch = items.pop(service, None)
    if watch:
        Gio.bus_unwatch_name(watch)
        say(event="unregistered", service=service)
        bus.emit_signal(None, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher",
                        "StatusNotifierItemUnregistered", GLib.Variant("(s)", (service,)))


def on_call(bus, sender, path, iface, method, params, invocation):
    global notifications
    if method == "RegisterStatusNotifierItem":
        service = params.unpack()[0]
        # The specification allows an object path; then the sender is the service.
        if service.startswith("/"):
            service = sender
        if service not in items:
            items[service] = Gio.bus_watch_name_on_connection(
                bus, service, Gio.BusNameWatcherFlags.NONE, None,
                lambda b, n, s=service: on_item_vanished(b, n, s))
            # What a real host listens to, to know when to read again.
            bus.signal_subscribe(service, "org.kde.StatusNotifierItem", None, "/StatusNotifierItem", None,
                                 Gio.DBusSignalFlags.NONE,
                                 lambda b, snd, p, i, sig, args, s=service:
                                 say(event="signal", service=s, name=sig, args=args.unpack()))
        say(event="registered", service=service, sender=sender)
        bus.emit_signal(None, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher",
                        "StatusNotifierItemRegistered", GLib.Variant("(s)", (service,)))
        invocation.return_value(None)
    elif method == "RegisterStatusNotifierHost":
        invocation.return_value(None)
    elif method == "Notify":
        app, _, icon, summary, body, _, hints, _ = params.unpack()
        notifications += 1
        say(event="notify", app=app, icon=icon, summary=summary, body=body, sender=sender)
        invocation.return_value(GLib.Variant("(u)", (notifications,)))
    elif method == "GetCapabilities":
        invocation.return_value(GLib.Variant("(as)", (["body"],)))
    elif method == "GetServerInformation":
        invocation.return_value(GLib.Variant("(ssss)", ("wolfram-test-tray", "wolfram", "1", "1.2")))


def on_get(bus, sender, path, iface, prop):
    if prop == "RegisteredStatusNotifierItems":
        return GLib.Variant("as", sorted(items))
    if prop == "IsStatusNotifierHostRegistered":
        return GLib.Variant("b", True)
    if prop == "ProtocolVersion":
        return GLib.Variant("i", 0)
    return None


def main():
    loop = GLib.MainLoop()
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    info = Gio.DBusNodeInfo.new_for_xml(WATCHER_XML)
    bus.register_object("/StatusNotifierWatcher", info.interfaces[0], on_call, on_get, None)
    bus.register_object("/org/freedesktop/Notifications", info.interfaces[1], on_call, None, None)

    def acquired(b, name):
        names_owned.add(name)
        if names_owned == names_wanted:
            say(event="ready", unique_name=b.get_unique_name())

    def lost(b, name):
        say(event="error", message=f"could not own {name}")
        loop.quit()

    for name in sorted(names_wanted):
        Gio.bus_own_name_on_connection(bus, name, Gio.BusNameOwnerFlags.DO_NOT_QUEUE, acquired, lost)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, loop.quit)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
