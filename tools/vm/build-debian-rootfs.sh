#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the Debian 12 root filesystem the system tier boots (systemd as PID
# 1, dbus-daemon and dbus-broker, polkitd, logind) with mmdebstrap, and caches
# it as a directory outside the repository, keyed by the package list and this
# script: a second run prints the cached path at once. The test users are made
# here too (they change /etc/passwd, which the per-run image must not touch):
#   alice  logs in on tty1 (the active console session)
#   bob    logs in on tty2 (a session on the seat, not active)
#   carol  has no session (runs from a system service)
#   dave   member of the group "wolfram" (the build's polkit rules grant it)
# root's password is "wolfram" (the polkit agent test types it).
# Installing dbus-broker made it the bus (/etc/systemd/system/dbus.service,
# an alias); that link goes, so the tree boots dbus-daemon and the image of
# the broker variant puts the link back. The daily timers go too.
# systemd from bookworm-backports (254, the first with MemoryKSM=) is
# downloaded, not installed, into /var/lib/wolfram-vm/backports: the case
# that needs it upgrades the booted system as an admin would, the others
# run on Debian 12's own systemd.
#
# Usage: tools/vm/build-debian-rootfs.sh     (as root on Debian 12)
# Prints the rootfs directory on stdout; progress on stderr.
# Environment: WOLFRAM_VM_CACHE (default /var/cache/wolfram-vm),
#              WOLFRAM_VM_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
source "$(dirname "$0")/lib.sh"

mirror=${WOLFRAM_VM_MIRROR:-http://deb.debian.org/debian}
security_mirror=${WOLFRAM_VM_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

# What the installed product needs at run time and what the cases drive it
# with. systemd-sysv makes systemd /sbin/init; libpam-systemd registers
# sessions with logind; pkexec brings pkttyagent (the text polkit agent);
# criu checkpoints hibernated processes (it brings python3, whose
# http.server is the hibernation case's small server); redis-server is
# the real application the hibernation case restores with its data (its
# own service is disabled: the case starts it).
packages=(
        systemd systemd-sysv libpam-systemd dbus dbus-broker polkitd pkexec
        util-linux procps libsystemd0 libinih1 libjson-c5 criu redis-server
)

# Downloaded from bookworm-backports, for the MemoryKSM= case to install.
backports=(systemd systemd-sysv libpam-systemd libsystemd0)

say() {
        echo "build-debian-rootfs: $*" >&2
}

hash=$({
        echo "bookworm ${packages[*]} backports ${backports[*]}"
        cat "$vm_dir/build-debian-rootfs.sh"
} | sha256sum | cut -c1-16)
out=$vm_cache/debian-$hash

if [ -f "$out/done" ]; then
        say "cached root filesystem: $out/rootfs"
        echo "$out/rootfs"
        exit 0
fi
[ "$(id -u)" -eq 0 ] || die "mmdebstrap makes a root-owned tree: run as root"
command -v mmdebstrap >/dev/null || die "no mmdebstrap: apt-get install mmdebstrap"
mkdir -p "$vm_cache"
exec 9>"$vm_cache/lock-debian"
flock 9
if [ -f "$out/done" ]; then
        echo "$out/rootfs"
        exit 0
fi
rm -rf "$out" "$vm_cache"/debian-*.tmp
tmp=$out.tmp
mkdir -p "$tmp"

say "mmdebstrap bookworm (${packages[*]})"
start=$(date +%s%3N)
# The customize hook runs with the new root as $1, from this machine.
# shellcheck disable=SC2016
if ! nice -n 19 mmdebstrap --variant=minbase --mode=root \
        --include="$(
                IFS=,
                echo "${packages[*]}"
        )" \
        --aptopt='Acquire::Languages "none"' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --customize-hook='chroot "$1" groupadd --system wolfram' \
        --customize-hook='chroot "$1" useradd -m -u 1001 -s /bin/bash alice' \
        --customize-hook='chroot "$1" useradd -m -u 1002 -s /bin/bash bob' \
        --customize-hook='chroot "$1" useradd -m -u 1003 -s /bin/bash carol' \
        --customize-hook='chroot "$1" useradd -m -u 1004 -s /bin/bash -G wolfram dave' \
        --customize-hook='echo root:wolfram | chroot "$1" chpasswd' \
        --customize-hook='echo wolfram-vm >"$1/etc/hostname"' \
        --customize-hook='rm -f "$1/etc/machine-id" && : >"$1/etc/machine-id"' \
        --customize-hook='rm -f "$1/etc/systemd/system/dbus.service"' \
        --customize-hook='rm -f "$1"/etc/systemd/system/timers.target.wants/*' \
        --customize-hook='rm -f "$1"/etc/systemd/system/multi-user.target.wants/redis-server.service' \
        --customize-hook="echo 'deb $mirror bookworm-backports main' >\"\$1/etc/apt/sources.list.d/backports.list\"" \
        --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb && chroot "$1" apt-get update -qq' \
        --customize-hook="chroot \"\$1\" apt-get install -qq --download-only -t bookworm-backports ${backports[*]}" \
        --customize-hook='mkdir -p "$1/var/lib/wolfram-vm/backports" && mv "$1"/var/cache/apt/archives/*.deb "$1/var/lib/wolfram-vm/backports/"' \
        --customize-hook='rm "$1/etc/apt/sources.list.d/backports.list"' \
        --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
        bookworm "$tmp/rootfs" \
        "deb $mirror bookworm main" \
        "deb $mirror bookworm-updates main" \
        "deb $security_mirror bookworm-security main" >"$tmp/mmdebstrap.log" 2>&1; then
        tail -n 40 "$tmp/mmdebstrap.log" >&2
        die "mmdebstrap failed (log: $tmp/mmdebstrap.log)"
fi
took=$(($(date +%s%3N) - start))
# shellcheck disable=SC2016
chroot "$tmp/rootfs" dpkg-query -W -f='${Package} ${Version}\n' >"$tmp/packages.txt"
ls "$tmp/rootfs/var/lib/wolfram-vm/backports" >"$tmp/backports.txt"
grep -q '^systemd_25[4-9]' "$tmp/backports.txt" || die "no systemd >= 254 came from bookworm-backports: $(tr '\n' ' ' <"$tmp/backports.txt")"
echo "$took" >"$tmp/mmdebstrap-ms"
touch "$tmp/done"
mv "$tmp" "$out"
say "root filesystem made in $((took / 1000)).$(printf '%03d' $((took % 1000))) s: $out/rootfs ($(du -sm "$out/rootfs" | cut -f1) MiB)"
echo "$out/rootfs"
