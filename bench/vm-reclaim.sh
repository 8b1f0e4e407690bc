#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Scenario 1 of bench/run.py (proactive reclaim) in the test VM, where DAMON
# and page_idle are free to use: the host runs a kdamond of its own and its
# kernel lacks page_idle, so there these two variants cannot run. Same
# workloads and the same idle window for every variant, one after the
# other in one boot:
#   zram-only          a zram swap device and nothing else
#   damon-vaddr        the same swap, and DAMON on the two workloads'
#                      processes (vaddr, as damo starts it for pids) paging
#                      out regions of any size not accessed for 20 s (DAMOS
#                      pageout), damo's and DAMON_RECLAIM's intervals (5 ms
#                      sampling, 100 ms aggregation), no quota
#   damon-tuned        the same, with intervals fitted to this workload, as
#                      a user who knows it would set them: 5 ms samples
#                      rarely catch a page read every 100 ms, so 100 ms
#                      sampling (the hot pages' period), 2 s aggregation,
#                      the same 20 s age
#   damon-reclaim      the same swap, and DAMON_RECLAIM's scheme, the
#                      kernel's proactive reclaim of physical memory: paddr
#                      over the biggest System RAM range, its default
#                      intervals (5 ms, 100 ms) and regions (10-1000), and
#                      its documentation's example for the rest: pageout of
#                      regions not accessed for a while, a quota of 1 GiB a
#                      second within its default 10 ms of CPU, oldest
#                      first. Set up through the sysfs interface, as damo
#                      does: the module itself (6.12) tried no region here
#                      in any setup, since its setup commits over its own
#                      scheme and leaves none (docs/benchmarks/vm-reclaim.txt). Three
#                      changes, each in its favour, each measured there:
#                      - regions idle for 5 s, the shortest that still
#                        tells apart pages read every 100 ms: at the
#                        example's 30 s, or the other rows' 20 s, its
#                        regions hardly ever reached that age;
#                      - no watermarks: the example's rest above 50% free
#                        memory, and this VM has about 70%;
#                      - the accessed bits the workloads' first writes left
#                        are cleared once at its start (clear_refs): its
#                        pageout keeps every page whose bit is set, and its
#                        sampling clears a few pages' bits a second; the
#                        kernel's own reclaim would have cleared them under
#                        the memory pressure DAMON_RECLAIM is meant for
#   lru-senpai         the same swap, and the kernel's LRU asked through
#                      each workload's cgroup v2 memory.reclaim as Senpai
#                      paces it (its defaults: every 6 s, 1% of the
#                      cgroup's memory.current, only while the cgroup's
#                      memory pressure, some, grew by less than 0.1% of
#                      the interval), nothing else
#   wolfram-page_idle  wolframd (no bus), a cycle every 10 s, pageout after
#   wolfram-refs       two idle cycles (20 s) of regions at least 40% idle
#   wolfram-refs-cgroup (the defaults, 70%, leave a half-hot region alone;
#                      as scenario 8 on the host and the system tier set
#                      it), with each idle backend; wolfram-refs pages a
#                      mixed region out whole (cgroup_reclaim=no, as on
#                      cgroup v1), wolfram-refs-cgroup hands it to the
#                      cgroup's LRU (cgroup_reclaim=yes, the default)
# Each workload runs in a cgroup v2 of its own (/w1, /w2), as a service
# would, for every variant.
# w1 holds its hot quarter in one block, w2 has every other 4 KiB page hot
# (the interleaved layout of issue 16; the workload's interleave is half
# hot whatever --hot-percent says). Prints one row per variant:
# per layout the cold memory moved and the hot pages' major faults as a
# share of the hot set; then hot pages that went to swap, the hot p99,
# RSS given back, the pool's RAM, the CPU time of the reclaimer (wolframd, or the kdamond thread), and
# whether every checksum held. Timings are those of an emulated machine
# (qemu TCG): compare rows with each other, not with the host's table.
#
# Run: tools/vm/run-scenario.sh --files tests/vm/initramfs --timeout 1500 \
#        bench/vm-reclaim.sh BUILD/daemon/wolframd BUILD/tests/workload/wolfram-workload
set -u

# pass, fail, uptime_s, start_workload, ask, num, stop_workload
# shellcheck source=tests/vm/initramfs/usr/lib/wolfram-vm/workload.sh
. /usr/lib/wolfram-vm/workload.sh

WINDOW_S=90 SIZE_MIB=256 HOT_PERCENT=25
DAMON=/sys/kernel/mm/damon/admin
AGGR_US=100000
IDLE_WINDOW_S=20
DAMON_RECLAIM_AGE_S=5

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ticks_per_s=100

zram_swap_on() {
        echo zstd >/sys/block/zram0/comp_algorithm
        echo 2G >/sys/block/zram0/disksize
        mkswap /dev/zram0 >/dev/null && swapon /dev/zram0 && grep -q '^/dev/zram0 ' /proc/swaps
}
zram_swap_off() {
        swapoff /dev/zram0 && echo 1 >/sys/block/zram0/reset
}
# The RAM the swap's zram device uses (mm_stat's third field), in bytes.
pool_ram() {
        dev=$(awk 'NR > 1 && $1 ~ /zram/ { sub(".*/", "", $1); print $1; exit }' /proc/swaps)
        [ -n "$dev" ] && awk '{ print $3 }' "/sys/block/$dev/mm_stat" || echo 0
}

# damon_context OPS SAMPLE_US AGGR_US MIN_AGE_S: one kdamond with one
# context of OPS and one DAMOS pageout scheme for regions of any size not
# accessed for MIN_AGE_S; sets $c (the context) and $s (the scheme) for
# the rest of the setup. The sysfs interface's default size range is 0-0
# bytes, which no region fits: the scheme would try nothing (as the
# damon-* rows did until that was set).
damon_context() {
        k=$DAMON/kdamonds
        echo 1 >$k/nr_kdamonds
        c=$k/0/contexts
        echo 1 >$c/nr_contexts
        echo "$1" >$c/0/operations
        echo "$2" >$c/0/monitoring_attrs/intervals/sample_us
        echo "$3" >$c/0/monitoring_attrs/intervals/aggr_us
        echo 1 >$c/0/schemes/nr_schemes
        s=$c/0/schemes/0
        echo pageout >$s/action
        echo 4096 >$s/access_pattern/sz/min
        echo 18446744073709551615 >$s/access_pattern/sz/max
        echo 0 >$s/access_pattern/nr_accesses/min
        echo 0 >$s/access_pattern/nr_accesses/max
        echo $(($4 * 1000000 / $3)) >$s/access_pattern/age/min
        echo 4294967295 >$s/access_pattern/age/max
}
damon_start() {
        echo on >$DAMON/kdamonds/0/state || return 1
        reclaimer_pid=$(cat $DAMON/kdamonds/0/pid)
}
damon_off() {
        echo off >$DAMON/kdamonds/0/state
        echo 0 >$DAMON/kdamonds/nr_kdamonds
}

# damon_on SAMPLE_US AGGR_US: the damon-vaddr and damon-tuned rows, DAMON
# on the two workloads' processes (vaddr, as damo starts it for pids),
# regions idle for IDLE_WINDOW_S.
damon_on() {
        damon_context vaddr "$1" "$2" $IDLE_WINDOW_S
        echo 2 >$c/0/targets/nr_targets
        echo "$w1_pid" >$c/0/targets/0/pid_target
        echo "$w2_pid" >$c/0/targets/1/pid_target
        damon_start
}

# DAMON_RECLAIM's scheme through the sysfs interface (see the header).
damon_reclaim_on() {
        # The biggest System RAM range, as the module picks it.
        start=0 end=0
        for range in $(sed -n 's/^\([0-9a-f]*\)-\([0-9a-f]*\) : System RAM$/\1-\2/p' /proc/iomem); do
                a=$((0x${range%-*})) b=$((0x${range#*-} + 1))
                [ $((b - a)) -le $((end - start)) ] || start=$a end=$b
        done
        [ "$end" -gt 0 ] || return 1
        damon_context paddr 5000 100000 $DAMON_RECLAIM_AGE_S
        echo 10 >$c/0/monitoring_attrs/nr_regions/min
        echo 1000 >$c/0/monitoring_attrs/nr_regions/max
        echo 1 >$c/0/targets/nr_targets
        echo 1 >$c/0/targets/0/regions/nr_regions
        echo "$start" >$c/0/targets/0/regions/0/start
        echo "$end" >$c/0/targets/0/regions/0/end
        echo 10 >$s/quotas/ms
        echo $((1 << 30)) >$s/quotas/bytes
        echo 1000 >$s/quotas/reset_interval_ms
        echo 0 >$s/quotas/weights/sz_permil
        echo 0 >$s/quotas/weights/nr_accesses_permil
        echo 1 >$s/quotas/weights/age_permil
        echo 1 >"/proc/$w1_pid/clear_refs" && echo 1 >"/proc/$w2_pid/clear_refs" && damon_start
}

# Senpai's loop in shell, on both workloads' cgroups (see the header).
senpai_on() {
        (
                l1=$(senpai_stall w1) l2=$(senpai_stall w2)
                while :; do
                        sleep 6
                        n1=$(senpai_stall w1) n2=$(senpai_stall w2)
                        senpai_step w1 $((n1 - l1))
                        senpai_step w2 $((n2 - l2))
                        l1=$n1 l2=$n2
                done
        ) &
        reclaimer_pid=$!
}
# The cgroup's memory stall (some, microseconds) since boot.
senpai_stall() {
        sed -n 's/^some .*total=\([0-9]*\).*/\1/p' "/sys/fs/cgroup/$1/memory.pressure"
}
# senpai_step CGROUP STALL_US: 1% of its memory, unless it stalled 0.1% of
# the 6 s (6 ms) or more.
# Each request goes into /tmp/senpai.steps, with the kernel's answer.
senpai_step() {
        [ "$2" -lt 6000 ] || {
                echo "$1 held: stalled $2 us" >>/tmp/senpai.steps
                return 0
        }
        b=$(($(cat "/sys/fs/cgroup/$1/memory.current") / 100))
        if echo "$b" >"/sys/fs/cgroup/$1/memory.reclaim" 2>/dev/null; then
                echo "$1 asked $b: ok" >>/tmp/senpai.steps
        else
                echo "$1 asked $b: the kernel found less" >>/tmp/senpai.steps
        fi
}
# The loop dies of the signal: its status says so, which is no failure.
senpai_off() {
        kill "$reclaimer_pid" && { wait "$reclaimer_pid" 2>/dev/null || :; }
}

engine_on() {
        mkdir -p /run/wolfram /etc/wolfram
        cat >/etc/wolfram/bench.conf <<CONF
[Engine]
cycle_secs=10
idle_sample_secs=5
pageout_after_cycles=2
min_process_anon_mib=1
cold_threshold=0.3
pageout_threshold=0.4
idle_backend=$1
cgroup_reclaim=$2
[KSM]
enabled=no
CONF
        RUNTIME_DIRECTORY=/run/wolfram wolframd --no-bus --config=/etc/wolfram/bench.conf 2>/tmp/engine.log &
        reclaimer_pid=$!
}
engine_off() {
        kill -TERM "$reclaimer_pid"
        wait "$reclaimer_pid" || fail "$variant: wolframd exited with $?"
        # What the cgroups' LRU did, in the engine's words.
        grep -o 'Cgroup .*' /tmp/engine.log | sed "s/^/vm-reclaim: $variant: /"
}

# in_cgroup NAME COMMAND...: COMMAND in the cgroup /NAME from its start, so
# that its memory is charged there (cgroup v2 moves no charges with a
# process moved later: memory.reclaim of the cgroup would not reach it).
in_cgroup() {
        echo 0 >"/sys/fs/cgroup/$1/cgroup.procs" || return 1
        shift
        exec "$@"
}

run_variant() {
        variant=$1
        echo "vm-reclaim: $variant at $(uptime_s) s"
        # Every variant starts without swap: what one left would be another's.
        [ "$(wc -l </proc/swaps)" -le 1 ] || fail "$variant: swap left over: $(tail -n +2 /proc/swaps | tr '\n' ';')"
        WORKLOAD_LAUNCHER="in_cgroup w1" start_workload w1 4 --size-mib=$SIZE_MIB --content=text --seed=21 \
                --hot-percent=$HOT_PERCENT
        WORKLOAD_LAUNCHER="in_cgroup w2" start_workload w2 5 --size-mib=$SIZE_MIB --content=text --seed=22 \
                --hot-percent=$HOT_PERCENT --hot-pattern=interleave --hot-run-kib=4
        rss0=0
        for w in w1 w2; do
                ask $w "" || fail "$variant: $w did not start"
                pid=''
                eval "pid=\$${w}_pid"
                grep -qx "0::/$w" "/proc/$pid/cgroup" || fail "$variant: $w runs in $(cat "/proc/$pid/cgroup")"
                ask $w status
                rss0=$((rss0 + $(num vm_rss_kib)))
                ask $w reset-stats
        done
        reclaimer_pid=
        case $variant in
        zram-only) zram_swap_on || fail "$variant: no zram swap" ;;
        damon-vaddr) zram_swap_on && damon_on 5000 $AGGR_US || fail "$variant: no zram swap or no kdamond" ;;
        damon-tuned) zram_swap_on && damon_on 100000 2000000 || fail "$variant: no zram swap or no kdamond" ;;
        damon-reclaim) zram_swap_on && damon_reclaim_on || fail "$variant: no zram swap or no kdamond" ;;
        lru-senpai) : >/tmp/senpai.steps && zram_swap_on && senpai_on || fail "$variant: no zram swap" ;;
        wolfram-refs-cgroup) engine_on refs yes ;;
        wolfram-*) engine_on "${variant#wolfram-}" no ;;
        esac
        [ -z "$reclaimer_pid" ] || cpu0=$(cpu_ticks "$reclaimer_pid")
        sleep $WINDOW_S

        cold=0 cold_moved=0 hot_swapped=0 hot_faults=0 rss1=0 p99=0 ok=yes by_layout=
        [ -z "$reclaimer_pid" ] || cpu=$(($(cpu_ticks "$reclaimer_pid") - cpu0))
        pool=$(pool_ram)
        for w in w1 w2; do
                ask $w residency
                wcold=$(($(num cold_swapped) + $(num cold_present))) wmoved=$(num cold_swapped)
                cold=$((cold + wcold))
                cold_moved=$((cold_moved + wmoved))
                hot_swapped=$((hot_swapped + $(num hot_swapped)))
                whot=$(($(num hot_swapped) + $(num hot_present)))
                ask $w status
                rss1=$((rss1 + $(num vm_rss_kib)))
                # Hot figures before report's verification reads every page.
                ask $w report
                hot_faults=$((hot_faults + $(num hot_major_faults)))
                by_layout="$by_layout $(awk -v a="$wmoved" -v b="$wcold" -v f="$(num hot_major_faults)" -v h="$whot" \
                        'BEGIN { printf "%5.1f%% %5.1f%%", b ? 100 * a / b : 0, h ? 100 * f / h : 0 }')"
                p=$(echo "$reply" | sed -n 's/.*"p99":\([0-9]*\).*/\1/p')
                [ "$p" -gt "$p99" ] && p99=$p
                echo "$reply" | grep -q '"checksum_ok":true' || ok=no
        done
        if [ "${variant#damon-}" != "$variant" ]; then
                # What the scheme found and did, in DAMON's own words.
                st=$DAMON/kdamonds/0/contexts/0/schemes/0/stats
                echo update_schemes_stats >$DAMON/kdamonds/0/state
                echo "vm-reclaim: $variant scheme: tried $(cat $st/nr_tried) regions ($(cat $st/sz_tried) bytes)," \
                        "applied to $(cat $st/nr_applied) ($(cat $st/sz_applied) bytes)"
                # A scheme that tries nothing is a broken setup, not a result.
                [ "$(cat $st/nr_tried)" -gt 0 ] && pass "$variant: the scheme tried $(cat $st/nr_tried) regions" ||
                        fail "$variant: the scheme tried no region"
        fi
        if [ "$variant" = lru-senpai ]; then
                # A loop that never asked is a broken setup, not a result.
                asked=$(grep -c asked /tmp/senpai.steps)
                echo "vm-reclaim: $variant: $asked requests, $(grep -c ': ok' /tmp/senpai.steps) met in full," \
                        "$(grep -c held /tmp/senpai.steps) intervals held for pressure"
                [ "$asked" -gt 0 ] && pass "$variant: asked the LRU $asked times" || fail "$variant: never asked the LRU"
        fi
        case $variant in
        damon-*) damon_off && zram_swap_off ;;
        zram-only) zram_swap_off ;;
        lru-senpai) senpai_off && zram_swap_off ;;
        wolfram-*) engine_off ;;
        esac
        stop_workload w1
        stop_workload w2
        [ "$ok" = yes ] && pass "$variant: every checksum held" || fail "$variant: a checksum changed"
        # Each did its job, whatever the emulated CPU's speed: nothing moves
        # without a reclaimer; the engine moves the cold memory with either
        # backend. DAMON's row is what its scheme did, shown as it is.
        case $variant in
        zram-only)
                [ $((cold_moved * 20)) -le "$cold" ] && pass "$variant: moved next to nothing" ||
                        fail "$variant: moved $cold_moved of $cold cold pages without a reclaimer"
                ;;
        wolfram-*)
                [ $((cold_moved * 10)) -ge $((cold * 8)) ] && pass "$variant: moved $cold_moved of $cold cold pages" ||
                        fail "$variant: moved only $cold_moved of $cold cold pages"
                ;;
        esac
        cpu_s=-
        [ -z "$reclaimer_pid" ] || cpu_s=$(awk -v t="$cpu" -v h=$ticks_per_s 'BEGIN { printf "%.2f", t / h }')
        # shellcheck disable=SC2086 # four figures, split on purpose
        printf 'ROW %-18s %7s %7s %7s %7s %9s %9s %10s %10s %7s %s\n' "$variant" $by_layout "$hot_swapped" \
                "$(awk -v n="$p99" 'BEGIN { printf "%.1fus", n / 1000 }')" \
                "$(awk -v k=$((rss0 - rss1)) 'BEGIN { printf "%.1fMiB", k / 1024 }')" \
                "$(awk -v b="$pool" 'BEGIN { printf "%.1fMiB", b / 1048576 }')" "$cpu_s" "$ok" | tee -a /tmp/rows
}

echo "vm-reclaim: Linux $(uname -r), $(nproc) CPUs, 2 x $SIZE_MIB MiB text, $HOT_PERCENT% hot" \
        "(w1 in one block, w2 every other 4 KiB page), window $WINDOW_S s"
[ -d $DAMON ] || fail "no DAMON sysfs interface"
[ "$(cat $DAMON/kdamonds/nr_kdamonds)" = 0 ] || fail "a kdamond runs already"
[ -w /sys/kernel/mm/page_idle/bitmap ] || fail "no page_idle"
# The unified hierarchy with the memory controller (the initramfs mounts
# it), a cgroup per workload.
{ grep -q '^[^ ]* /sys/fs/cgroup cgroup2 ' /proc/mounts || mount -t cgroup2 cgroup2 /sys/fs/cgroup; } &&
        echo +memory >/sys/fs/cgroup/cgroup.subtree_control && mkdir /sys/fs/cgroup/w1 /sys/fs/cgroup/w2 ||
        fail "no cgroup v2 memory controller"
: >/tmp/rows
for v in zram-only damon-vaddr damon-tuned damon-reclaim lru-senpai wolfram-page_idle wolfram-refs wolfram-refs-cgroup; do
        run_variant $v
done
printf '    %-18s %-15s %-15s %9s %9s %10s %10s %7s %s\n' "" "block" "interleaved" "" "" "" "" "" ""
printf '    %-18s %7s %7s %7s %7s %9s %9s %10s %10s %7s %s\n' variant "cold" "hot" "cold" "hot" "hot in" "hot p99" "RSS" "pool" "CPU s" data
printf '    %-18s %7s %7s %7s %7s %9s %9s %10s %10s %7s %s\n' "" moved faults moved faults "swap" "" "back" RAM "" ""
sed 's/^ROW /    /' /tmp/rows
echo "vm-reclaim: $failures failure(s), done at $(uptime_s) s"
[ "$failures" -eq 0 ]
