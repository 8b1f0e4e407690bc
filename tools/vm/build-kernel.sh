#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the test kernel the VM tests boot: Debian's kernel source with
# x86_64_defconfig, kvm_guest.config and tools/vm/page-idle.config (page_idle,
# zram, KSM, virtio ...). The result is cached outside the repository, keyed
# by the fragment, the source package version and these scripts, so a second
# run is instant. Prints the path of the bzImage on stdout; progress goes to
# stderr and the full build output to a log in the cache.
#
# Usage: tools/vm/build-kernel.sh        (as root on Debian 12)
# Environment: WOLFRAM_VM_CACHE (default /var/cache/wolfram-vm),
#              WOLFRAM_VM_JOBS (default: the number of CPUs).
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
source "$(dirname "$0")/lib.sh"

# What building a bzImage from the Debian tarball needs; libelf-dev is for
# objtool, libssl-dev for the certificate tools.
build_packages=(
        "$vm_kernel_pkg" make gcc libc6-dev bc bison flex libelf-dev libssl-dev xz-utils
)

say() {
        echo "build-kernel: $*" >&2
}

version=$(vm_kernel_pkg_version)
if [ -z "$version" ]; then
        [ "$(id -u)" -eq 0 ] || die "apt knows no $vm_kernel_pkg; run as root so that apt-get update can fetch the lists"
        say "apt knows no $vm_kernel_pkg yet, running apt-get update"
        apt-get update -qq >&2 || die "apt-get update failed"
        version=$(vm_kernel_pkg_version)
        [ -n "$version" ] || die "no package $vm_kernel_pkg in the apt sources (Debian 12 bookworm has it)"
fi
hash=$(vm_kernel_hash "$version")
out=$vm_cache/kernel-$hash

if [ -f "$out/bzImage" ]; then
        say "cached kernel for $vm_kernel_pkg $version: $out"
        echo "$out/bzImage"
        exit 0
fi

[ "$(id -u)" -eq 0 ] || die "building the kernel installs packages: run as root"
mkdir -p "$vm_cache" || die "cannot create the cache directory $vm_cache"

# Two runs at once (two CI jobs, a developer and CI) would build twice into
# the same directory: the second waits and then finds the first's result.
exec 9>"$vm_cache/lock"
flock 9
if [ -f "$out/bzImage" ]; then
        say "kernel built meanwhile by another run: $out"
        echo "$out/bzImage"
        exit 0
fi

# Under the lock no other build runs: what an interrupted or failed build
# left behind (a few GiB of objects) goes.
rm -rf "$vm_cache"/build-* "$vm_cache"/kernel-*.tmp

log=$vm_cache/build-$hash.log
work=$vm_cache/build-$hash
: >"$log"
start=$(date +%s)

# Runs one step with its output in the log; on failure shows the log's tail,
# since the full output would drown a CI console.
step() {
        local what=$1 step_start
        shift
        say "$what"
        echo "=== $what: $*" >>"$log"
        step_start=$(date +%s)
        if ! "$@" >>"$log" 2>&1; then
                echo "build-kernel: FAILED: $what (full log: $log); last lines:" >&2
                tail -n 60 "$log" >&2
                exit 1
        fi
        echo "=== took $(($(date +%s) - step_start)) s" >>"$log"
}

missing=()
for p in "${build_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        install=()
        for p in "${missing[@]}"; do
                # The source at the version the cache key names, not whatever
                # a later apt-get update would bring.
                if [ "$p" = "$vm_kernel_pkg" ]; then install+=("$p=$version"); else install+=("$p"); fi
        done
        step "Installing ${missing[*]}" apt-get update -qq
        step "Installing ${missing[*]} (apt-get install)" \
                env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${install[@]}"
fi

tarball=$(dpkg -L "$vm_kernel_pkg" | grep -E '^/usr/src/linux-source-[^/]*\.tar\.(xz|bz2|gz)$' | head -n 1) ||
        die "$vm_kernel_pkg installs no /usr/src/linux-source-*.tar.*"

rm -rf "$work"
mkdir -p "$work/src"
src=$work/src
step "Unpacking $tarball" tar -xf "$tarball" -C "$src" --strip-components=1

# kvm_guest.config brings the virtio and paravirt drivers qemu offers.
configure_kernel() {
        make -C "$src" x86_64_defconfig &&
                make -C "$src" kvm_guest.config &&
                (cd "$src" && scripts/kconfig/merge_config.sh -m .config "$vm_fragment") &&
                make -C "$src" olddefconfig
}
step "Configuring (x86_64_defconfig + kvm_guest.config + page-idle.config)" configure_kernel

# merge_config only warns when Kconfig drops a symbol (a missing dependency,
# a renamed option); a kernel without page_idle would pass the build and
# fail every test, so a dropped line stops here.
dropped=()
while IFS= read -r line; do
        case "$line" in
        CONFIG_*=*) grep -qxF "$line" "$src/.config" || dropped+=("$line") ;;
        "# CONFIG_"*" is not set")
                sym=${line#\# }
                sym=${sym%% *}
                ! grep -q "^$sym=" "$src/.config" || dropped+=("$line")
                ;;
        esac
done <"$vm_fragment"
if [ ${#dropped[@]} -gt 0 ]; then
        echo "build-kernel: FAILED: the final .config lacks these lines of $vm_fragment:" >&2
        printf '  %s\n' "${dropped[@]}" >&2
        echo "  (see $src/.config and $log)" >&2
        exit 1
fi

jobs=${WOLFRAM_VM_JOBS:-$(nproc)}
step "Building bzImage of $vm_kernel_pkg $version with -j$jobs (about 10 minutes on 2 cores)" \
        make -C "$src" -j"$jobs" bzImage

mkdir "$out.tmp"
cp "$src/arch/x86/boot/bzImage" "$out.tmp/bzImage"
cp "$src/.config" "$out.tmp/config"
cp "$vm_fragment" "$out.tmp/page-idle.config"
echo "$vm_kernel_pkg $version" >"$out.tmp/source-version"
end=$(date +%s)
echo "=== built in $((end - start)) s" >>"$log"
cp "$log" "$out.tmp/build.log"
mv "$out.tmp" "$out"
rm -rf "$work" "$log"

say "built $vm_kernel_pkg $version in $((end - start)) s: $out ($(du -h "$out/bzImage" | cut -f1) bzImage)"
echo "$out/bzImage"
