#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Makes the ext4 image the system tier boots: the cached Debian 12 tree of
# build-debian-rootfs.sh, the build installed over it (meson install
# --destdir), wolfram-workload, the test driver and cases of
# tests/vm/system/ and its files/ tree, with the driver's unit, the tty2
# autologin and (variant broker) dbus-broker as the bus enabled. No loop
# mount: the tree is staged as hard links to the cache (new files only, so
# the cache is never written) and packed with mke2fs -d.
#
# Usage: tools/vm/make-system-image.sh [--variant daemon|broker] BUILD_DIR OUT.img
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
        echo "Usage: $0 [--variant daemon|broker|package] [--debs DIR] BUILD_DIR OUT.img" >&2
        exit 2
}
variant=daemon debs=''
while [ $# -gt 0 ]; do
        case $1 in
        --debs)
                [ $# -ge 2 ] || usage
                debs=$(cd "$2" && pwd)
                shift 2
                ;;
        --variant)
                [ $# -ge 2 ] || usage
                variant=$2
                shift 2
                ;;
        --variant=*)
                variant=${1#--variant=}
                shift
                ;;
        -h | --help) usage ;;
        -*) die "unknown option $1" ;;
        *) break ;;
        esac
done
[ $# -eq 2 ] || usage
build=$(cd "$1" && pwd) out=$2
case $variant in daemon | broker | package) ;; *) die "variant must be daemon, broker or package, not $variant" ;; esac
[ "$variant" != package ] || [ -n "$debs" ] || die "the package variant needs --debs DIR"
[ -f "$build/build.ninja" ] || die "$build is not a meson build directory"
[ "$(id -u)" -eq 0 ] || die "the image holds root-owned files: run as root"
src=$(cd "$vm_dir/../.." && pwd)
tests=$src/tests/vm/system

say() {
        echo "make-system-image: $*" >&2
}
ms() {
        date +%s%3N
}
took() {
        local d=$(($(ms) - $1))
        echo "$((d / 1000)).$(printf '%03d' $((d % 1000))) s"
}

t=$(ms)
rootfs=$("$vm_dir/build-debian-rootfs.sh")
say "root filesystem: $rootfs ($(took "$t"))"

# Same file system as the cache, for the hard links.
stage=$(mktemp -d "$vm_cache/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
overlay=$stage/overlay root=$stage/root

t=$(ms)
# The package variant installs nothing of the build: its case installs the
# .deb files with dpkg, as a user would.
if [ "$variant" = package ]; then
        install -d "$overlay/usr/local/lib/wolfram-vm/debs"
        cp "$debs"/*.deb "$overlay/usr/local/lib/wolfram-vm/debs/"
else
        DESTDIR=$overlay meson install -C "$build" --no-rebuild --quiet >"$stage/install.log" 2>&1 ||
                {
                        cat "$stage/install.log" >&2
                        die "meson install failed"
                }
fi
# Debian 12 has merged /usr: /lib, /bin and /sbin are links into it.
for d in bin sbin lib lib64; do
        if [ -d "$overlay/$d" ] && [ ! -L "$overlay/$d" ]; then
                mkdir -p "$overlay/usr/$d"
                cp -a "$overlay/$d/." "$overlay/usr/$d/"
                rm -rf "${overlay:?}/$d"
        fi
done
install -D -m 0755 "$build/tests/workload/wolfram-workload" "$overlay/usr/local/bin/wolfram-workload"
lib=$overlay/usr/local/lib/wolfram-vm
install -d "$lib/cases"
install -m 0755 "$tests/driver.sh" "$tests/session-agent.sh" "$tests/agent-run.sh" "$lib/"
install -m 0644 "$tests/lib.sh" "$src/tests/vm/initramfs/usr/lib/wolfram-vm/workload.sh" "$lib/"
install -m 0755 "$tests"/cases/*.sh "$lib/cases/"
install -D -m 0644 "$src/dbus/org.wolfram.Memory1.xml" "$lib/org.wolfram.Memory1.xml"
cp -r "$tests/files/." "$overlay/"
sd=$overlay/etc/systemd/system
mkdir -p "$sd/multi-user.target.wants" "$sd/getty.target.wants"
ln -s ../wolfram-vm-test.service "$sd/multi-user.target.wants/wolfram-vm-test.service"
ln -s /lib/systemd/system/getty@.service "$sd/getty.target.wants/getty@tty2.service"
# The console is the kernel's and systemd's log, nobody logs in there.
ln -s /dev/null "$sd/serial-getty@ttyS0.service"
# dbus-broker's unit says Alias=dbus.service: "systemctl enable dbus-broker".
[ "$variant" = broker ] && ln -s /lib/systemd/system/dbus-broker.service "$sd/dbus.service"
echo "$variant" >"$lib/variant"
say "overlay: the build, the driver and $(find "$tests/cases" -name '*.sh' | wc -l) cases ($(took "$t"))"

t=$(ms)
cp -al "$rootfs" "$root"
# The overlay adds files; one that is in the tree already is replaced by a
# new inode (never written through the hard link into the cache).
(cd "$overlay" && find . ! -type d) | while read -r f; do
        rm -f "$root/$f"
done
tar -C "$overlay" -cf - . | tar -C "$root" -xf - --no-overwrite-dir
for u in alice bob; do
        ids=$(awk -F: -v u="$u" '$1 == u { print $3 ":" $4 }' "$root/etc/passwd")
        chown "$ids" "$root/home/$u/.bash_profile"
done
say "staged ($(took "$t"))"

t=$(ms)
size_mib=$(($(du -sm "$root" | cut -f1) + 512))
rm -f "$out"
mke2fs -q -t ext4 -F -L wolfram-root -E root_owner=0:0 -d "$root" "$out" "${size_mib}M" ||
        die "mke2fs failed"
say "image $out: ${size_mib} MiB, $(du -sm "$out" | cut -f1) MiB used ($(took "$t"))"
