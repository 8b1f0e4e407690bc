#!/usr/bin/env bash
# Installs what building, running and testing wolfram needs on Debian 12.
set -euo pipefail

packages=(
        meson ninja-build pkg-config gcc
        libsystemd-dev libinih-dev libjson-c-dev libblkid-dev bash-completion
        libdbus-1-dev libpolkit-gobject-1-dev
        dbus-daemon dbus-bin polkitd util-linux strace
        python3 python3-gi gir1.2-glib-2.0 libglib2.0-bin
        clang-format
        clang libclang-rt-14-dev
        qemu-system-x86 busybox-static mmdebstrap
        gnuplot-nox
        libglib2.0-dev libdbusmenu-glib-dev gettext
        xvfb xfce4-panel xfconf xdotool imagemagick x11-utils librsvg2-common fonts-dejavu-core
)
# tools/vm/build-kernel.sh installs what building the test kernel needs.

# Real applications as test subjects (tests/integration/apps.py, bench/bench_apps.py);
# javac compiles the JVM subject (tests/apps/).
packages+=(redis-tools openjdk-17-jre-headless openjdk-17-jdk-headless firefox-esr)

# Packages whose system service must neither start on installation nor at
# boot; the tests start their own instances. prometheus is here for promtool,
# which checks the metrics file in the unit tests; redis-server for the
# server the tests run as the redis user with a config of their own.
quiet_services=(prometheus redis-server)

installed() {
        dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
missing=() missing_quiet=()
for p in "${packages[@]}"; do
        installed "$p" || missing+=("$p")
done
for p in "${quiet_services[@]}"; do
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
