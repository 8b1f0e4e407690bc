#!/bin/sh
# SPDX-License-Identifier: MIT
#
# vm-page-idle: runs inside the test VM (busybox sh, as /scenario.sh) on a
# kernel with CONFIG_IDLE_PAGE_TRACKING. wolframd (without the bus) picks the
# page_idle backend by itself and runs the hot/cold scenario of the refs
# test on the host, plus one the refs backend cannot do: hot and cold pages
# interleaved in 64 KiB runs of one region. Asserted: only idle pages went
# to swap, the hot ones stayed resident, the hot thread took (almost) no
# major faults, every checksum is intact, and the engine stops cleanly with
# its pool removed. One PASS or FAIL line per check.
set -u

# pass, fail, uptime_s, start_workload, ask, num, stop_workload, check_idle_residency
# shellcheck source=tests/vm/initramfs/usr/lib/wolfram-vm/workload.sh
. /usr/lib/wolfram-vm/workload.sh

echo "page-idle: kernel $(uname -r)"
[ -w /sys/kernel/mm/page_idle/bitmap ] && pass "page_idle bitmap present" || fail "no page_idle bitmap"

start_workload inter 4 --size-mib=64 --content=text --seed=3 --hot-pattern=interleave --hot-run-kib=64
ask inter "" && pass "interleaved workload ready" || fail "interleaved workload did not start"
start_workload block 5 --size-mib=64 --content=text --seed=4 --hot-percent=50
ask block "" && pass "block workload ready" || fail "block workload did not start"

# --- the engine -----------------------------------------------------------
mkdir -p /run/wolfram /etc/wolfram
cat >/etc/wolfram/test.conf <<'CONF'
[Engine]
cycle_secs=10
idle_sample_secs=3
min_process_anon_mib=16
; Half of the interleaved region is idle: page it out, idle pages only.
cold_threshold=0.3
pageout_threshold=0.4
pageout_after_cycles=1
[KSM]
enabled=no
CONF
RUNTIME_DIRECTORY=/run/wolfram wolframd --no-bus --config=/etc/wolfram/test.conf 2>/tmp/engine.log &
engine_pid=$!

tries=0
while ! grep -q "^Cycle 1:" /tmp/engine.log; do
        tries=$((tries + 1))
        if [ "$tries" -gt 1800 ] || ! kill -0 "$engine_pid" 2>/dev/null; then
                fail "no cycle finished within 180 s"
                break
        fi
        sleep 0.1
done
cat /tmp/engine.log
grep -q "Idle tracking: page_idle" /tmp/engine.log && pass "the engine chose page_idle by itself" ||
        fail "the engine did not pick page_idle"

# --- outcomes ---------------------------------------------------------------
for w in inter block; do
        check_idle_residency "$w"
done

# --- stop -------------------------------------------------------------------
stop_workload inter
stop_workload block
kill -TERM "$engine_pid"
wait "$engine_pid"
rc=$?
[ "$rc" -eq 0 ] && pass "the engine stopped cleanly" || fail "the engine exited with $rc"
tail -5 /tmp/engine.log
if grep -q zram /proc/swaps; then fail "zram swap left: $(cat /proc/swaps)"; else pass "no zram swap left"; fi

echo "page-idle: $failures failure(s), done at $(uptime_s) s of uptime"
[ "$failures" -eq 0 ]
