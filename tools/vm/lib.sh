# shellcheck shell=bash disable=SC2034
# SPDX-License-Identifier: MIT
# Sourced by the tools/vm scripts: where the test kernel lives and how its
# cache key is made. build-kernel.sh and kernel-path.sh must agree on both.

vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vm_cache=${WOLFRAM_VM_CACHE:-/var/cache/wolfram-vm}
vm_kernel_pkg=linux-source-6.12
vm_fragment=$vm_dir/page-idle.config

die() {
        echo "$(basename "$0"): $*" >&2
        exit 1
}

# vm_stop_qemu PID: stops the qemu this script started (SIGTERM, SIGKILL
# after 5 s) and reaps it; nothing when it has exited already.
vm_stop_qemu() {
        local pid=$1
        [ -n "$pid" ] || return 0
        if kill -0 "$pid" 2>/dev/null; then
                kill -TERM "$pid" 2>/dev/null || true
                for _ in $(seq 50); do
                        kill -0 "$pid" 2>/dev/null || break
                        sleep 0.1
                done
                kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
}

# The version of the kernel source the cache key names: the installed package
# if there is one, else what apt would install. Prints nothing when apt knows
# no such package (its lists were never fetched).
vm_kernel_pkg_version() {
        local v
        v=$(dpkg-query -W -f='${Status} ${Version}' "$vm_kernel_pkg" 2>/dev/null |
                sed -n 's/^install ok installed //p')
        if [ -z "$v" ]; then
                v=$(apt-cache policy "$vm_kernel_pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
                [ "$v" != "(none)" ] || v=
        fi
        echo "$v"
}

# The cache key: the config fragment, the source version and the script that
# turns them into a kernel. Any change to one of them means another kernel.
vm_kernel_hash() {
        local version=$1
        {
                echo "$vm_kernel_pkg=$version"
                cat "$vm_fragment" "$vm_dir/build-kernel.sh"
        } | sha256sum | cut -c1-16
}
