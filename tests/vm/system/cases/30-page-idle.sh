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

# Workloads driven through FIFOs kept open read-write (fd 4 and 5).
declare -A wl_pid wl_n
start_workload() {
        local name=$1
        shift
        rm -f "/run/wolfram-vm/$name.in"
        mkfifo "/run/wolfram-vm/$name.in"
        : >"/run/wolfram-vm/$name.out"
        if [ "$name" = inter ]; then exec 4<>/run/wolfram-vm/inter.in; else exec 5<>/run/wolfram-vm/block.in; fi
        wolfram-workload "$@" <"/run/wolfram-vm/$name.in" >"/run/wolfram-vm/$name.out" 2>"/run/wolfram-vm/$name.err" &
        wl_pid[$name]=$!
        wl_n[$name]=0
}
# ask NAME COMMAND: sends a command (none: the ready line), waits for the
# answer (120 s), sets $reply.
ask() {
        local name=$1 n tries=0
        if [ -n "$2" ]; then
                if [ "$name" = inter ]; then echo "$2" >&4; else echo "$2" >&5; fi
        fi
        n=$((wl_n[$name] + 1))
        wl_n[$name]=$n
        while [ "$(wc -l <"/run/wolfram-vm/$name.out")" -lt "$n" ]; do
                tries=$((tries + 1))
                [ "$tries" -gt 1200 ] && {
                        reply=
                        return 1
                }
                sleep 0.1
        done
        reply=$(sed -n "${n}p" "/run/wolfram-vm/$name.out")
}
num() {
        sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p" <<<"$reply"
}
cycles() {
        prop CycleCount | awk '{ print $2 }'
}
cycles_past() {
        [ "$(cycles)" -ge "$1" ]
}

start_workload inter --size-mib=32 --content=text --seed=3 --hot-pattern=interleave --hot-run-kib=64
start_workload block --size-mib=32 --content=text --seed=4 --hot-percent=50
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
        ask "$w" residency
        note "$w residency $reply"
        hot_swapped=$(num hot_swapped) hot_present=$(num hot_present)
        cold_swapped=$(num cold_swapped) cold_present=$(num cold_present)
        total_cold=$((${cold_swapped:-0} + ${cold_present:-0}))
        if [ -n "$hot_swapped" ] && [ "$hot_swapped" -eq 0 ] && [ "$hot_present" -gt 0 ]; then
                pass "$w: no hot page in swap ($hot_present present)"
        else
                fail "$w: hot pages in swap: $reply"
        fi
        if [ -n "$cold_swapped" ] && [ "$total_cold" -gt 0 ] && [ $((cold_swapped * 10)) -ge $((total_cold * 9)) ]; then
                pass "$w: $cold_swapped of $total_cold idle pages in swap"
        else
                fail "$w: idle pages not paged out: $reply"
        fi
        ask "$w" faults
        majflt=$(num hot_majflt)
        if [ -n "$majflt" ] && [ "$majflt" -le 16 ]; then
                pass "$w: hot thread major faults $majflt"
        else
                fail "$w: hot thread faulted: $reply"
        fi
        ask "$w" verify
        grep -q '"ok":true' <<<"$reply" && pass "$w: checksum intact" || fail "$w: verify said $reply"
done
# "exit" has no answer: send it, do not wait for one.
echo exit >&4
echo exit >&5
for w in inter block; do
        wait "${wl_pid[$w]}" 2>/dev/null
done
exec 4>&- 5>&-
