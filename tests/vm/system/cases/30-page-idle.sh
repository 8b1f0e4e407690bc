# shellcheck shell=bash disable=SC2015,SC2154
# SPDX-License-Identifier: MIT
# The page_idle backend, chosen by the engine itself on a kernel with
# CONFIG_IDLE_PAGE_TRACKING, and the hot/cold scenario of
# tests/vm/page-idle.sh under systemd (the unit's sandbox included): a
# 32 MiB region half hot, half cold, and one with hot and cold interleaved
# in 64 KiB runs. Only idle pages go to swap, the hot ones stay resident,
# the checksums hold. The drop-in 50-vm-test.conf makes cycles 10 s long.

if [ "$(prop IdleBackend)" = 's "page_idle"' ]; then
        pass "IdleBackend is page_idle"
else
        fail "IdleBackend is $(prop IdleBackend)"
fi
if journalctl -b --no-pager -u wolfram.service | grep -q "Idle tracking: page_idle"; then
        pass "the engine logged: Idle tracking: page_idle"
else
        fail "no 'Idle tracking: page_idle' in the engine's journal"
fi

# start_workload, ask, num, stop_workload, check_idle_residency
WORKLOAD_DIR=/run/wolfram-vm
# shellcheck source=tests/vm/initramfs/usr/lib/wolfram-vm/workload.sh
. "$here/workload.sh"
cycles() {
        prop CycleCount | awk '{ print $2 }'
}
cycles_past() {
        [ "$(cycles)" -ge "$1" ]
}

start_workload inter 4 --size-mib=32 --content=text --seed=3 --hot-pattern=interleave --hot-run-kib=64
start_workload block 5 --size-mib=32 --content=text --seed=4 --hot-percent=50
ask inter "" && pass "interleaved workload ready" || fail "interleaved workload did not start: $(cat /run/wolfram-vm/inter.err)"
ask block "" && pass "block workload ready" || fail "block workload did not start: $(cat /run/wolfram-vm/block.err)"

# A cycle that starts after the workloads are ready and ends.
c0=$(cycles)
t=$(date +%s)
if wait_for 120 cycles_past $((c0 + 2)); then
        pass "cycles $((c0 + 1)) and $((c0 + 2)) finished ($(($(date +%s) - t)) s)"
else
        fail "no two cycles after cycle $c0 within 120 s (at $(cycles))"
fi
journalctl -b --no-pager -u wolfram.service | grep '^.*Cycle [0-9]*:' | tail -n 3 | while read -r l; do note "$l"; done

for w in inter block; do
        check_idle_residency "$w"
done
stop_workload inter
stop_workload block
