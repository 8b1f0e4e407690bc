# shellcheck shell=bash disable=SC2015,SC2154
# SPDX-License-Identifier: MIT
# A killed engine leaves swap working and systemd's restart adopts the pool:
# start, page 32 MiB of a workload into the pool, systemctl kill -s KILL;
# the pool stays swap with the pages in it, Restart=on-failure starts a new
# engine which adopts the same device; the workload's checksum holds; the
# final stop removes the pool and restores the boot values (saved by the
# engine that was killed).

systemctl start wolfram.service
check "wolfram.service started again" is_active
# Type=dbus: the unit is up once the name is taken, which may come before
# the pool is.
has_pool() {
        [ -n "$(zram_swaps)" ]
}
wait_for 30 has_pool || fail "no pool 30 s after the start: $(swaps_raw)"
pool=$(zram_swaps)
pid1=$(main_pid)
restarts0=$(systemctl show -P NRestarts wolfram.service)

rm -f /run/wolfram-vm/kill.in
mkfifo /run/wolfram-vm/kill.in
exec 6<>/run/wolfram-vm/kill.in
wolfram-workload --size-mib=32 --content=text --seed=7 </run/wolfram-vm/kill.in >/run/wolfram-vm/kill.out 2>&1 &
kill_wl=$!
# lines N: the workload has answered N lines (the first: ready).
lines() {
        [ "$(wc -l </run/wolfram-vm/kill.out)" -ge "$1" ]
}
wait_for 60 lines 1
echo pageout >&6
wait_for 60 lines 2
swap_kib=$(awk '/^VmSwap:/ { print $2 }' "/proc/$kill_wl/status")
if [ "${swap_kib:-0}" -ge 16384 ]; then
        pass "the workload's memory is in the pool (VmSwap $swap_kib KiB, pool $(tr '\n' ' ' <<<"$pool"))"
else
        fail "the workload did not reach the pool: VmSwap ${swap_kib:-?} KiB, $(tail -n 1 /run/wolfram-vm/kill.out)"
fi

systemctl kill -s KILL wolfram.service
sleep 0.5
note "swaps after SIGKILL: $(swaps_raw)"
if [ -n "$pool" ] && [ "$(zram_swaps)" = "$pool" ]; then
        pass "after SIGKILL the pool is still swap: $(tr '\n' ' ' <<<"$pool")"
else
        fail "after SIGKILL: swaps $(zram_swaps | tr '\n' ' '), pool was $(tr '\n' ' ' <<<"$pool")"
fi
new_main() {
        is_active && [ "$(main_pid)" != "$pid1" ] && [ "$(main_pid)" != 0 ] && busctl status "$BUS_NAME" >/dev/null 2>&1
}
if wait_for 60 new_main; then
        pass "systemd restarted the engine (pid $pid1 -> $(main_pid), NRestarts $restarts0 -> $(systemctl show -P NRestarts wolfram.service))"
else
        fail "no restart within 60 s: $(systemctl is-active wolfram.service), MainPID $(main_pid)"
fi
if journalctl -b --no-pager -u wolfram.service _PID="$(main_pid)" | grep -q "Adopted zram"; then
        pass "the new engine logged: $(journalctl -b --no-pager -u wolfram.service _PID="$(main_pid)" -o cat | grep 'Adopted zram' | head -n 1)"
else
        fail "the new engine did not log an adoption: $(journalctl -b --no-pager -u wolfram.service _PID="$(main_pid)" -o cat | head -n 8 | tr '\n' ';')"
fi
if [ "$(zram_swaps)" = "$pool" ]; then
        pass "still one pool, the same device: $(tr '\n' ' ' <<<"$pool")"
else
        fail "swaps after the restart: $(zram_swaps | tr '\n' ' ') (was $(tr '\n' ' ' <<<"$pool"))"
fi
devices=$(prop PoolDevices)
for d in $pool; do
        grep -q "\"$d\"" <<<"$devices" && pass "PoolDevices has $d: $devices" || fail "PoolDevices is $devices, not $d"
done
echo verify >&6
wait_for 60 lines 3
if tail -n 1 /run/wolfram-vm/kill.out | grep -q '"ok":true'; then
        pass "the workload's checksum holds"
else
        fail "verify: $(tail -n 1 /run/wolfram-vm/kill.out)"
fi
echo exit >&6
wait "$kill_wl" 2>/dev/null
exec 6>&-

systemctl stop wolfram.service
if [ -z "$(zram_swaps)" ] && [ "$(systemctl is-active wolfram.service)" = inactive ]; then
        pass "stop after the restart: no zram swap left"
else
        fail "stop after the restart: $(systemctl is-active wolfram.service), swaps $(zram_swaps | tr '\n' ' ')"
fi
knobs >/run/wolfram-vm/knobs.final
if cmp -s /run/wolfram-vm/knobs.boot /run/wolfram-vm/knobs.final; then
        pass "kernel knobs and KSM back at their boot values after kill, restart and stop"
else
        fail "not restored after the restart: $(diff /run/wolfram-vm/knobs.boot /run/wolfram-vm/knobs.final | grep '^[<>]' | tr '\n' ';')"
fi
