#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Makes the initramfs the test VM boots: busybox-static with an applet link
# for every command, an /init that mounts the API filesystems, runs the
# scenario named by wolfram.script= and prints "WOLFRAM-VM-RESULT: <rc>"
# before powering off, and the given binaries in /usr/bin with the shared
# libraries (and dynamic loader) ldd names for them, at the same paths as on
# this machine. --files DIR copies DIR's tree over the root (configs, the
# scenario).
#
# Usage: tools/vm/make-initramfs.sh [--files DIR] OUT.cpio.gz [BINARY...]
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
        echo "Usage: $0 [--files DIR] OUT.cpio.gz [BINARY...]" >&2
        exit 2
}

files_dir=
while [ $# -gt 0 ]; do
        case $1 in
        --files)
                [ $# -ge 2 ] || usage
                files_dir=$2
                shift 2
                ;;
        --files=*)
                files_dir=${1#--files=}
                shift
                ;;
        -h | --help) usage ;;
        -*) die "unknown option $1" ;;
        *) break ;;
        esac
done
[ $# -ge 1 ] || usage
out=$1
shift
[ -z "$files_dir" ] || [ -d "$files_dir" ] || die "--files $files_dir is not a directory"

busybox=/bin/busybox
[ -x "$busybox" ] || die "no $busybox: install busybox-static (tools/install-deps.sh does)"
# The dynamic busybox package provides the same path but needs libraries
# this archive would not have.
if ldd "$busybox" >/dev/null 2>&1; then
        die "$busybox is dynamically linked: install busybox-static instead of busybox"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/wolfram-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,root,proc,sys,dev,run,tmp}
cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
        [ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done

# Copies file to the same absolute path inside the archive.
copy_as_is() {
        mkdir -p "$stage$(dirname "$1")"
        cp -L "$1" "$stage$1"
}

for binary in "$@"; do
        if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
                die "$binary is not an executable file"
        fi
        cp -L "$binary" "$stage/usr/bin/$(basename "$binary")"
        # A static binary makes ldd fail with "not a dynamic executable".
        libs=$(ldd "$binary" 2>&1) || {
                grep -q "not a dynamic executable" <<<"$libs" && continue
                die "ldd $binary failed: $libs"
        }
        if grep -q "not found" <<<"$libs"; then
                die "$binary needs libraries this machine lacks:"$'\n'"$(grep "not found" <<<"$libs")"
        fi
        # "libc.so.6 => /lib/.../libc.so.6 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)";
        # linux-vdso has no file.
        while read -r lib; do
                [ -e "$stage$lib" ] || copy_as_is "$lib"
        done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$libs")
done

cat >"$stage/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$stage/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF

cat >"$stage/init" <<'EOF'
#!/bin/sh
# /init of the wolfram test VM (tools/vm/make-initramfs.sh).
export PATH=/usr/bin:/usr/sbin:/bin:/sbin HOME=/root
# The archive has no /dev/console (making device nodes needs privileges), so
# the kernel started us without stdout: take the console from devtmpfs.
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup || echo "init: cannot mount cgroup2, going on"

script=/scenario.sh
for arg in $(cat /proc/cmdline); do
        case $arg in
        wolfram.script=*) script=${arg#wolfram.script=} ;;
        esac
done

echo "WOLFRAM-VM-START: $script on Linux $(uname -r), $(nproc) CPUs, $(free -m | awk '/^Mem:/ { print $2 }') MiB"
if [ -f "$script" ]; then
        WOLFRAM_VM=1 sh "$script" </dev/null
        rc=$?
else
        echo "init: no scenario $script in the initramfs"
        rc=127
fi
sync
echo "WOLFRAM-VM-RESULT: $rc"
poweroff -f
# Only reached when poweroff failed: panic=-1 and -no-reboot end qemu.
exit "$rc"
EOF
chmod 0755 "$stage/init"

if [ -n "$files_dir" ]; then
        cp -R "$files_dir/." "$stage/"
fi

mkdir -p "$(dirname "$out")"
cpio_err=$stage.cpio-err
if ! (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | "$busybox" cpio -o -H newc -R 0:0 2>"$cpio_err") |
        gzip -6 >"$out.tmp"; then
        cat "$cpio_err" >&2
        rm -f "$cpio_err" "$out.tmp"
        die "cannot write the archive $out"
fi
rm -f "$cpio_err"
mv "$out.tmp" "$out"
echo "make-initramfs: $out ($(du -h "$out" | cut -f1), binaries: ${*:-none})" >&2
