# SPDX-License-Identifier: MIT
"""A caller whose authentication agent never answers, for the polkit limit
tests. Run as the user under test; reads commands on stdin, one per line,
and answers each with one line of JSON on stdout:
  (start)                registers this process's agent, prints {"pid": …}
  send N CONNS BIG       N AddExclusion calls over CONNS new connections,
                         allowing interaction; BIG > 0 adds one call with a
                         pattern of BIG bytes
  report                 {"replies": {i: {"error": name, "t": s}}, "begun": n,
                         "cancelled": n}
  close                  closes the connections the calls went out on
  quit
The agent takes every BeginAuthentication and never answers it, as an
agent whose dialog no one ever sees."""

import json
import os
import sys
import time

from gi.repository import Gio, GLib

AGENT_XML = """<node><interface name="org.freedesktop.PolicyKit1.AuthenticationAgent">
<method name="BeginAuthentication"><arg type="s" direction="in"/><arg type="s" direction="in"/>
<arg type="s" direction="in"/><arg type="a{ss}" direction="in"/><arg type="s" direction="in"/>
<arg type="a(sa{sv})" direction="in"/></method>
<method name="CancelAuthentication"><arg type="s" direction="in"/></method>
</interface></node>"""
AGENT_PATH = "/org/wolfram/TestAgent"

begun, cancelled, held = [], [], []
replies, connections = {}, []
t0 = time.monotonic()


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def on_agent_call(conn, sender, path, iface, method, params, invocation):
    if method == "BeginAuthentication":
        begun.append(params.unpack()[4])
        held.append(invocation)  # never answered
    else:
        cancelled.append(params.unpack()[0])
        invocation.return_value(None)


def start_time():
    with open("/proc/self/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def register_agent():
    agent = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
    info = Gio.DBusNodeInfo.new_for_xml(AGENT_XML).interfaces[0]
    agent.register_object(AGENT_PATH, info, on_agent_call, None, None)
    subject = ("unix-process", {"pid": GLib.Variant("u", os.getpid()),
                                "start-time": GLib.Variant("t", start_time())})
    agent.call_sync("org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                    "org.freedesktop.PolicyKit1.Authority", "RegisterAuthenticationAgent",
                    GLib.Variant("((sa{sv})ss)", (subject, "C", AGENT_PATH)), None,
                    Gio.DBusCallFlags.NONE, 10000, None)
    return agent


def send(n, n_conns, big):
    address = Gio.dbus_address_get_for_bus_sync(Gio.BusType.SYSTEM, None)
    flags = Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
    conns = [Gio.DBusConnection.new_for_address_sync(address, flags, None, None) for _ in range(n_conns)]
    connections.extend(conns)
    patterns = [f"flood-{i}" for i in range(n)] + (["y" * big] if big else [])
    for i, pattern in enumerate(patterns):
        def done(conn, res, i=i):
            try:
                conn.call_finish(res)
                replies[i] = {"error": None, "t": time.monotonic() - t0}
            except GLib.Error as e:
                replies[i] = {"error": Gio.DBusError.get_remote_error(e), "t": time.monotonic() - t0,
                              "message": e.message[:200]}
        conns[i % n_conns].call("org.wolfram.Memory1", "/org/wolfram/Memory1", "org.wolfram.Memory1",
                                "AddExclusion", GLib.Variant("(s)", (pattern,)), None,
                                Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION, 600000, None, done)
        replies.setdefault(i, None)


def on_stdin(channel, condition, loop):
    line = sys.stdin.readline()
    if not line:
        loop.quit()
        return False
    words = line.split()
    if words[0] == "send":
        global t0
        t0 = time.monotonic()
        send(int(words[1]), int(words[2]), int(words[3]))
        out({"sent": True})
    elif words[0] == "report":
        out({"replies": replies, "begun": len(begun), "cancelled": len(cancelled)})
    elif words[0] == "close":
        for c in connections:
            c.close_sync(None)
        connections.clear()
        out({"closed": True})
    elif words[0] == "quit":
        loop.quit()
        return False
    return True


def main():
    loop = GLib.MainLoop()
    agent = register_agent()  # noqa: F841 (kept open for the agent)
    out({"pid": os.getpid()})
    GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()), GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP,
                      on_stdin, loop)
    loop.run()


if __name__ == "__main__":
    main()
