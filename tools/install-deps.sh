#!/usr/bin/env bash
# Installs what building, running and testing wolfram needs on Debian 12.
set -euo pipefail

packages=(
        meson ninja-build pkg-config gcc
        libsystemd-dev libinih-dev libjson-c-dev bash-completion
        libdbus-1-dev libpolkit-gobject-1-dev
        dbus-daemon dbus-bin polkitd util-linux strace
        python3 python3-gi gir1.2-glib-2.0 libglib2.0-bin
        clang-format
        qemu-system-x86 busybox-static mmdebstrap
        prometheus
        gnuplot-nox
        libglib2.0-dev libdbusmenu-glib-dev gettext
        xvfb xfce4-panel xfconf xdotool imagemagick x11-utils librsvg2-common fonts-dejavu-core
)
# tools/vm/build-kernel.sh installs what building the test kernel needs.

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# prometheus is here for promtool, which checks the metrics file in the unit
# tests; the Prometheus server in the same package is not wanted.
want_prometheus=no
for i in "${!missing[@]}"; do
        if [ "${missing[$i]}" = prometheus ]; then
                want_prometheus=yes
                unset 'missing[i]'
        fi
done
if [ ${#missing[@]} -gt 0 ] || [ $want_prometheus = yes ]; then
        apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing: ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ $want_prometheus = yes ]; then
        echo "Installing: prometheus (for promtool; its server is neither started nor enabled)"
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
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
        if [ $made_policy_rc_d = yes ]; then
                rm -f "$policy_rc_d"
                trap - EXIT
        fi
        # Nor started at the next boot.
        if command -v systemctl >/dev/null; then
                systemctl disable --quiet prometheus.service 2>/dev/null || true
        fi
fi
