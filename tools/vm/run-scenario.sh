#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Runs a busybox sh scenario inside the test VM with the given binaries (and
# their libraries) in /usr/bin: finds the cached kernel, makes the initramfs,
# boots it and exits with the scenario's status. What the VM tests in
# tests/vm/meson.build call.
#
# Usage: tools/vm/run-scenario.sh [--initramfs OUT.cpio.gz] [--files DIR]
#                                 [--timeout SECONDS] [--env NAME=VALUE]...
#                                 SCENARIO [BINARY...]
#   --initramfs  where to keep the initramfs (default: a temporary file)
#   --files      a tree copied over the VM's root (configs, fixtures)
#   --timeout    seconds until the result line must be there (default 300)
#   --env        a variable the scenario starts with (the host's
#                environment does not reach the VM); NAME is upper case,
#                VALUE letters, digits, spaces and "_.,:/-"
# Environment: WOLFRAM_VM_KERNEL (a kernel to boot instead of the cached
# one), and what run-vm.sh and lib.sh read.
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
        echo "Usage: $0 [--initramfs OUT.cpio.gz] [--files DIR] [--timeout SECONDS] [--env NAME=VALUE]..." \
                "SCENARIO [BINARY...]" >&2
        exit 2
}

initramfs='' files=() timeout_s=300 envs=()
while [ $# -gt 0 ]; do
        case $1 in
        --initramfs | --files | --timeout | --env)
                [ $# -ge 2 ] || usage
                case $1 in
                --initramfs) initramfs=$2 ;;
                --files) files=(--files "$2") ;;
                --timeout) timeout_s=$2 ;;
                --env)
                        [[ $2 =~ ^[A-Z_][A-Z0-9_]*=[A-Za-z0-9_.,:/\ -]*$ ]] ||
                                die "--env $2: not NAME=VALUE (NAME upper case; VALUE letters, digits, spaces, _.,:/-)"
                        envs+=("$2")
                        ;;
                esac
                shift 2
                ;;
        -h | --help) usage ;;
        -*) die "unknown option $1" ;;
        *) break ;;
        esac
done
[ $# -ge 1 ] || usage
scenario=$1
shift

kernel=${WOLFRAM_VM_KERNEL:-}
[ -n "$kernel" ] || kernel=$("$vm_dir/kernel-path.sh")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wolfram-scenario.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
[ -n "$initramfs" ] || initramfs=$tmp/initramfs.cpio.gz
if [ ${#envs[@]} -gt 0 ]; then
        # The scenario with the variables set after its first line (#!).
        [ -f "$scenario" ] || die "no scenario $scenario"
        {
                head -n 1 "$scenario"
                for e in "${envs[@]}"; do
                        printf "export %s='%s'\n" "${e%%=*}" "${e#*=}"
                done
                tail -n +2 "$scenario"
        } >"$tmp/$(basename "$scenario")"
        scenario=$tmp/$(basename "$scenario")
fi
"$vm_dir/make-initramfs.sh" "${files[@]}" "$initramfs" "$@"
"$vm_dir/run-vm.sh" "$kernel" "$initramfs" "$scenario" "$timeout_s"
