#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Pictures of wolfram-applet in a real tray: an X server (Xvfb), Xfce's
panel with its status tray (a StatusNotifierItem host from Debian), the real
engine with a workload whose cold memory is in the pool, and the applet.
Takes a picture of the icon with its menu open, and one of the icon in each
state, and checks on the way that the tray really shows the applet.

Usage (as root, from the repository, after a build):
  tools/applet-screenshot.py --build build-test [--out docs]
It runs in CI as the meson test applet-screenshot, with --out in the build
tree; docs/ holds the pictures from a run on a developer's machine."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "workload"))

PANEL_XML = """<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="32"/>
      <property name="icon-size" type="uint" value="24"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="2"/>
        <value type="int" value="1"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-2" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-1" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
  </property>
</channel>
"""

# The active icon's body colour (applet/icons/.../wolfram-active.svg).
ACTIVE_RGB = (0x2E, 0x9E, 0x5B)
PAUSED_RGB = (0xC9, 0x8A, 0x1B)
OFFLINE_RGB = (0x9A, 0x9A, 0x9A)


class Fail(Exception):
    pass


def need_tool(name):
    if not shutil.which(name):
        raise Fail(f"{name} is not installed (tools/install-deps.sh installs it)")


def free_display():
    for n in range(90, 200):
        if not os.path.exists(f"/tmp/.X11-unix/X{n}") and not os.path.exists(f"/tmp/.X{n}-lock"):
            return n
    raise Fail("no free X display number")


def grab(display, path):
    subprocess.run(["import", "-display", display, "-window", "root", path], check=True)


def pixels(path):
    """(width, height, bytes) of an image, as 8-bit RGB."""
    ppm = subprocess.run(["convert", path, "-depth", "8", "ppm:-"], check=True, capture_output=True).stdout
    # P6\n<w> <h>\n255\n<data>
    parts = ppm.split(b"\n", 3)
    w, h = map(int, parts[1].split())
    return w, h, parts[3]


def find_colour(path, rgb, box, tolerance=12):
    """The centre and count of the pixels of colour rgb within box (x0, y0, x1, y1)."""
    w, h, data = pixels(path)
    xs, ys = [], []
    x0, y0, x1, y1 = box
    for y in range(max(0, y0), min(h, y1)):
        row = data[y * w * 3:(y + 1) * w * 3]
        for x in range(max(0, x0), min(w, x1)):
            r, g, b = row[x * 3:x * 3 + 3]
            if abs(r - rgb[0]) <= tolerance and abs(g - rgb[1]) <= tolerance and abs(b - rgb[2]) <= tolerance:
                xs.append(x)
                ys.append(y)
    if not xs:
        return None
    return (sum(xs) // len(xs), sum(ys) // len(ys), len(xs))


def wait(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = pred()
        if r:
            return r
        time.sleep(0.2)
    raise Fail(f"timed out after {timeout}s waiting for {what}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build-test", help="the meson build directory")
    ap.add_argument("--out", default=os.path.join(SOURCE_DIR, "docs"), help="where the pictures go")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    out = os.path.abspath(args.out)
    os.environ.setdefault("WOLFRAMD", os.path.join(build, "daemon", "wolframd"))
    os.environ.setdefault("WOLFRAMCTL", os.path.join(build, "ctl", "wolframctl"))
    os.environ.setdefault("WOLFRAM_WORKLOAD", os.path.join(build, "tests", "workload", "wolfram-workload"))
    os.environ.setdefault("WOLFRAM_APPLET", os.path.join(build, "applet", "wolfram-applet"))
    os.environ.setdefault("WOLFRAM_APPLET_ICONS", os.path.join(SOURCE_DIR, "applet", "icons"))

    from harness import enter_private_mount_namespace, stop_process, TestCgroup, Env, TestFailure
    import applet
    from control import control_config, workload

    enter_private_mount_namespace()
    for tool in ("Xvfb", "xfce4-panel", "xdotool", "import", "convert", "xwininfo"):
        need_tool(tool)
    xfconfd = "/usr/lib/x86_64-linux-gnu/xfce4/xfconf/xfconfd"
    if not os.access(xfconfd, os.X_OK):
        raise Fail(f"{xfconfd} is missing (package xfconf)")
    os.makedirs(out, exist_ok=True)

    procs = []

    def spawn(argv, env, log):
        p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "a"))
        procs.append(p)
        return p

    tmp = tempfile.mkdtemp(prefix="wolfram-shot-")
    try:
        with TestCgroup("shot") as cg, workload(256, content="text", seed=5, hot_percent=25) as w:
            cg.add(w.pid)
            with Env(config=control_config(cg)) as env, applet.Session(env) as s:
                # Real figures: the workload's cold part is in the pool.
                env.ctl("reclaim", str(w.pid), "--cold", check_rc=0)
                env.ctl("reclaim", str(w.pid), "--pageout", check_rc=0)

                n = free_display()
                display = f":{n}"
                spawn(["Xvfb", display, "-screen", "0", "900x520x24", "-nolisten", "tcp"], os.environ,
                      os.path.join(tmp, "xvfb.log"))
                wait(lambda: os.path.exists(f"/tmp/.X11-unix/X{n}"), 10, "Xvfb")

                # The desktop's session: its own config, the build's icons.
                config = os.path.join(tmp, "config")
                xml_dir = os.path.join(config, "xfce4", "xfconf", "xfce-perchannel-xml")
                os.makedirs(xml_dir)
                with open(os.path.join(xml_dir, "xfce4-panel.xml"), "w") as f:
                    f.write(PANEL_XML)
                data = os.path.join(tmp, "share")
                os.makedirs(os.path.join(data, "icons"))
                os.symlink(os.path.join(os.environ["WOLFRAM_APPLET_ICONS"], "hicolor"),
                           os.path.join(data, "icons", "hicolor"))
                desktop = dict(os.environ, DISPLAY=display, DBUS_SESSION_BUS_ADDRESS=s.address,
                               XDG_CONFIG_HOME=config, XDG_CACHE_HOME=os.path.join(tmp, "cache"),
                               XDG_DATA_DIRS=f"{data}:/usr/local/share:/usr/share", HOME=tmp,
                               LC_ALL="C.UTF-8", GTK_THEME="Adwaita", NO_AT_BRIDGE="1")
                spawn([xfconfd], desktop, os.path.join(tmp, "xfconfd.log"))
                wait(lambda: s.name_owned("org.xfce.Xfconf"), 10, "xfconfd")
                spawn(["xfce4-panel", "--disable-wm-check"], desktop, os.path.join(tmp, "panel.log"))
                wait(lambda: s.name_owned("org.kde.StatusNotifierWatcher"), 20,
                     "the panel's tray to own org.kde.StatusNotifierWatcher")

                s.start_applet()
                wait(lambda: s.name_owned(s.service), 10, "the applet on the session bus")
                items = wait(lambda: s.conn.call_sync(
                    "org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher", "org.freedesktop.DBus.Properties",
                    "Get", applet.GLib.Variant("(ss)", ("org.kde.StatusNotifierWatcher",
                                                        "RegisteredStatusNotifierItems")),
                    applet.GLib.VariantType("(v)"), applet.Gio.DBusCallFlags.NONE, 5000, None).unpack()[0],
                    10, "the applet in the panel's list of items")
                if not any(s.service in i for i in items):
                    raise Fail(f"the panel lists {items}, not {s.service}")
                applet.wait_for(lambda: applet.shows_engine_figures(s, env), 20, "the applet's figures")

                # The icon, drawn by the panel.
                shot = os.path.join(tmp, "root.png")
                panel_box = (0, 0, 900, 32)
                icon = wait(lambda: grab(display, shot) or find_colour(shot, ACTIVE_RGB, panel_box), 20,
                            "the active icon in the panel")
                print(f"applet-screenshot: the active icon is drawn at {icon[:2]} ({icon[2]} pixels)")
                ix, iy = icon[0], icon[1]
                x0 = max(0, ix - 24)
                subprocess.run(["convert", shot, "-crop", f"48x32+{x0}+0", "+repage",
                                os.path.join(tmp, "icon-active.png")], check=True)

                # The menu, as a right click opens it.
                subprocess.run(["xdotool", "mousemove", "--sync", str(ix), str(iy), "click", "3"],
                               env=desktop, check=True)
                time.sleep(1.5)

                def menu_drawn():
                    grab(display, shot)
                    w_, h_, px = pixels(shot)
                    # Below the panel the root is black until a menu is drawn.
                    lit = sum(1 for i in range(33 * w_ * 3, min(len(px), 200 * w_ * 3), 3 * 7) if px[i] > 40)
                    return lit > 500
                wait(menu_drawn, 15, "the menu to open below the icon")
                time.sleep(0.5)
                grab(display, shot)
                left = max(0, ix - 420)
                picture = os.path.join(out, "applet-menu.png")
                subprocess.run(["convert", shot, "-crop", f"{900 - left}x260+{left}+0", "+repage",
                                "-trim", "-bordercolor", "black", "-border", "8", picture], check=True)
                subprocess.run(["xdotool", "key", "Escape"], env=desktop, check=False)
                time.sleep(0.5)

                # The other states: paused, then no engine.
                env.ctl("pause", check_rc=0)
                applet.wait_icon(s, "wolfram-paused", "Active", signalled=False)
                wait(lambda: grab(display, shot) or find_colour(shot, PAUSED_RGB, panel_box), 20,
                     "the paused icon in the panel")
                subprocess.run(["convert", shot, "-crop", f"48x32+{x0}+0", "+repage",
                                os.path.join(tmp, "icon-paused.png")], check=True)
                env.ctl("resume", check_rc=0)
                env.stop_engine()
                applet.wait_icon(s, "wolfram-offline", "Active", signalled=False)
                wait(lambda: grab(display, shot) or find_colour(shot, OFFLINE_RGB, panel_box), 20,
                     "the not-running icon in the panel")
                subprocess.run(["convert", shot, "-crop", f"48x32+{x0}+0", "+repage",
                                os.path.join(tmp, "icon-offline.png")], check=True)
                states = os.path.join(out, "applet-states.png")
                subprocess.run(["convert"] + [os.path.join(tmp, f"icon-{st}.png")
                                              for st in ("active", "paused", "offline")]
                               + ["+append", states], check=True)
                env.start_engine()
                if not w.verify()["ok"]:
                    raise Fail("the workload's memory changed")
                print(f"applet-screenshot: wrote {picture} and {states}")
    except (Fail, TestFailure) as e:
        print(f"applet-screenshot: FAIL: {e}", file=sys.stderr)
        for log in ("panel.log", "xfconfd.log", "xvfb.log"):
            path = os.path.join(tmp, log)
            if os.path.exists(path):
                with open(path) as f:
                    sys.stderr.write(f"--- {log} ---\n{f.read()[-3000:]}")
        return 1
    finally:
        for p in reversed(procs):
            stop_process(p)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
