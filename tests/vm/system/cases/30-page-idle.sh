# shellcheck shell=bash disable=SC2015,SC2154
# SPDX-License-Identifier: MIT
# The page_idle backend, chosen by the engine itself on a kernel with
# CONFIG_IDLE_PAGE_TRACKING, and the hot/cold scenario of
# tests/vm/page-idle.sh under systemd (the unit's sandbox included): a
# 32 MiB region half hot, half cold, and one with hot and cold interleaved
# in 64 KiB runs. Only idle pages go to swap, the hot ones stay resident,
# the checksums hold, for the memory of a desktop user and of a service's
# user alike. The drop-in 50-vm-test.conf makes cycles 10 s long.

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

# As the memory of a real machine is owned: the interleaved workload by
# alice, inside her logind session (a desktop user's application); the
# block one, with 20,000 mappings besides (a JVM's or a browser's many
# arenas), by a system service of its own with a dynamic user (a server's
# daemon, in system.slice).
workload_pipes inter 4
in_session alice "nohup wolfram-workload --size-mib=32 --content=text --seed=3 --hot-pattern=interleave \
        --hot-run-kib=64 <$WORKLOAD_DIR/inter.in >$WORKLOAD_DIR/inter.out 2>$WORKLOAD_DIR/inter.err & echo \$!"
inter_pid=$session_out
# And one whose name is no text: an invalid byte, a newline and what would
# be an emergency priority at the start of a journal line.
workload_pipes odd 6
in_session alice 'nohup wolfram-workload --size-mib=20 --content=text --seed=5 --name=$'"'"'bad\xff\n<0>x'"'"' \
        <'"$WORKLOAD_DIR"'/odd.in >'"$WORKLOAD_DIR"'/odd.out 2>'"$WORKLOAD_DIR"'/odd.err & echo $!'
odd_pid=$session_out
WORKLOAD_LAUNCHER="systemd-run --quiet --pipe --unit=wolfram-vm-block -p DynamicUser=yes" \
        start_workload block 5 --size-mib=32 --content=text --seed=4 --hot-percent=50 --mappings=20000
ask inter "" && pass "interleaved workload ready" || fail "interleaved workload did not start: $(cat /run/wolfram-vm/inter.err)"
ask block "" && pass "block workload ready" || fail "block workload did not start: $(cat /run/wolfram-vm/block.err)"
ask odd "" && pass "oddly named workload ready" || fail "oddly named workload did not start: $(cat /run/wolfram-vm/odd.err)"
block_main=$(systemctl show -P MainPID wolfram-vm-block.service)
owner_of() {
        printf '%s (uid %s, %s)' "$(ps -o user= -p "$1" | tr -d ' ')" "$(ps -o uid= -p "$1" | tr -d ' ')" \
                "$(sed -n 's/^0:://p' "/proc/$1/cgroup")"
}
if [ "$(ps -o user= -p "$inter_pid" 2>/dev/null | tr -d ' ')" = alice ] && grep -q 'session-.*\.scope' "/proc/$inter_pid/cgroup"; then
        pass "the interleaved workload is alice's, in her session: $(owner_of "$inter_pid")"
else
        fail "the interleaved workload ($inter_pid) is not alice's in her session: $(owner_of "$inter_pid")"
fi
if [ -n "$block_main" ] && [ "$block_main" != 0 ] && [ "$(ps -o uid= -p "$block_main" | tr -d ' ')" != 0 ] &&
        grep -q '^0::/system.slice/wolfram-vm-block.service$' "/proc/$block_main/cgroup"; then
        pass "the block workload is a service's dynamic user's: $(owner_of "$block_main")"
else
        fail "the block workload is not a service user's: ${block_main:-none} $(owner_of "${block_main:-0}")"
fi

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
# What the engine says it did for them, as an unprivileged user reads it.
procs=$(as_user carol wolframctl processes --sort=pid)
for p in "$inter_pid" "$block_main"; do
        row=$(printf '%s\n' "$procs" | awk -v p="$p" '$1 == p')
        case "$row" in
        *pageout*) pass "wolframctl processes: $row" ;;
        *) fail "wolframctl processes has no pageout row for $p: $procs" ;;
        esac
done
row=$(printf '%s\n' "$procs" | awk -v p="$odd_pid" '$1 == p')
case "$row" in
*'bad\xff\n<0>x'*) pass "wolframctl processes shows the odd name escaped: $row" ;;
*) fail "no escaped row for the oddly named workload $odd_pid: $(printf '%s\n' "$procs" | cat -v)" ;;
esac
if [ -z "$(journalctl -b --no-pager -q -u wolfram.service -p crit)" ]; then
        pass "no journal line of the engine at priority crit or above"
else
        fail "the engine's journal has lines at crit or above: $(journalctl -b --no-pager -q -u wolfram.service -p crit | head -n 3)"
fi
stop_workload odd
journalctl -b --no-pager -u wolfram.service | grep -q "Not allowed to advise" &&
        fail "the engine was not allowed to advise a process: $(journalctl -b --no-pager -u wolfram.service | grep 'Not allowed' | head -n 3)" ||
        pass "no 'Not allowed to advise' in the engine's journal"
stop_workload inter
stop_workload block
