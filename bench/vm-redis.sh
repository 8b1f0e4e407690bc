#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Scenario 8b of bench/run.py (a real application whose hot data lies among
# cold) in the test VM, where DAMON is free to use: the host runs a kdamond
# of its own, so there DAMON cannot be a row. redis-server (Debian's, the
# host's binary and libraries) holds REDIS_MIB of 1 KiB values; every 20th
# key, by a hash of its number, is hot, so a few hot values lie in each
# page among cold ones; one connection reads the hot keys as fast as redis
# answers, with a Zipf skew (s = 0.99) over a shuffled order of them, and
# checks every answer (bench/redis-skew.c). Same redis, data and reader for
# every row, one after the other in one boot, each redis in a cgroup v2 of
# its own (/r), as a service would be:
#   zram-only            a zram swap device and nothing else
#   damon-reclaim        the same swap, and DAMON_RECLAIM's scheme in the
#                        best setup bench/vm-reclaim.sh found for it:
#                        through the sysfs interface (the module drops its
#                        own scheme on this kernel), paddr over the biggest
#                        System RAM range, 5 ms sampling, 100 ms
#                        aggregation, 10-1000 regions, pageout of regions
#                        not accessed for 5 s, 1 GiB a second within 10 ms
#                        of CPU, oldest first, no watermarks, redis's
#                        accessed bits cleared once as it starts
#   lru-senpai           the same swap, and the kernel's LRU asked through
#                        /r's memory.reclaim as Senpai paces it (every 6 s,
#                        1% of memory.current, while its memory pressure
#                        stays under 0.1%)
#   wolfram              wolframd (no bus), refs backend (what a kernel
#                        without page_idle has), cycles of 10 s, a 5 s idle
#                        sample, pageout after two cycles of regions 40%
#                        idle, cgroup_reclaim=yes (the default): redis's
#                        heap is one mixed region, handed to /r's LRU
#   wolfram-30s          the same with cycles of 60 s and idle samples of
#                        30 s, the idle window of every shipped profile
#                        (whose cycles are 120-300 s); it needs a window
#                        of several cycles (WINDOW_S=480)
# Prints one row per variant: redis's memory in swap at the end, its major
# faults a minute as a share of the hot keys over the window and over its
# second half, the reader's reads and p99 over the window's second half, RSS given back, the pool's RAM, the reclaimer's CPU
# time, and whether the data held (every answer, every 97th key, DEBUG
# DIGEST). Timings are those of an emulated machine (qemu TCG): compare
# rows with each other, not with the host's table.
#
# Run (about 50 minutes): tools/vm/run-scenario.sh --files tests/vm/initramfs --timeout 3600 \
#        bench/vm-redis.sh BUILD/daemon/wolframd BUILD/bench/wolfram-redis-skew \
#        /usr/bin/redis-server
# Some rows, or another window: --env "VARIANTS=lru-senpai wolfram-30s" --env WINDOW_S=240
set -u

# pass, fail, uptime_s
# shellcheck source=tests/vm/initramfs/usr/lib/wolfram-vm/workload.sh
. /usr/lib/wolfram-vm/workload.sh
# cpu_ticks, reclaimer_cpu_s, kib_mib, bytes_mib, zram_swap_on/off, pool_ram, damon_reclaim_on, damon_off,
# senpai_on/off, engine_on/off, in_cgroup
# shellcheck source=tests/vm/initramfs/usr/lib/wolfram-vm/reclaimers.sh
. /usr/lib/wolfram-vm/reclaimers.sh
bench=vm-redis

WINDOW_S=${WINDOW_S:-480} REDIS_MIB=${REDIS_MIB:-256}
VARIANTS=${VARIANTS:-zram-only damon-reclaim lru-senpai wolfram wolfram-30s}
KEYS=$((REDIS_MIB * 1024))
SOCK=/tmp/redis/redis.sock

redis_start() {
        rm -rf /tmp/redis && mkdir -p /tmp/redis
        cat >/tmp/redis/redis.conf <<CONF
port 0
unixsocket $SOCK
unixsocketperm 700
save ""
appendonly no
daemonize no
dir /tmp/redis
logfile /tmp/redis/redis.log
enable-debug-command local
CONF
        (in_cgroup r redis-server /tmp/redis/redis.conf) &
        redis_pid=$!
        tries=0
        until [ -S $SOCK ] && wolfram-redis-skew digest $SOCK >/dev/null 2>&1; do
                tries=$((tries + 1))
                [ $tries -lt 300 ] || return 1
                sleep 0.2
        done
}
redis_stop() {
        kill "$redis_pid" && wait "$redis_pid" 2>/dev/null
}
# A field of the JSON line in $reply.
field() { echo "$reply" | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
majflt() { awk '{ print $12 }' "/proc/$1/stat"; }
kib() { awk -v k="$2" '$1 == k ":" { print $2 }' "/proc/$1/status"; }

run_variant() {
        variant=$1
        echo "$bench: $variant at $(uptime_s) s"
        [ "$(wc -l </proc/swaps)" -le 1 ] || fail "$variant: swap left over: $(tail -n +2 /proc/swaps | tr '\n' ';')"
        redis_start || {
                fail "$variant: redis-server did not start: $(tail -5 /tmp/redis/redis.log)"
                return
        }
        grep -qx "0::/r" "/proc/$redis_pid/cgroup" || fail "$variant: redis runs in $(cat "/proc/$redis_pid/cgroup")"
        t=$(uptime_s)
        reply=$(wolfram-redis-skew load $SOCK $KEYS) || fail "$variant: loading failed: $reply"
        reply=$(wolfram-redis-skew digest $SOCK)
        digest0=$(field digest)
        [ "$(field keys)" = $KEYS ] || fail "$variant: redis holds $(field keys) keys, not $KEYS"
        rss0=$(kib "$redis_pid" VmRSS)
        echo "$bench: $variant: loaded $KEYS keys in $(awk -v a="$t" -v b="$(uptime_s)" 'BEGIN { printf "%.0f", b - a }') s," \
                "redis RSS $((rss0 / 1024)) MiB"

        reclaimer_pid=
        case $variant in
        zram-only) zram_swap_on || fail "$variant: no zram swap" ;;
        damon-reclaim) zram_swap_on && damon_reclaim_on "$redis_pid" || fail "$variant: no zram swap or no kdamond" ;;
        lru-senpai) : >/tmp/senpai.steps && zram_swap_on && senpai_on r || fail "$variant: no zram swap" ;;
        wolfram) engine_on refs yes ;;
        wolfram-30s) ENGINE_CYCLE_S=60 ENGINE_IDLE_S=30 engine_on refs yes ;;
        esac
        [ -z "$reclaimer_pid" ] || cpu0=$(cpu_ticks "$reclaimer_pid")
        flt0=$(majflt "$redis_pid")
        wolfram-redis-skew read $SOCK $KEYS $WINDOW_S >/tmp/reader.out &
        reader=$!
        # The second half's faults apart: whether they go on, or were the
        # first pageout's, read back once.
        sleep $((WINDOW_S / 2))
        flt_half=$(majflt "$redis_pid")
        wait $reader
        read_rc=$?
        reply=$(cat /tmp/reader.out)
        read_reply=$reply
        flt1=$(majflt "$redis_pid")
        faults=$((flt1 - flt0)) late_faults=$((flt1 - flt_half))
        [ -z "$reclaimer_pid" ] || cpu=$(($(cpu_ticks "$reclaimer_pid") - cpu0))
        pool=$(pool_ram)
        swap=$(kib "$redis_pid" VmSwap) rss1=$(kib "$redis_pid" VmRSS)
        hot=$(field hot_keys) p99=$(field p99_us) reads=$(field reads)

        reclaimer_report
        # The data, read back with what was paged out still out.
        ok=yes
        [ "$read_rc" -eq 0 ] || {
                ok=no
                fail "$variant: the reader: $read_reply"
        }
        reply=$(wolfram-redis-skew check $SOCK $KEYS) || {
                ok=no
                fail "$variant: every 97th key: $reply"
        }
        reply=$(wolfram-redis-skew digest $SOCK)
        [ "$(field digest)" = "$digest0" ] || {
                ok=no
                fail "$variant: DEBUG DIGEST $(field digest), $digest0 after loading"
        }
        [ "$ok" = yes ] && pass "$variant: every answer, every 97th key and DEBUG DIGEST held"
        case $variant in
        damon-*) damon_off ;;
        lru-senpai) senpai_off ;;
        wolfram*) engine_off ;;
        esac
        redis_stop
        case $variant in
        wolfram*) ;;
        *) zram_swap_off ;;
        esac
        case $variant in
        zram-only)
                [ "$swap" -le $((rss0 / 20)) ] && pass "$variant: moved next to nothing" ||
                        fail "$variant: $swap KiB in swap without a reclaimer"
                ;;
        wolfram*)
                [ "$swap" -ge $((rss0 / 2)) ] && pass "$variant: $((swap / 1024)) MiB of redis in swap" ||
                        fail "$variant: only $swap KiB of redis in swap"
                ;;
        esac
        printf 'ROW %-15s %9s %11s %11s %9s %9s %10s %10s %7s %s\n' "$variant" \
                "$(kib_mib "$swap")" \
                "$(awk -v f="$faults" -v h="$hot" -v w="$WINDOW_S" 'BEGIN { printf "%.2f%%", h ? 100 * f / h * 60 / w : 0 }')" \
                "$(awk -v f="$late_faults" -v h="$hot" -v w="$((WINDOW_S - WINDOW_S / 2))" 'BEGIN { printf "%.2f%%", h ? 100 * f / h * 60 / w : 0 }')" \
                "$reads" "${p99}us" \
                "$(kib_mib $((rss0 - rss1)))" \
                "$(bytes_mib "$pool")" "$(reclaimer_cpu_s "${cpu:-}")" "$ok" | tee -a /tmp/rows
}

echo "$bench: Linux $(uname -r), $(nproc) CPUs, redis-server with $KEYS values of 1 KiB ($REDIS_MIB MiB)," \
        "every 20th key hot, Zipf 0.99, window $WINDOW_S s"
[ -d $DAMON ] || fail "no DAMON sysfs interface"
[ "$(cat $DAMON/kdamonds/nr_kdamonds)" = 0 ] || fail "a kdamond runs already"
{ grep -q '^[^ ]* /sys/fs/cgroup cgroup2 ' /proc/mounts || mount -t cgroup2 cgroup2 /sys/fs/cgroup; } &&
        echo +memory >/sys/fs/cgroup/cgroup.subtree_control && mkdir /sys/fs/cgroup/r ||
        fail "no cgroup v2 memory controller"
: >/tmp/rows
for v in $VARIANTS; do
        run_variant $v
done
printf '    %-15s %9s %11s %11s %9s %9s %10s %10s %7s %s\n' variant "in swap" "faults/min" "2nd half" reads "p99" \
        "RSS" "pool" "CPU s" data
printf '    %-15s %9s %11s %11s %9s %9s %10s %10s %7s %s\n' "" "" "of hot keys" "" "" "" "back" RAM "" ""
sed 's/^ROW /    /' /tmp/rows
echo "$bench: $failures failure(s), done at $(uptime_s) s"
[ "$failures" -eq 0 ]
