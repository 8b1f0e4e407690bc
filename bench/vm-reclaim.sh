#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Scenario 1 of bench/run.py (proactive reclaim) in the test VM, where DAMON
# and page_idle are free to use: the host runs a kdamond of its own and its
# kernel lacks page_idle, so there these two variants cannot run. Same
# workloads and the same idle window for every variant, one after the
# other in one boot:
#   zram-only          a zram swap device and nothing else
#   damon              the same swap, and DAMON (paddr) paging out regions
#                      not accessed for 20 s (DAMOS pageout)
#   damon_reclaim      the same swap, and the kernel's DAMON_RECLAIM module at
#                      its defaults (quota 10 ms of CPU and 128 MiB a second,
#                      5 ms sampling, 100 ms aggregation, the biggest System
#                      RAM range), but for two settings a proactive setup
#                      needs: min_age 20 s, the idle window of every other
#                      variant (default 120 s, longer than the window), and
#                      watermarks that keep it active whatever the free
#                      memory (high 1000, mid 999, low 0 per mille; by
#                      default it acts only below 50% free, which this VM
#                      never reaches: it would be off the whole run)
#   wolfram-page_idle  wolframd (no bus), a cycle every 10 s, pageout after
#   wolfram-refs       two idle cycles (20 s), with each idle backend
# Prints one row per variant: cold memory moved, hot pages that went to
# swap, hot major faults and p99 latency, RSS given back, the pool's RAM,
# the CPU time of the reclaimer (wolframd, or the kdamond thread), and
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

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ticks_per_s=100

# The biggest "System RAM" range of /proc/iomem: DAMON's paddr region (6.1
# has no default).
biggest_ram() {
        grep 'System RAM' /proc/iomem | sed 's/^ *//; s/ :.*//' | while IFS=- read -r start end; do
                echo "$(( 0x$end - 0x$start + 1 )) $(( 0x$start )) $(( 0x$end + 1 ))"
        done | sort -n | tail -n 1
}

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

damon_on() {
        # shellcheck disable=SC2046 # three numbers, split on purpose
        set -- $(biggest_ram)
        k=$DAMON/kdamonds
        echo 1 >$k/nr_kdamonds
        c=$k/0/contexts
        echo 1 >$c/nr_contexts
        echo paddr >$c/0/operations
        echo 5000 >$c/0/monitoring_attrs/intervals/sample_us
        echo $AGGR_US >$c/0/monitoring_attrs/intervals/aggr_us
        echo 1 >$c/0/targets/nr_targets
        echo 1 >$c/0/targets/0/regions/nr_regions
        echo "$2" >$c/0/targets/0/regions/0/start
        echo "$3" >$c/0/targets/0/regions/0/end
        echo 1 >$c/0/schemes/nr_schemes
        s=$c/0/schemes/0
        echo pageout >$s/action
        echo 0 >$s/access_pattern/nr_accesses/min
        echo 0 >$s/access_pattern/nr_accesses/max
        echo $((IDLE_WINDOW_S * 1000000 / AGGR_US)) >$s/access_pattern/age/min
        echo 4294967295 >$s/access_pattern/age/max
        echo on >$k/0/state
        reclaimer_pid=$(cat $k/0/pid)
}
RECLAIM=/sys/module/damon_reclaim/parameters
damon_reclaim_on() {
        [ -d $RECLAIM ] || return 1
        echo $((IDLE_WINDOW_S * 1000000)) >$RECLAIM/min_age
        echo 1000 >$RECLAIM/wmarks_high
        echo 999 >$RECLAIM/wmarks_mid
        echo 0 >$RECLAIM/wmarks_low
        echo Y >$RECLAIM/enabled || return 1
        tries=0
        while [ "$(cat $RECLAIM/kdamond_pid)" -le 0 ] 2>/dev/null && [ $tries -lt 50 ]; do
                sleep 0.1
                tries=$((tries + 1))
        done
        reclaimer_pid=$(cat $RECLAIM/kdamond_pid)
        [ "$reclaimer_pid" -gt 0 ] || reclaimer_pid=
        [ -n "$reclaimer_pid" ]
}
damon_reclaim_off() {
        echo N >$RECLAIM/enabled
}
damon_off() {
        echo off >$DAMON/kdamonds/0/state
        echo 0 >$DAMON/kdamonds/nr_kdamonds
}

engine_on() {
        mkdir -p /run/wolfram /etc/wolfram
        cat >/etc/wolfram/bench.conf <<CONF
[Engine]
cycle_secs=10
idle_sample_secs=5
pageout_after_cycles=2
min_process_anon_mib=1
idle_backend=$1
[KSM]
enabled=no
CONF
        RUNTIME_DIRECTORY=/run/wolfram wolframd --no-bus --config=/etc/wolfram/bench.conf 2>/tmp/engine.log &
        reclaimer_pid=$!
}
engine_off() {
        kill -TERM "$reclaimer_pid"
        wait "$reclaimer_pid" || fail "$variant: wolframd exited with $?"
}

run_variant() {
        variant=$1
        echo "vm-reclaim: $variant at $(uptime_s) s"
        start_workload w1 4 --size-mib=$SIZE_MIB --content=text --seed=21 --hot-percent=$HOT_PERCENT
        start_workload w2 5 --size-mib=$SIZE_MIB --content=text --seed=22 --hot-percent=$HOT_PERCENT
        rss0=0
        for w in w1 w2; do
                ask $w "" || fail "$variant: $w did not start"
                ask $w status
                rss0=$((rss0 + $(num vm_rss_kib)))
                ask $w reset-stats
        done
        reclaimer_pid=
        case $variant in
        zram-only) zram_swap_on || fail "$variant: no zram swap" ;;
        damon) zram_swap_on && damon_on || fail "$variant: no zram swap or no kdamond" ;;
        damon_reclaim) zram_swap_on && damon_reclaim_on || fail "$variant: no zram swap or no DAMON_RECLAIM" ;;
        wolfram-*) engine_on "${variant#wolfram-}" ;;
        esac
        [ -z "$reclaimer_pid" ] || cpu0=$(cpu_ticks "$reclaimer_pid")
        sleep $WINDOW_S

        cold=0 cold_moved=0 hot_swapped=0 hot_faults=0 rss1=0 p99=0 ok=yes
        [ -z "$reclaimer_pid" ] || cpu=$(($(cpu_ticks "$reclaimer_pid") - cpu0))
        pool=$(pool_ram)
        for w in w1 w2; do
                ask $w residency
                cold=$((cold + $(num cold_swapped) + $(num cold_present)))
                cold_moved=$((cold_moved + $(num cold_swapped)))
                hot_swapped=$((hot_swapped + $(num hot_swapped)))
                ask $w status
                rss1=$((rss1 + $(num vm_rss_kib)))
                # Hot figures before report's verification reads every page.
                ask $w report
                hot_faults=$((hot_faults + $(num hot_major_faults)))
                p=$(echo "$reply" | sed -n 's/.*"p99":\([0-9]*\).*/\1/p')
                [ "$p" -gt "$p99" ] && p99=$p
                echo "$reply" | grep -q '"checksum_ok":true' || ok=no
        done
        if [ "$variant" = damon ]; then
                # What the scheme found and did, in DAMON's own words.
                st=$DAMON/kdamonds/0/contexts/0/schemes/0/stats
                echo update_schemes_stats >$DAMON/kdamonds/0/state
                echo "vm-reclaim: damon scheme: tried $(cat $st/nr_tried) regions ($(cat $st/sz_tried) bytes)," \
                        "applied to $(cat $st/nr_applied) ($(cat $st/sz_applied) bytes)"
        fi
        if [ "$variant" = damon_reclaim ]; then
                echo "vm-reclaim: damon_reclaim: tried $(cat $RECLAIM/nr_reclaim_tried_regions) regions" \
                        "($(cat $RECLAIM/bytes_reclaim_tried_regions) bytes), reclaimed" \
                        "$(cat $RECLAIM/nr_reclaimed_regions) ($(cat $RECLAIM/bytes_reclaimed_regions) bytes)," \
                        "quota exceeded $(cat $RECLAIM/nr_quota_exceeds) times"
        fi
        case $variant in
        damon) damon_off && zram_swap_off ;;
        damon_reclaim) damon_reclaim_off && zram_swap_off ;;
        zram-only) zram_swap_off ;;
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
        printf 'ROW %-18s %6s%% %9s %9s %9s %10s %10s %7s %s\n' "$variant" \
                "$(awk -v a=$cold_moved -v b=$cold 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }')" \
                "$hot_swapped" "$hot_faults" "$(awk -v n="$p99" 'BEGIN { printf "%.1fus", n / 1000 }')" \
                "$(awk -v k=$((rss0 - rss1)) 'BEGIN { printf "%.1fMiB", k / 1024 }')" \
                "$(awk -v b="$pool" 'BEGIN { printf "%.1fMiB", b / 1048576 }')" "$cpu_s" "$ok" | tee -a /tmp/rows
}

echo "vm-reclaim: Linux $(uname -r), $(nproc) CPUs, 2 x $SIZE_MIB MiB text, $HOT_PERCENT% hot, window $WINDOW_S s"
[ -d $DAMON ] || fail "no DAMON sysfs interface"
[ "$(cat $DAMON/kdamonds/nr_kdamonds)" = 0 ] || fail "a kdamond runs already"
[ -w /sys/kernel/mm/page_idle/bitmap ] || fail "no page_idle"
: >/tmp/rows
[ -d $RECLAIM ] || fail "no DAMON_RECLAIM (CONFIG_DAMON_RECLAIM)"
for v in zram-only damon damon_reclaim wolfram-page_idle wolfram-refs; do
        run_variant $v
done
printf '    %-18s %7s %9s %9s %9s %10s %10s %7s %s\n' variant "cold" "hot in" "hot" "hot p99" "RSS" "pool" "CPU s" data
printf '    %-18s %7s %9s %9s %9s %10s %10s %7s %s\n' "" moved "swap" faults "" "back" RAM "" ""
sed 's/^ROW /    /' /tmp/rows
echo "vm-reclaim: $failures failure(s), done at $(uptime_s) s"
[ "$failures" -eq 0 ]
