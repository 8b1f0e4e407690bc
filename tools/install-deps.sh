#!/usr/bin/env bash
# Installs what building, running and testing wolfram needs on Debian 12.
set -euo pipefail

packages=(
        meson ninja-build pkg-config gcc
        libsystemd-dev libinih-dev libjson-c-dev
        libdbus-1-dev libpolkit-gobject-1-dev
        dbus-daemon dbus-bin polkitd util-linux
        python3 python3-gi gir1.2-glib-2.0 libglib2.0-bin
        clang-format
        qemu-system-x86 busybox-static
)
# tools/vm/build-kernel.sh installs what building the test kernel needs.

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
