#!/usr/bin/env bash
# Sets wolfram up on a user's machine: installs what it needs at run time
# (and the tray applet's libraries where a desktop is installed), builds
# and installs it; on a systemd machine enables and starts the unit, so it
# runs after a reboot too; elsewhere makes sure a system bus and polkitd
# run and starts wolframd by hand. Shows `wolframctl status`. Run as root
# from the repository. The test suite's tools come with tools/run-tests.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" -eq 0 ] || { echo "Run as root." >&2; exit 1; }

if [ -n "$(ls /usr/share/xsessions /usr/share/wayland-sessions 2>/dev/null)" ]; then
        tools/install-deps.sh --runtime --applet
else
        tools/install-deps.sh --runtime
fi

if [ -f build/build.ninja ]; then
        meson setup --reconfigure build --prefix=/usr >/dev/null
else
        meson setup build --prefix=/usr >/dev/null
fi
ninja -C build >/dev/null
meson install -C build --no-rebuild >/dev/null
applet=
[ ! -x build/applet/wolfram-applet ] || applet=" the tray applet,"
echo "Installed wolframd, wolframctl,$applet the bus policy, the polkit actions and rules, and the unit."
# The polkit rules grant every action to this group (meson -Dpolkit_group=).
if ! getent group wolfram >/dev/null; then
        groupadd --system wolfram
        echo "Created the group 'wolfram': its members may steer wolfram without a password."
fi

name_owned() {
        busctl --system status "$1" >/dev/null 2>&1
}

wait_name() {
        for _ in $(seq 100); do
                name_owned "$1" && return 0
                sleep 0.1
        done
        echo "Timed out waiting for $1 on the system bus." >&2
        return 1
}

if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        systemctl reload dbus.service 2>/dev/null || systemctl reload dbus-broker.service 2>/dev/null || true
        # Enabled: it starts at boot. Restarted: an engine already running
        # takes the new build.
        systemctl enable --quiet wolfram.service
        systemctl restart wolfram.service
        echo "Enabled and started wolfram.service (log: journalctl -u wolfram)."
else
        # No systemd: start what it would have started.
        if [ ! -S /run/dbus/system_bus_socket ] || ! busctl --system status org.freedesktop.DBus >/dev/null 2>&1; then
                rm -f /run/dbus/pid /run/dbus/system_bus_socket
                mkdir -p /run/dbus
                dbus-uuidgen --ensure
                dbus-daemon --system --fork
                echo "Started the system bus."
        else
                # A running bus reads the new policy file on reload.
                busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
        fi
        if ! name_owned org.freedesktop.PolicyKit1; then
                setsid /usr/lib/polkit-1/polkitd --no-debug </dev/null >>/var/log/polkitd.log 2>&1 &
                wait_name org.freedesktop.PolicyKit1
                echo "Started polkitd."
        fi
        if name_owned org.wolfram.Memory1; then
                old=$(busctl --system status org.wolfram.Memory1 | sed -n 's/^PID=//p')
                echo "Restarting wolframd (pid $old) with the new build."
                kill "$old"
                for _ in $(seq 100); do name_owned org.wolfram.Memory1 || break; sleep 0.1; done
        fi
        # With what its unit would leave it: the capability bounding set,
        # no new privileges, the file limit.
        caps=$(sed -n 's/^CapabilityBoundingSet=//p' units/wolfram.service.in | tr ' ' '\n' |
                sed -n 's/^CAP_\(.*\)/+\L\1/p' | paste -sd,)
        nofile=$(sed -n 's/^LimitNOFILE=//p' units/wolfram.service.in)
        setsid prlimit --nofile="$nofile" -- setpriv --bounding-set=-all,"$caps" --no-new-privs -- \
                /usr/sbin/wolframd </dev/null >>/var/log/wolframd.log 2>&1 &
        wait_name org.wolfram.Memory1
        echo "Started wolframd (log: /var/log/wolframd.log)."
fi

echo
wolframctl status
