#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The system tier: boots the installed build in a real Debian 12 (systemd as
# PID 1, the system bus, polkitd, logind) under qemu (TCG) on the test kernel
# of build-kernel.sh, once per bus: dbus-daemon ("daemon") and dbus-broker
# ("broker"). Inside, wolfram-vm-test.service runs tests/vm/system/driver.sh
# and its cases; their PASS/FAIL lines come back on the second serial port,
# the journal and other artifacts through a 9p share. Exits 0 when every
# variant reported no failure.
#
# Usage: tools/vm/run-system.sh [--variant daemon|broker|all] [--timeout S]
#                               [--out DIR] BUILD_DIR
#   --variant  which bus (default: all, one after the other)
#   --timeout  seconds per variant from qemu's start to the result (default 600)
#   --out      where the artifacts go, DIR/VARIANT/ (default: BUILD_DIR/vm-system)
#   --cases    only the cases whose names match this glob, e.g. '40-*'
#              (boot checks always run)
# Environment: WOLFRAM_VM_MEMORY (default 2G), WOLFRAM_VM_CPUS (default 2),
#              WOLFRAM_VM_KERNEL, and what lib.sh reads.
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
        echo "Usage: $0 [--variant daemon|broker|all|package] [--debs DIR] [--timeout S] [--out DIR] [--cases GLOB] BUILD_DIR" >&2
        exit 2
}
variants=(daemon broker) timeout_s=600 out_root='' cases='' debs=()
while [ $# -gt 0 ]; do
        case $1 in
        --variant | --timeout | --out | --cases | --debs)
                [ $# -ge 2 ] || usage
                case $1 in
                --variant) [ "$2" = all ] && variants=(daemon broker) || variants=("$2") ;;
                --timeout) timeout_s=$2 ;;
                --out) out_root=$2 ;;
                --cases) cases=$2 ;;
                --debs) debs=(--debs "$2") ;;
                esac
                shift 2
                ;;
        -h | --help) usage ;;
        -*) die "unknown option $1" ;;
        *) break ;;
        esac
done
[ $# -eq 1 ] || usage
build=$(cd "$1" && pwd)
out_root=${out_root:-$build/vm-system}
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die "--timeout wants seconds"
qemu=$(command -v qemu-system-x86_64) || die "no qemu-system-x86_64: install qemu-system-x86"
kernel=${WOLFRAM_VM_KERNEL:-$("$vm_dir/kernel-path.sh")}

ms() {
        date +%s%3N
}
secs() {
        echo "$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wolfram-vm-system.XXXXXX")
qemu_pid=
stop_qemu() {
        vm_stop_qemu "$qemu_pid"
        qemu_pid=
}
trap 'stop_qemu; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_variant VARIANT: image, boot, results. Returns 0 when the guest
# reported no failure.
run_variant() {
        local v=$1 t0 t image out results console rc='' ready_ms='' shown=0 n line
        out=$out_root/$v
        rm -rf "$out"
        mkdir -p "$out/share"
        image=$tmp/$v.img
        t0=$(ms)
        nice -n 19 "$vm_dir/make-system-image.sh" --variant "$v" "${debs[@]}" "$build" "$image" 2>&1 | tee "$out/image.log" >&2
        [ "${PIPESTATUS[0]}" -eq 0 ] || return 1
        local image_ms=$(($(ms) - t0))

        results=$out/results.log console=$out/console.log
        : >"$results"
        : >"$console"
        t=$(ms)
        # mem-merge=off: QEMU would mark the guest's RAM mergeable, and the host's
        # ksmd, when a test or the benchmark on the host runs KSM, would then
        # scan hundreds of MiB of it before the pages it was started for.
        nice -n 19 "$qemu" -accel tcg,thread=single -cpu max -machine mem-merge=off \
                -m "${WOLFRAM_VM_MEMORY:-2G}" -smp "${WOLFRAM_VM_CPUS:-2}" \
                -nographic -nodefaults -no-reboot -monitor none \
                -serial "file:$console" -serial "file:$results" \
                -kernel "$kernel" \
                -append "root=/dev/vda rw rootfstype=ext4 console=ttyS0 panic=-1 quiet loglevel=4 wolfram.variant=$v${cases:+ wolfram.cases=$cases}" \
                -drive "file=$image,format=raw,if=virtio,cache=unsafe" \
                -virtfs "local,path=$out/share,mount_tag=wolfram,security_model=none,id=wolfram" \
                </dev/null >"$out/qemu.out" 2>&1 &
        qemu_pid=$!
        local deadline=$((t + timeout_s * 1000))
        while :; do
                # Show the guest's lines as they come.
                n=$(wc -l <"$results")
                if [ "$n" -gt "$shown" ]; then
                        tr -d '\r' <"$results" | sed -n "$((shown + 1)),${n}p" | while IFS= read -r line; do
                                echo "[$v] $line"
                        done
                        shown=$n
                fi
                if [ -z "$ready_ms" ] && grep -q 'WOLFRAM-VM-READY' "$results"; then
                        ready_ms=$(($(ms) - t))
                fi
                rc=$(tr -d '\r' <"$results" | sed -n 's/^WOLFRAM-VM-RESULT: \([0-9][0-9]*\)$/\1/p' | tail -n 1)
                [ -z "$rc" ] || break
                kill -0 "$qemu_pid" 2>/dev/null || break
                [ "$(ms)" -lt "$deadline" ] || break
                sleep 0.5
        done
        local run_ms=$(($(ms) - t))
        if [ -n "$rc" ]; then
                # The guest powers off by itself; wait for it a little.
                for _ in $(seq 100); do
                        kill -0 "$qemu_pid" 2>/dev/null || break
                        sleep 0.1
                done
        fi
        stop_qemu
        tr -d '\r' <"$console" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc/\n/g' >"$out/console.txt"
        cp -r "$out/share/." "$out/" 2>/dev/null && rm -rf "$out/share"
        {
                echo "variant $v: image $(secs "$image_ms") s, qemu start to ready $([ -n "$ready_ms" ] && echo "$(secs "$ready_ms") s" || echo never)," \
                        "to result $(secs "$run_ms") s, total $(secs $((image_ms + run_ms))) s"
        } | tee "$out/times.txt"
        if [ -z "$rc" ]; then
                echo "run-system: FAILED: variant $v: no result line within ${timeout_s} s (console: $out/console.txt)" >&2
                tail -n 40 "$out/console.txt" >&2
                return 1
        fi
        if [ "$rc" -ne 0 ]; then
                echo "run-system: FAILED: variant $v: $rc failure(s); journal: $out/journal.txt" >&2
                return 1
        fi
        echo "run-system: variant $v passed; artifacts in $out"
}

failed=()
for v in "${variants[@]}"; do
        run_variant "$v" || failed+=("$v")
done
if [ ${#failed[@]} -gt 0 ]; then
        echo "run-system: FAILED: ${failed[*]}" >&2
        exit 1
fi
echo "run-system: all variants passed (${variants[*]})"
