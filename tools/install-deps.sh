#!/usr/bin/env bash
# Installs what wolfram needs on Debian 12.
#   tools/install-deps.sh            everything: building, running and the
#                                    whole test suite (tools/run-tests.sh)
#   tools/install-deps.sh --runtime  only what building and running the
#                                    engine and wolframctl need (tools/setup.sh)
#   tools/install-deps.sh --runtime --applet
#                                    and the tray applet's libraries
set -euo pipefail

runtime=no applet=no
for a in "$@"; do
        case $a in
        --runtime) runtime=yes ;;
        --applet) applet=yes ;;
        *)
                echo "Usage: $0 [--runtime [--applet]]" >&2
                exit 2
                ;;
        esac
done

# Building (the .pc files name where the bus, polkit and completion files go;
# python3 makes the D-Bus API's page) and running: the system bus, polkitd,
# swapon/mkswap.
packages=(
        meson ninja-build pkg-config gcc python3
        libsystemd-dev libinih-dev libjson-c-dev libblkid-dev bash-completion
        libdbus-1-dev libpolkit-gobject-1-dev
        dbus-daemon dbus-bin polkitd util-linux
)
applet_packages=(libglib2.0-dev libdbusmenu-glib-dev gettext)
quiet_services=()
if [ $runtime = yes ]; then
        [ $applet = no ] || packages+=("${applet_packages[@]}")
else
        packages+=(
                "${applet_packages[@]}"
                strace openssh-client
                python3-gi gir1.2-glib-2.0 libglib2.0-bin
                clang-format
                clang libclang-rt-14-dev
                qemu-system-x86 busybox-static mmdebstrap
                debhelper dpkg-dev fakeroot lintian
                gnuplot-nox
                xvfb xfce4-panel xfconf xdotool imagemagick x11-utils librsvg2-common fonts-dejavu-core
        )
        # tools/vm/build-kernel.sh installs what building the test kernel needs.

        # Real applications as test subjects (tests/integration/apps.py,
        # bench/bench_apps.py); javac compiles the JVM subject (tests/apps/).
        packages+=(redis-tools openjdk-17-jre-headless openjdk-17-jdk-headless firefox-esr)

        # Hibernation's checkpoints (engine/hibernate): criu, which the
        # integration test asks here and the VM's system tier runs.
        packages+=(criu)

        # Packages whose system service must neither start on installation
        # nor at boot; the tests start their own instances. prometheus is
        # here for promtool, which checks the metrics file in the unit
        # tests and, with prometheus-node-exporter, serves the fleet view's
        # test (tests/integration/fleet.py); redis-server for the server the
        # tests run as the redis user with a config of their own; memcached
        # for the cache server whose own threads revisit its items
        # (tests/integration/pacing.py, bench/bench_refaults.py).
        quiet_services=(prometheus prometheus-node-exporter redis-server memcached)
fi

installed() {
        dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
missing=() missing_quiet=()
for p in "${packages[@]}"; do
        installed "$p" || missing+=("$p")
done
for p in "${quiet_services[@]+"${quiet_services[@]}"}"; do
        installed "$p" || missing_quiet+=("$p")
done
if [ ${#missing[@]} -gt 0 ] || [ ${#missing_quiet[@]} -gt 0 ]; then
        apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing: ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ${#missing_quiet[@]} -gt 0 ]; then
        echo "Installing: ${missing_quiet[*]} (their services are neither started nor enabled)"
        # invoke-rc.d and deb-systemd-invoke ask policy-rc.d, and 101 means
        # "do not start". One that is there already is left as it is.
        policy_rc_d=/usr/sbin/policy-rc.d
        made_policy_rc_d=no
        if [ ! -e "$policy_rc_d" ]; then
                printf '#!/bin/sh\nexit 101\n' >"$policy_rc_d"
                chmod 755 "$policy_rc_d"
                made_policy_rc_d=yes
                trap 'rm -f "$policy_rc_d"' EXIT
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_quiet[@]}" >/dev/null
        if [ $made_policy_rc_d = yes ]; then
                rm -f "$policy_rc_d"
                trap - EXIT
        fi
        # Nor started at the next boot.
        if command -v systemctl >/dev/null; then
                for p in "${missing_quiet[@]}"; do
                        systemctl disable --quiet "$p.service" 2>/dev/null || true
                done
        fi
fi
