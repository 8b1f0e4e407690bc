# SPDX-License-Identifier: MIT
"""Integration cases for the tray applet (issue 9): the real engine on the
private system bus, the applet on a private session bus, and a test tray
(sni-host.py) in the role of the desktop's StatusNotifierWatcher and
notification server. run.py registers every case_* here."""

import json
import os
import pwd
import queue
import subprocess
import threading
import time

from gi.repository import Gio, GLib

from harness import (TestCgroup, BUS_NAME, BUS_PATH, NOBODY, TEST_GROUP, Env, TestFailure, check, need,
                     stop_process, wait_for)
from control import control_config, rules_for_group, workload

HERE = os.path.dirname(os.path.abspath(__file__))
SNI_PATH = "/StatusNotifierItem"
SNI_IFACE = "org.kde.StatusNotifierItem"
MENU_IFACE = "com.canonical.dbusmenu"

SESSION_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

# Stands in for the desktop's terminal: runs what it is given after "-e",
# with no one to press Enter, and keeps what it printed.
FAKE_TERMINAL = """#!/bin/sh
[ "$1" = -e ] && shift
"$@" </dev/null >"{out}.tmp" 2>&1
mv "{out}.tmp" "{out}"
"""


def size(n):
    """The applet's way of writing a size (GLib's, IEC units)."""
    return GLib.format_size_full(n, GLib.FormatSizeFlags.IEC_UNITS)


class Session:
    """A private session bus that root and nobody may both use, the test
    tray on it, and the applet."""

    def __init__(self, env):
        self.env = env
        self.tmp = env.tmp
        self.socket = os.path.join(self.tmp, "session_bus_socket")
        conf = os.path.join(self.tmp, "session.conf")
        with open(conf, "w") as f:
            f.write(SESSION_CONF.format(socket=self.socket))
        self.address = f"unix:path={self.socket}"
        self.bus_proc = subprocess.Popen(["dbus-daemon", "--config-file", conf, "--nofork", "--nopidfile"],
                                         stdout=subprocess.DEVNULL,
                                         stderr=open(os.path.join(self.tmp, "session-bus.log"), "w"))
        wait_for(lambda: os.path.exists(self.socket), 5, "the private session bus socket")
        os.chmod(self.socket, 0o777)
        self.conn = Gio.DBusConnection.new_for_address_sync(
            self.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        self.tray_proc = None
        self.events = queue.Queue()
        self.seen = []
        self.applet_proc = None
        self.terminal_out = os.path.join(self.tmp, "terminal.out")
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir, exist_ok=True)
        os.chmod(self.tmp, 0o755)
        os.chmod(bindir, 0o755)
        term = os.path.join(bindir, "x-terminal-emulator")
        with open(term, "w") as f:
            f.write(FAKE_TERMINAL.format(out=self.terminal_out))
        os.chmod(term, 0o755)
        # The applet finds wolframctl in PATH, as it would when installed.
        ctl_dir = os.path.dirname(env.wolframctl)
        self.path = f"{bindir}:{ctl_dir}:/usr/sbin:/usr/bin:/sbin:/bin"

    def close(self):
        for p in (self.applet_proc, self.tray_proc, self.bus_proc):
            stop_process(p)
        try:
            self.conn.close_sync(None)
        except GLib.Error:
            pass  # the bus went first

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            for log in ("applet.log", "tray.log", "session-bus.log"):
                path = os.path.join(self.tmp, log)
                if os.path.exists(path):
                    with open(path) as f:
                        print(f"--- {log} ---\n{f.read()}", flush=True)
        self.close()
        return False

    # --- the tray ----------------------------------------------------------
    def start_tray(self):
        self.tray_proc = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(HERE, "sni-host.py")],
            env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.address), stdout=subprocess.PIPE, text=True,
            stderr=open(os.path.join(self.tmp, "tray.log"), "a"))
        proc = self.tray_proc
        threading.Thread(target=self._read_tray, args=(proc,), daemon=True).start()
        self.wait_event(lambda e: e["event"] == "ready", 10, "the test tray")

    def stop_tray(self):
        self.tray_proc.terminate()
        self.tray_proc.wait(5)

    def _read_tray(self, proc):
        for line in proc.stdout:
            self.events.put(json.loads(line))

    def wait_event(self, pred, timeout, what):
        """The first event from now on for which pred holds; earlier ones are kept in self.seen."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TestFailure(f"timed out after {timeout}s waiting for {what}; events: {self.seen[-10:]}")
            try:
                e = self.events.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(e)
            if e["event"] == "error":
                raise TestFailure(f"the test tray failed: {e}")
            if pred(e):
                return e

    def drain(self):
        while not self.events.empty():
            self.seen.append(self.events.get())

    # --- the applet --------------------------------------------------------
    def start_applet(self, user=None, language=None):
        exe = os.environ.get("WOLFRAM_APPLET")
        need(exe and os.access(exe, os.X_OK), "$WOLFRAM_APPLET must name the built applet")
        argv = [exe, "--icon-theme-path", os.environ.get("WOLFRAM_APPLET_ICONS", "")]
        if user:
            argv = ["setpriv", f"--reuid={user}", f"--regid={pwd.getpwnam(user).pw_gid}", "--init-groups",
                    "--"] + argv
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.address, DBUS_SYSTEM_BUS_ADDRESS=self.env.address,
                   PATH=self.path, LC_ALL="C.UTF-8", HOME="/nonexistent", G_MESSAGES_DEBUG="all")
        env.pop("LANGUAGE", None)
        if language:
            env["LANGUAGE"] = language
        self.applet_proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                            stderr=open(os.path.join(self.tmp, "applet.log"), "a"))
        # setpriv execs the applet: the pid is the applet's.
        self.service = f"org.kde.StatusNotifierItem-{self.applet_proc.pid}-1"
        return self.applet_proc

    def stop_applet(self):
        p = self.applet_proc
        p.terminate()
        rc = p.wait(10)
        check(rc == 0, f"the applet exited {rc} on SIGTERM")

    def applet_log(self):
        with open(os.path.join(self.tmp, "applet.log")) as f:
            return f.read()

    def wait_registered(self, timeout=10):
        e = self.wait_event(lambda e: e["event"] == "registered", timeout, "the applet to register")
        check(e["service"] == self.service, f"registered {e['service']}, expected {self.service}")

    # --- reading the item like a host --------------------------------------
    def _call(self, path, iface, method, args, reply):
        return self.conn.call_sync(self.service, path, iface, method, args, GLib.VariantType(reply),
                                   Gio.DBusCallFlags.NONE, 10000, None).unpack()

    def prop(self, name):
        return self._call(SNI_PATH, "org.freedesktop.DBus.Properties", "Get",
                          GLib.Variant("(ss)", (SNI_IFACE, name)), "(v)")[0]

    def name_owned(self, name):
        return self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                   "NameHasOwner", GLib.Variant("(s)", (name,)), GLib.VariantType("(b)"),
                                   Gio.DBusCallFlags.NONE, 5000, None).unpack()[0]

    def menu(self):
        """{label: (id, properties)} of the visible items, from GetLayout."""
        path = self.prop("Menu")
        _, layout = self._call(path, MENU_IFACE, "GetLayout", GLib.Variant("(iias)", (0, -1, [])), "(u(ia{sv}av))")
        items = {}
        for child in layout[2]:
            cid, props, _ = child
            if props.get("visible", True) and props.get("type") != "separator":
                items[props.get("label", "").replace("__", "_")] = (cid, props)
        return items

    def click(self, label):
        items = self.menu()
        check(label in items, f"no menu item '{label}' in {list(items)}")
        cid, props = items[label]
        check(props.get("enabled", True), f"menu item '{label}' is disabled")
        self._call(self.prop("Menu"), MENU_IFACE, "Event",
                   GLib.Variant("(isvu)", (cid, "clicked", GLib.Variant("i", 0), int(time.time()))), "()")

    def about_to_show(self):
        self._call(self.prop("Menu"), MENU_IFACE, "AboutToShow", GLib.Variant("(i)", (0,)), "(b)")


def engine_stats(env):
    conn = Gio.DBusConnection.new_for_address_sync(
        env.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
        None, None)
    try:
        return conn.call_sync(BUS_NAME, BUS_PATH, BUS_NAME, "GetStats", None, GLib.VariantType("(a{sv})"),
                              Gio.DBusCallFlags.NONE, 10000, None).unpack()[0]
    finally:
        conn.close_sync(None)


def expected_lines(stats):
    """The menu's figure lines for a GetStats answer, as a user reads them."""
    pool, ksm = stats["Pool"], stats["Ksm"]
    pool_line = (f"Compressed (zram): {size(pool['OriginalBytes'])} in {size(pool['MemoryUsedBytes'])} of RAM, "
                 f"ratio {pool['CompressionRatio']:.2f}") if pool["OriginalBytes"] else "Compressed (zram): nothing yet"
    return [f"Saved now: {size(stats['SavedBytes'])}", pool_line,
            f"Merged (KSM): {size(max(ksm['SavedBytes'], 0))}"]


def shows_engine_figures(s, env):
    """The menu and the tooltip show what GetStats says now. Figures move
    (KSM, the pool), so the caller retries; AboutToShow asks for fresh ones."""
    s.about_to_show()
    time.sleep(0.2)
    want = expected_lines(env_stats := engine_stats(env))
    labels = list(s.menu())
    title, body = s.prop("ToolTip")[2:4]
    return (labels[:3] == want and title == f"wolfram: {size(env_stats['SavedBytes'])} saved"
            and body == "\n".join(want[1:]))


def wait_icon(s, icon, status, timeout=10, signalled=True):
    """The item shows 'icon' and 'status'; with 'signalled', a NewIcon told
    the tray so (a host reads again only when told)."""
    wait_for(lambda: s.prop("IconName") == icon and s.prop("Status") == status, timeout,
             f"IconName {icon} and Status {status}")
    if signalled:
        s.wait_event(lambda e: e["event"] == "signal" and e["name"] == "NewIcon", 5, "NewIcon")


def case_applet_tray():
    """The applet waits for the tray, registers, shows the engine's real
    figures, pauses and resumes it from the menu, opens the full status,
    follows the engine leaving and coming back and the tray restarting."""
    with TestCgroup("applet") as cg, workload(64, content="text", seed=9, hot_percent=0) as w:
        cg.add(w.pid)
        with Env(config=control_config(cg)) as env, Session(env) as s:
            applet = s.start_applet()
            # No tray yet: the applet exports its item and waits.
            wait_for(lambda: s.name_owned(s.service) or applet.poll() is not None, 10, "the item's bus name")
            check(applet.poll() is None, f"the applet exited without a tray:\n{s.applet_log()}")
            time.sleep(0.5)
            s.start_tray()
            s.wait_registered()
            check(s.prop("Id") == "wolfram" and s.prop("Menu") == "/MenuBar" and s.prop("ItemIsMenu") is True,
                  "Id, Menu or ItemIsMenu")
            wait_icon(s, "wolfram-active", "Active", signalled=False)

            # Real figures: 64 MiB paged out into the engine's pool.
            env.ctl("reclaim", str(w.pid), "--pageout", check_rc=0)
            wait_for(lambda: engine_stats(env)["Pool"]["OriginalBytes"] >= 60 << 20, 10, "the pool to hold 60 MiB")
            wait_for(lambda: shows_engine_figures(s, env), 20, "the menu and tooltip to show GetStats' figures")

            # Pause from the menu: the engine pauses and the icon follows.
            s.drain()
            s.click("Pause")
            wait_for(lambda: env.get_property("Paused") is True, 10, "the engine to pause")
            wait_icon(s, "wolfram-paused", "Active")
            wait_for(lambda: "Resume" in s.menu(), 5, "the Resume item")
            check(s.prop("ToolTip")[2].startswith("wolfram is paused: "), f"tooltip {s.prop('ToolTip')}")
            s.click("Resume")
            wait_for(lambda: env.get_property("Paused") is False, 10, "the engine to resume")
            wait_icon(s, "wolfram-active", "Active")

            # The full status, in the desktop's terminal.
            s.click("Show Full Status…")
            wait_for(lambda: os.path.exists(s.terminal_out), 15, "the terminal to show the status")
            with open(s.terminal_out) as f:
                shown = f.read()
            check("wolframd 0.1.0: running" in shown and "Pool: zram" in shown and "PID NAME" in shown,
                  f"the terminal showed:\n{shown}")
            check(w.verify()["ok"], "the workload's memory changed")

            # The engine leaves: the icon says so; it comes back: so does the icon.
            s.drain()
            env.stop_engine()
            wait_icon(s, "wolfram-offline", "Active")
            items = s.menu()
            check("The memory engine (wolframd) is not running" in items, f"menu without engine: {list(items)}")
            check(items["Pause"][1].get("enabled") is False, "Pause is clickable without an engine")
            check(s.prop("ToolTip")[2] == "wolfram is not running"
                  and s.prop("ToolTip")[3].startswith("The memory engine (wolframd) is not running\n"
                                                      "Start it with: systemctl start wolfram"),
                  f"tooltip {s.prop('ToolTip')}")
            env.start_engine()
            wait_icon(s, "wolfram-active", "Active")
            wait_for(lambda: shows_engine_figures(s, env), 20, "the figures of the new engine")

            # The tray restarts: the applet registers again by itself.
            s.stop_tray()
            time.sleep(0.3)
            s.start_tray()
            s.wait_registered()
            check(applet.poll() is None, "the applet exited when the tray restarted")

            # Quit leaves with 0.
            s.click("Quit")
            check(applet.wait(10) == 0, "the applet did not exit 0 on Quit")
            s.wait_event(lambda e: e["event"] == "unregistered", 5, "the item to leave the tray")
            log = s.applet_log()
            check("CRITICAL" not in log and "WARNING" not in log, f"the applet complained:\n{log}")


def case_applet_refused():
    """A user polkit does not allow: Pause is refused, the refusal is shown
    in a notification, the menu and the tooltip, and the engine runs on."""
    with Env() as env, Session(env) as s:
        s.start_tray()
        s.start_applet(user=NOBODY)
        s.wait_registered()
        wait_icon(s, "wolfram-active", "Active", signalled=False)
        s.click("Pause")
        n = s.wait_event(lambda e: e["event"] == "notify", 15, "a notification of the refusal")
        # Interaction was allowed (the desktop's agent may ask), but this
        # session has no agent.
        check(n["body"] == "Could not pause: Authentication is required for org.wolfram.memory1.pause, "
              "and no authentication agent asked for it.", f"notification {n}")
        print(f"refusal shown: {n['body']}")
        wait_for(lambda: n["body"] in s.menu(), 5, "the refusal in the menu")
        check(s.prop("ToolTip")[3].endswith(n["body"]), f"tooltip {s.prop('ToolTip')}")
        check(env.get_property("Paused") is False and env.get_property("State") == "running",
              "the engine changed although refused")
        check(s.prop("IconName") == "wolfram-active", "the icon changed although refused")
        s.stop_applet()


def case_applet_granted():
    """A user in the group the rules file names pauses and resumes from the
    applet without a password; a success clears an earlier error."""
    with Env(rules={"50-wolfram.rules": rules_for_group(TEST_GROUP)}) as env, Session(env) as s:
        s.start_tray()
        s.start_applet(user=NOBODY)
        s.wait_registered()
        wait_icon(s, "wolfram-active", "Active", signalled=False)
        s.click("Pause")
        wait_for(lambda: env.get_property("Paused") is True, 10, "the engine to pause")
        wait_icon(s, "wolfram-paused", "Active")
        s.click("Resume")
        wait_for(lambda: env.get_property("Paused") is False, 10, "the engine to resume")
        wait_icon(s, "wolfram-active", "Active")
        s.drain()
        check(not [e for e in s.seen if e["event"] == "notify"], f"notifications: {s.seen}")
        s.stop_applet()


def case_applet_translated():
    """With LANGUAGE=de the applet speaks German (gettext catalogs)."""
    need(os.environ.get("WOLFRAM_LOCALEDIR"), "$WOLFRAM_LOCALEDIR must name the built catalogs")
    with Env() as env, Session(env) as s:
        s.start_tray()
        s.start_applet(language="de")
        s.wait_registered()
        wait_icon(s, "wolfram-active", "Active", signalled=False)
        items = s.menu()
        check("Pausieren" in items and "Vollständigen Status anzeigen…" in items and "Beenden" in items,
              f"menu: {list(items)}")
        check(s.prop("ToolTip")[2].startswith("wolfram: ") and s.prop("ToolTip")[2].endswith(" gespart"),
              f"tooltip {s.prop('ToolTip')}")
        s.stop_applet()


AGENT_RULES = """polkit.addRule(function(action, subject) {
    if (action.id == "org.wolfram.memory1.pause" && subject.user == "nobody")
        return polkit.Result.AUTH_SELF;
});
"""
AGENT_PASSWORD = "wolfram-test-secret"


def start_tty_agent(env, pid):
    """pkttyagent as nobody, registered for process pid, on a terminal of
    ours; returns (process, the terminal's master fd)."""
    import pty
    master, slave = pty.openpty()
    slave_name = os.ttyname(slave)

    def controlling_tty():
        os.setsid()
        os.close(os.open(slave_name, os.O_RDWR))  # the first tty a session leader opens is its own

    notify_r, notify_w = os.pipe()
    nobody = pwd.getpwnam(NOBODY)
    p = subprocess.Popen(["setpriv", f"--reuid={NOBODY}", f"--regid={nobody.pw_gid}", "--init-groups", "--",
                          "pkttyagent", "--process", str(pid), "--notify-fd", str(notify_w)],
                         stdin=slave, stdout=slave, stderr=slave, pass_fds=(notify_w,), preexec_fn=controlling_tty,
                         env=env.env())
    os.close(slave)
    os.close(notify_w)
    # The agent closes the fd once polkitd took its registration.
    os.read(notify_r, 1)
    os.close(notify_r)
    return p, master


def case_applet_agent():
    """When polkit wants a password, the agent of the applet's user asks
    for it (here pkttyagent on a terminal, standing in for the desktop's
    agent); the right password pauses the engine."""
    import select
    import crypt
    with Env(rules={"50-wolfram-agent.rules": AGENT_RULES}) as env, Session(env) as s:
        # nobody gets a password in this mount namespace, for PAM (pam_unix)
        # under polkit-agent-helper-1; the setuid helper talks to polkitd on
        # the system bus's standard path, where the private bus goes.
        shadow = os.path.join(env.tmp, "shadow")
        with open("/etc/shadow") as f:
            lines = f.read().splitlines()
        hashed = crypt.crypt(AGENT_PASSWORD, crypt.mksalt(crypt.METHOD_SHA512))
        lines = [f"{NOBODY}:{hashed}:" + ":".join(ln.split(":")[2:]) if ln.startswith(NOBODY + ":") else ln
                 for ln in lines]
        with open(shadow, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(shadow, 0o640)
        env._bind(shadow, "/etc/shadow")
        # /run/dbus of this namespace holds only the private bus's socket
        # (a hard link to it), whether or not the host runs a system bus.
        run_dbus = os.path.join(env.tmp, "run-dbus")
        os.mkdir(run_dbus, 0o755)
        os.link(os.path.join(env.tmp, "system_bus_socket"), os.path.join(run_dbus, "system_bus_socket"))
        os.makedirs("/run/dbus", exist_ok=True)
        env._bind(run_dbus, "/run/dbus")

        s.start_tray()
        applet = s.start_applet(user=NOBODY)
        s.wait_registered()
        wait_icon(s, "wolfram-active", "Active", signalled=False)
        agent, tty = start_tty_agent(env, applet.pid)

        def answer_prompt(password):
            seen = b""
            deadline = time.monotonic() + 20
            while b"Password:" not in seen and time.monotonic() < deadline:
                r, _, _ = select.select([tty], [], [], 0.5)
                if r:
                    seen += os.read(tty, 4096)
            check(b"Password:" in seen, f"the agent did not ask; it printed {seen!r}")
            check(b"org.wolfram.memory1.pause" in seen, f"the agent did not name the action: {seen!r}")
            check(env.get_property("Paused") is False, "paused before the password was given")
            os.write(tty, (password + "\n").encode())

        try:
            # A wrong password: refused, and the applet says so.
            s.click("Pause")
            answer_prompt("not-the-password")
            n = s.wait_event(lambda e: e["event"] == "notify", 30, "the refusal after a wrong password")
            print(f"after a wrong password: {n['body']}")
            check(n["body"].startswith("Could not pause: "), f"notification {n}")
            check(env.get_property("Paused") is False, "paused with a wrong password")
            # The right one: paused, and the error is gone.
            s.click("Pause")
            answer_prompt(AGENT_PASSWORD)
            wait_for(lambda: env.get_property("Paused") is True, 20, "the engine to pause after the password")
            wait_icon(s, "wolfram-paused", "Active")
            wait_for(lambda: n["body"] not in s.menu(), 5, "the old refusal to leave the menu")
        finally:
            agent.terminate()
            agent.wait(5)
            os.close(tty)
        s.stop_applet()
