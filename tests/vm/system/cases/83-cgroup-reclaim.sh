# shellcheck shell=bash disable=SC2015,SC2154
# SPDX-License-Identifier: MIT
# Hot pages among cold ones on a kernel without page_idle (issue 16): the
# engine with the refs backend, as on Debian's own kernels, hands a mixed
# region to its cgroup's LRU (cgroup_reclaim, wolfram.conf(5)) under the
# unit's own sandbox. A service's 64 MiB, every other 4 KiB page read
# every 100 ms: the cold half goes to swap, the hot half stays, the hot
# reads take (almost) no major fault, every byte holds. And the
# exclusions hold: a scope holding an excluded process beside a candidate
# is never asked through memory.reclaim (which would reach both); its
# candidate is paged out region by region, the excluded one not at all.

WORKLOAD_DIR=/run/wolfram-vm
# shellcheck source=tests/vm/initramfs/usr/lib/wolfram-vm/workload.sh
. "$here/workload.sh"
is_active || systemctl start wolfram.service

# The refs backend, as where page_idle is missing; a name to exclude.
cat >/etc/wolfram/wolfram.conf.d/60-cgroup-reclaim.conf <<'CONF'
[Engine]
idle_backend=refs
[Exclude]
excluded_names=keepme
CONF
systemctl restart wolfram.service
if [ "$(prop IdleBackend)" = 's "refs"' ]; then
        pass "IdleBackend is refs"
else
        fail "IdleBackend is $(prop IdleBackend) with idle_backend=refs"
fi
since=$(date '+%Y-%m-%d %H:%M:%S')

# A service with a dynamic user: one 64 MiB mapping, hot and cold pages
# interleaved 4 KiB by 4 KiB.
WORKLOAD_LAUNCHER="systemd-run --quiet --pipe --unit=wolfram-vm-lru -p DynamicUser=yes" \
        start_workload lru 7 --size-mib=64 --content=text --seed=83 --hot-percent=50 --hot-pattern=interleave \
        --hot-run-kib=4 --hot-interval-ms=100
# A scope of nobody's: 'keepme' (excluded by name, and too small for the
# scan) beside a 32 MiB candidate of the same layout.
WORKLOAD_LAUNCHER="systemd-run --quiet --scope --unit=wolfram-vm-kept --uid=nobody" \
        start_workload keep 8 --size-mib=8 --content=text --seed=84 --name=keepme
ask keep "" && pass "keepme ready (pid $keep_pid)" || fail "keepme did not start: $(cat "$WORKLOAD_DIR/keep.err")"
WORKLOAD_LAUNCHER="setpriv --reuid=nobody --regid=nogroup --clear-groups --" \
        start_workload mate 9 --size-mib=32 --content=text --seed=85 --hot-percent=50 --hot-pattern=interleave \
        --hot-run-kib=4 --hot-interval-ms=100
kept_cg=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$keep_pid/cgroup")
echo "$mate_pid" >"$kept_cg/cgroup.procs" || fail "could not move the candidate into $kept_cg"
ask lru "" && pass "the service's workload is ready" || fail "the service's workload did not start: $(cat "$WORKLOAD_DIR/lru.err")"
ask mate "" && pass "keepme's neighbour is ready" || fail "keepme's neighbour did not start: $(cat "$WORKLOAD_DIR/mate.err")"
lru_pid=$(systemctl show -P MainPID wolfram-vm-lru.service)
lru_cg=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$lru_pid/cgroup")
if [ "$(sed -n 's/^0:://p' "/proc/$mate_pid/cgroup")" = "${kept_cg#/sys/fs/cgroup}" ]; then
        pass "keepme ($keep_pid) and its neighbour ($mate_pid) share ${kept_cg#/sys/fs/cgroup}, as $(ps -o user= -p "$mate_pid")"
else
        fail "the neighbour is in $(sed -n 's/^0:://p' "/proc/$mate_pid/cgroup"), not ${kept_cg#/sys/fs/cgroup}"
fi

# cold_share NAME: sets $share, the per-mille of NAME's cold pages in
# swap (not in a subshell: ask counts the answers).
cold_share() {
        local cs cp
        share=0
        ask "$1" residency || return 1
        cs=$(num cold_swapped) cp=$(num cold_present)
        share=$((cs * 1000 / (cs + cp + 1)))
}
# The service's first run moves about nine tenths of its cold pages; 94%
# needs a second, the cold rest among ten times as many hot pages, which
# must leave the hot ones too (the hot checks below).
t=$(date +%s) deadline=$(($(date +%s) + 150))
while :; do
        cold_share lru
        lru_share=$share
        cold_share mate
        [ "$lru_share" -ge 940 ] && [ "$share" -ge 900 ] && break
        [ "$(date +%s)" -lt "$deadline" ] || break
        sleep 2
done
if [ "$lru_share" -ge 940 ] && [ "$share" -ge 900 ]; then
        pass "cold pages in swap after $(($(date +%s) - t)) s: service $lru_share/1000, neighbour $share/1000"
else
        fail "cold pages in swap after 150 s: service $lru_share/1000 (94% asked), neighbour $share/1000"
fi

# The service: page-exact through its cgroup's LRU.
ask lru residency
hot_swapped=$(num hot_swapped) hot_present=$(num hot_present)
cold_swapped=$(num cold_swapped) cold_present=$(num cold_present)
hot=$((hot_swapped + hot_present))
echo "service residency: $reply" >>"$WOLFRAM_VM_OUT/cgroup-reclaim.txt"
if [ "$hot" -gt 0 ] && [ $((hot_swapped * 100)) -le "$hot" ]; then
        pass "the service: $hot_swapped of its $hot hot pages in swap (at most 1%), $cold_swapped of $((cold_swapped + cold_present)) cold ones"
else
        fail "the service: hot pages in swap: $reply"
fi
ask lru faults
majflt=$(num hot_majflt)
echo "service faults: $reply" >>"$WOLFRAM_VM_OUT/cgroup-reclaim.txt"
if [ -n "$majflt" ] && [ $((majflt * 100)) -le "$hot" ]; then
        pass "the service's hot reads took $majflt major faults (at most 1% of $hot hot pages)"
else
        fail "the service's hot reads took $majflt major faults of $hot hot pages: $reply"
fi
ask lru verify
echo "$reply" | grep -q '"ok":true' && pass "the service's checksum is intact" || fail "the service's verify said $reply"
journalctl --no-pager -u wolfram.service --since "$since" >"$WOLFRAM_VM_OUT/journal-cgroup-reclaim.txt"
line=$(grep "Cgroup ${lru_cg#/sys/fs/cgroup}: its LRU moved [1-9]" "$WOLFRAM_VM_OUT/journal-cgroup-reclaim.txt")
[ -n "$line" ] && pass "the engine logged: $(echo "$line" | sed 's/.*wolframd[^:]*: //' | tr '\n' ' ')" ||
        fail "no 'its LRU moved' line for ${lru_cg#/sys/fs/cgroup} in the journal"
moved=$(busctl get-property "$BUS_NAME" "$BUS_PATH" "$BUS_NAME" TotalPagedOutBytes | awk '{ print $2 }')
[ "${moved:-0}" -ge $((30 << 20)) ] && pass "the bus counts $((moved >> 20)) MiB paged out" ||
        fail "TotalPagedOutBytes is '$moved' after the LRU moved the service's cold half"

# The scope with keepme: region by region, keepme untouched.
if grep -q "Cgroup ${kept_cg#/sys/fs/cgroup}: its LRU" "$WOLFRAM_VM_OUT/journal-cgroup-reclaim.txt"; then
        fail "the engine asked the LRU of ${kept_cg#/sys/fs/cgroup}, which holds an excluded process"
else
        pass "the engine never asked the LRU of ${kept_cg#/sys/fs/cgroup} (it holds keepme)"
fi
keep_swap=$(awk '/^VmSwap:/ { print $2 }' "/proc/$keep_pid/status")
[ "$keep_swap" = 0 ] && pass "keepme has nothing in swap" || fail "keepme has $keep_swap kB in swap"
ask keep verify
echo "$reply" | grep -q '"ok":true' && pass "keepme's checksum is intact" || fail "keepme's verify said $reply"
ask mate verify
echo "$reply" | grep -q '"ok":true' && pass "the neighbour's checksum is intact" || fail "the neighbour's verify said $reply"

stop_workload lru
stop_workload mate
stop_workload keep
timeout 30 systemctl stop wolfram-vm-lru.service wolfram-vm-kept.scope 2>/dev/null
rm -f /etc/wolfram/wolfram.conf.d/60-cgroup-reclaim.conf
systemctl restart wolfram.service
