# shellcheck shell=sh
# SPDX-License-Identifier: MIT
#
# Sourced by the benchmarks in the test VM (bench/vm-reclaim.sh and
# bench/vm-redis.sh, where make-initramfs.sh --files tests/vm/initramfs puts
# it at /usr/lib/wolfram-vm/reclaimers.sh): each reclaimer a row is, set up
# and taken down the same way in both. The caller sets $bench (its name in
# the log lines), $variant, IDLE settings where it uses them, and has fail;
# each *_on sets $reclaimer_pid (the process whose CPU time is the row's).

DAMON=/sys/kernel/mm/damon/admin
# DAMON_RECLAIM's pageout age in its best setup (bench/vm-reclaim.sh).
DAMON_RECLAIM_AGE_S=5

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ticks_per_s=100
# reclaimer_cpu_s TICKS: the reclaimer's CPU time in seconds, "-" for a row
# without one (no $reclaimer_pid).
reclaimer_cpu_s() {
        if [ -z "$reclaimer_pid" ]; then
                printf "%s\n" -
        else
                awk -v t="$1" -v h=$ticks_per_s 'BEGIN { printf "%.2f", t / h }'
        fi
}
# kib_mib KIB, bytes_mib BYTES: "12.3MiB", as the rows print sizes.
kib_mib() { awk -v k="$1" 'BEGIN { printf "%.1fMiB", k / 1024 }'; }
bytes_mib() { awk -v b="$1" 'BEGIN { printf "%.1fMiB", b / 1048576 }'; }

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

# damon_on SAMPLE_US AGGR_US IDLE_S PID...: DAMON on the processes (vaddr,
# as damo starts it for pids), pageout of regions idle for IDLE_S.
damon_on() {
        damon_context vaddr "$1" "$2" "$3"
        shift 3
        echo $# >$c/0/targets/nr_targets
        t=0
        for pid in "$@"; do
                echo "$pid" >$c/0/targets/$t/pid_target
                t=$((t + 1))
        done
        damon_start
}

# damon_reclaim_on PID...: DAMON_RECLAIM's scheme through the sysfs
# interface (see bench/vm-reclaim.sh's header), the accessed bits of the
# processes cleared once as it starts.
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
        for pid in "$@"; do
                echo 1 >"/proc/$pid/clear_refs" || return 1
        done
        damon_start
}

# senpai_on CGROUP...: Senpai's loop in shell on the cgroups (named as
# shell variables are), with its defaults: every 6 s, 1% of the cgroup's
# memory.current through memory.reclaim, only while its memory pressure,
# some, grew by less than 0.1% of the interval.
senpai_on() {
        (
                for g in "$@"; do eval "last_$g=\$(senpai_stall $g)"; done
                while :; do
                        sleep 6
                        for g in "$@"; do
                                n=$(senpai_stall "$g")
                                eval "l=\$last_$g"
                                senpai_step "$g" $((n - l))
                                eval "last_$g=$n"
                        done
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

# engine_on BACKEND CGROUP_RECLAIM: wolframd without the bus, cycles of
# ENGINE_CYCLE_S (10) with idle samples of ENGINE_IDLE_S (5) seconds.
engine_on() {
        mkdir -p /run/wolfram /etc/wolfram
        cat >/etc/wolfram/bench.conf <<CONF
[Engine]
cycle_secs=${ENGINE_CYCLE_S:-10}
idle_sample_secs=${ENGINE_IDLE_S:-5}
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
        # What the cycles and the cgroups' LRU did, in the engine's words.
        grep -o 'Cycle .*\|Cgroup .*' /tmp/engine.log | sed "s/^/$bench: $variant: /"
}

# in_cgroup NAME COMMAND...: COMMAND in the cgroup /NAME from its start, so
# that its memory is charged there (cgroup v2 moves no charges with a
# process moved later: memory.reclaim of the cgroup would not reach it).
in_cgroup() {
        echo 0 >"/sys/fs/cgroup/$1/cgroup.procs" || return 1
        shift
        exec "$@"
}

# reclaimer_report: what a DAMON scheme or the Senpai loop of $variant did,
# in their own words; one that did nothing is a broken setup, not a result
# (a FAIL). Call before the reclaimer is taken down.
reclaimer_report() {
        case $variant in
        damon-*)
                st=$DAMON/kdamonds/0/contexts/0/schemes/0/stats
                echo update_schemes_stats >$DAMON/kdamonds/0/state
                echo "$bench: $variant scheme: tried $(cat $st/nr_tried) regions ($(cat $st/sz_tried) bytes)," \
                        "applied to $(cat $st/nr_applied) ($(cat $st/sz_applied) bytes)"
                [ "$(cat $st/nr_tried)" -gt 0 ] && pass "$variant: the scheme tried $(cat $st/nr_tried) regions" ||
                        fail "$variant: the scheme tried no region"
                ;;
        lru-senpai)
                asked=$(grep -c asked /tmp/senpai.steps)
                echo "$bench: $variant: $asked requests, $(grep -c ': ok' /tmp/senpai.steps) met in full," \
                        "$(grep -c held /tmp/senpai.steps) intervals held for pressure"
                [ "$asked" -gt 0 ] && pass "$variant: asked the LRU $asked times" || fail "$variant: never asked the LRU"
                ;;
        esac
}
