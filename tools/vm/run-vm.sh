#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Boots the test kernel with an initramfs from make-initramfs.sh under qemu
# (TCG: no KVM is needed), runs SCRIPT inside as /scenario.sh and exits with
# its status. SCRIPT is a file on this machine; it travels as a second cpio
# archive appended to the initramfs, which the kernel unpacks over the first.
# The serial console goes to a log that is printed when the run ends; no
# "WOLFRAM-VM-RESULT:" line within TIMEOUT seconds (default 300) is a failure.
#
# Usage: tools/vm/run-vm.sh KERNEL INITRAMFS SCRIPT [TIMEOUT]
# Environment: WOLFRAM_VM_MEMORY (default 2G), WOLFRAM_VM_CPUS (default 2),
#              WOLFRAM_VM_LOG (keep the console log at this path).
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
source "$(dirname "$0")/lib.sh"

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
        echo "Usage: $0 KERNEL INITRAMFS SCRIPT [TIMEOUT]" >&2
        exit 2
fi
kernel=$1 initramfs=$2 script=$3 timeout_s=${4:-300}
[ -f "$kernel" ] || die "no kernel $kernel (tools/vm/build-kernel.sh builds one)"
[ -f "$initramfs" ] || die "no initramfs $initramfs (tools/vm/make-initramfs.sh makes one)"
[ -f "$script" ] || die "no scenario $script"
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die "TIMEOUT must be a positive number of seconds, not $timeout_s"
qemu=$(command -v qemu-system-x86_64) || die "no qemu-system-x86_64: install qemu-system-x86 (tools/install-deps.sh does)"
[ -x /bin/busybox ] || die "no /bin/busybox: install busybox-static (tools/install-deps.sh does)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wolfram-vm.XXXXXX")
qemu_pid=
cleanup() {
        vm_stop_qemu "$qemu_pid"
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$tmp/overlay"
cp "$script" "$tmp/overlay/scenario.sh"
chmod 0755 "$tmp/overlay/scenario.sh"
(cd "$tmp/overlay" && echo scenario.sh | /bin/busybox cpio -o -H newc -R 0:0 2>/dev/null) | gzip >"$tmp/scenario.cpio.gz"
cat "$initramfs" "$tmp/scenario.cpio.gz" >"$tmp/initrd"

log=${WOLFRAM_VM_LOG:-$tmp/console.log}
: >"$log"
start_ms=$(date +%s%3N)
# mem-merge=off: QEMU would mark the guest's RAM mergeable, and the host's
# ksmd, when a test or the benchmark on the host runs KSM, would then
# scan hundreds of MiB of it before the pages it was started for.
"$qemu" -accel tcg,thread=single -cpu max -machine mem-merge=off \
        -m "${WOLFRAM_VM_MEMORY:-2G}" -smp "${WOLFRAM_VM_CPUS:-2}" \
        -nographic -nodefaults -no-reboot \
        -serial "file:$log" -monitor none \
        -kernel "$kernel" -initrd "$tmp/initrd" \
        -append "console=ttyS0 panic=-1 quiet rdinit=/init wolfram.script=/scenario.sh" \
        </dev/null >"$tmp/qemu.out" 2>&1 &
qemu_pid=$!

# The marker, tolerant of the console's \r and of kernel messages printed
# onto the same line.
result_rc() {
        tr -d '\r' <"$log" | sed -n 's/.*WOLFRAM-VM-RESULT: \([0-9][0-9]*\).*/\1/p' | tail -n 1
}

rc=
deadline=$((start_ms + timeout_s * 1000))
while :; do
        rc=$(result_rc)
        [ -z "$rc" ] || break
        kill -0 "$qemu_pid" 2>/dev/null || break
        [ "$(date +%s%3N)" -lt "$deadline" ] || break
        sleep 0.2
done
elapsed_ms=$(($(date +%s%3N) - start_ms))
elapsed="$((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000)))"

# After the marker the guest powers off at once; a guest that does not is
# stopped, it has said all it had to say.
if [ -n "$rc" ]; then
        for _ in $(seq 50); do
                kill -0 "$qemu_pid" 2>/dev/null || break
                sleep 0.1
        done
fi
qemu_alive=false
kill -0 "$qemu_pid" 2>/dev/null && qemu_alive=true
print_console() {
        echo "----- console of $(basename "$script") -----"
        # Without SeaBIOS's terminal resets, which garble a CI log.
        tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc/\n/g'
        echo "----- end of console -----"
        if [ -s "$tmp/qemu.out" ]; then
                echo "----- qemu output -----"
                cat "$tmp/qemu.out"
        fi
}

if [ -z "$rc" ]; then
        print_console >&2
        if $qemu_alive; then
                echo "run-vm: FAILED: no WOLFRAM-VM-RESULT line within ${timeout_s} s; qemu (pid $qemu_pid) killed" >&2
        else
                wait "$qemu_pid" && qemu_rc=0 || qemu_rc=$?
                qemu_pid=
                echo "run-vm: FAILED: qemu exited (status $qemu_rc) after $elapsed s without a WOLFRAM-VM-RESULT line" >&2
        fi
        exit 1
fi

print_console
if [ "$rc" -ne 0 ]; then
        echo "run-vm: FAILED: $(basename "$script") exited with status $rc (boot to result: $elapsed s)" >&2
        # Not the scenario's status itself: 77 would read as a skip to meson.
        exit 1
fi
echo "run-vm: $(basename "$script") passed (boot to result: $elapsed s)"
