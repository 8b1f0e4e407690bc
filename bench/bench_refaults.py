# SPDX-License-Identifier: MIT
"""Scenario 8 of bench/run.py: hot pages among cold ones, on a kernel
without page_idle. One workload whose every other 4 KiB page is read every
100 ms (the layout where a region-level idle backend pays most), owned by
nobody, side by side with what people would use instead:

  zram alone       one zram swap device (lz4, priority 100), nothing else:
                   what a distribution sets up at boot.
  LRU, Senpai-style
                   the same device, and the kernel's own LRU asked for
                   proactive reclaim through the per-node interface
                   (/sys/devices/system/node/node0/reclaim, "N swappiness=max",
                   anonymous memory only) in steps of 1% of the workload's
                   memory every 6 s while memory pressure (PSI some avg10)
                   stays under 0.1%, as Senpai paces it; per node, so it
                   reclaims from every process on the machine (this one has
                   cgroup v1: no memory.reclaim of a cgroup of its own).
  wolfram          the engine with the refs backend (every kernel), cycles of
                   10 s, pageout from 40% idle after one cycle, the workload
                   in the memory cgroup it was started in (shared with the
                   bench and the engine): at the first pageout the hot pages
                   go too, come back once, are learned.
  wolfram, memcg   the same engine, the workload started in a v1 memory
                   cgroup of its own: its mixed regions go to that cgroup's
                   LRU through dips of memory.limit_in_bytes, page by page.
                   (On cgroup v2 the same goes through memory.reclaim:
                   bench/vm-reclaim.sh's wolfram-refs-cgroup, in the test VM.)

Per row: the share of the cold pages in swap at the end, the hot pages'
major faults as a share of the hot set over the run, the hot reads' p99,
the data checked.

8b runs the same four setups on a real application: redis-server as the
redis user (tests/apps/subjects.py's Redis), 1 KiB values, every 20th key
(by a hash of its number, so spread over the heap a few to a page) hot and
read by one client connection as fast as redis answers, with a Zipf skew
(s = 0.99, YCSB's) over them. Per row: redis's memory in swap, its major
faults a minute as a share of the hot keys (the hot keys are all it
reads), the p99 of the GETs of the window's second half, the data checked
(DEBUG DIGEST, every 97th key, every answer). DAMON is not a row here: this machine's kernel builds
DAMON with paddr only and runs a kdamond of its own that must not be
touched (bench/vm-reclaim.sh measures DAMON in the test VM)."""

import bisect
import contextlib
import os
import random
import socket
import sys
import threading
import time

from harness import BUS_NAME, BUS_PATH, Env, TestCgroup, check, wait_for  # noqa: F401
from workload import Workload, as_user_argv

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "apps"))
from subjects import ReaderThread, Redis  # noqa: E402

MIB = 1024 * 1024
NODE_RECLAIM = "/sys/devices/system/node/node0/reclaim"
MEMORY_V1 = "/sys/fs/cgroup/memory"


def psi_memory_some():
    with open("/proc/pressure/memory") as f:
        return float(f.readline().split()[1].split("=")[1])


def pswpout():
    with open("/proc/vmstat") as f:
        return next(int(ln.split()[1]) for ln in f if ln.startswith("pswpout "))


class SenpaiStyle:
    """Steps of node reclaim paced by memory pressure, in a thread."""

    def __init__(self, step_bytes, interval=6.0, pressure_limit=0.1):
        self.step = step_bytes
        self.interval = interval
        self.limit = pressure_limit
        self.steps = self.skipped = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stopping.wait(self.interval):
            if psi_memory_some() >= self.limit:
                self.skipped += 1
                continue
            try:
                with open(NODE_RECLAIM, "w") as f:
                    f.write(f"{self.step} swappiness=max")
            except OSError:
                pass  # EAGAIN: it reclaimed less than asked
            self.steps += 1

    def __enter__(self):
        check(os.path.exists(NODE_RECLAIM), f"{NODE_RECLAIM} is missing (Linux 6.17 and later)")
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(30)
        return False


def measure(w, t0, seconds, extra):
    """Runs the window, then the figures of the workload."""
    time.sleep(max(0, t0 + seconds - time.monotonic()))
    res, faults = w.residency(), w.faults()
    cold = res["cold_swapped"] + res["cold_present"] + res["cold_other"]
    hot = w.hot_len // w.page_size
    row = {"cold_moved": res["cold_swapped"] / cold if cold else 0.0,
           "hot_faults": faults["hot_majflt"] / hot if hot else 0.0,
           "hot_p99_us": faults["p99_ns"] / 1000.0, "hot_in_ram": res["hot_present"] / hot if hot else 0.0}
    row.update(extra)
    row["data_ok"] = w.verify()["ok"]
    return row


def variant_tag(variant):
    """"wolfram, memcg" -> "wolfram-memcg": the variant's part of its cgroups' names."""
    return variant.split()[0].lower().strip(",") + ("-memcg" if variant.endswith("memcg") else "")


def memory_cgroup(stack, name):
    """A v1 memory cgroup of the row's own, removed with 'stack'."""
    check(os.path.isdir(MEMORY_V1), f"no v1 memory controller at {MEMORY_V1}")
    return stack.enter_context(TestCgroup(name, root=MEMORY_V1))


def engine_config(cg):
    """The engine of the wolfram rows: refs, 10 s cycles, pageout from 40% idle after one cycle."""
    return ("[Engine]\ncycle_secs=10\nidle_sample_secs=2\nmin_process_anon_mib=16\nidle_backend=refs\n"
            "pageout_threshold=0.4\ncold_threshold=0.3\npageout_after_cycles=1\npressure_limit_percent=1\n"
            f"[KSM]\nenabled=no\n[Exclude]\nonly_cgroups={cg.name}\n")


def engine_cpu_s(env):
    with open(f"/proc/{env.procs['wolframd'].pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def refaults_run(exe, variant, size, zram_swap, algorithm):
    tag = variant_tag(variant)
    with TestCgroup(f"bench-refault-{tag}") as cg, contextlib.ExitStack() as stack:
        argv, user = exe, "nobody"
        if variant.endswith("memcg"):
            mcg = memory_cgroup(stack, f"bench-refault-{tag}")
            # Born there: its memory is charged to that cgroup from the first page.
            argv = ["sh", "-c", f'echo $$ > {mcg.path}/cgroup.procs && exec "$@"', "sh"] + \
                as_user_argv("nobody") + [exe]
            user = None
        w = Workload(argv, size["refault_mib"], content="text", seed=800, hot_percent=50,
                     hot_pattern="interleave", hot_run_kib=4, user=user)
        try:
            cg.add(w.pid)
            t0, out0 = time.monotonic(), pswpout()
            if variant.startswith("wolfram"):
                with Env(config=engine_config(cg)) as env:
                    row = measure(w, t0, size["refault_secs"], {})
                    row["refaulted_bytes"] = env.get_property("TotalRefaultedBytes")
                    row["engine_cpu_s"] = engine_cpu_s(env)
                    env.stop_engine()
            else:
                with Env(engine=False), zram_swap(8 * 1024 * MIB, algorithm):
                    if variant.startswith("LRU"):
                        with SenpaiStyle(size["refault_mib"] * MIB // 100) as senpai:
                            row = measure(w, t0, size["refault_secs"], {})
                            row.update(steps=senpai.steps, steps_skipped=senpai.skipped)
                    else:
                        row = measure(w, t0, size["refault_secs"], {})
            # What was swapped out on the whole machine, the workload's and
            # everybody else's.
            row["machine_swapped_out_mib"] = (pswpout() - out0) * os.sysconf("SC_PAGE_SIZE") / MIB
            row["variant"] = variant
            row["mib"], row["secs"] = size["refault_mib"], size["refault_secs"]
            return row
        finally:
            w.stop()


VARIANTS = ("zram alone", "LRU, Senpai-style", "wolfram", "wolfram, memcg")
# Every HOT_EVERY-th key, by a hash of its number: hot keys spread over the
# whole heap, a few to a page among cold ones.
HOT_EVERY = 20
ZIPF_S = 0.99


def redis_hot_keys(keys):
    return [i for i in range(keys) if (i * 2654435761) % (1 << 32) % HOT_EVERY == 0]


class SkewedReader(ReaderThread):
    """GETs of the hot keys over redis's unix socket, one connection, as
    fast as it answers, each key drawn with a Zipf skew (s = 0.99, YCSB's)
    over a shuffled order of the hot keys; every answer checked against the
    value written. Latencies of the window's second half."""

    def __init__(self, redis, hot):
        super().__init__()
        self.redis = redis
        rng = random.Random(99)
        self.order = list(hot)
        rng.shuffle(self.order)
        total, self.cdf = 0.0, []
        for rank in range(1, len(self.order) + 1):
            total += 1.0 / rank ** ZIPF_S
            self.cdf.append(total)
        self.rng = rng
        self.lat = []
        self.keep = False

    def read(self):
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.redis.socket)
            f = s.makefile("rb")
            top = self.cdf[-1]
            while not self.stopping.is_set():
                i = self.order[bisect.bisect_left(self.cdf, self.rng.random() * top)]
                k = b"key:%012d" % i
                t = time.perf_counter_ns()
                s.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k))
                n = int(f.readline()[1:])
                v = f.read(n + 2)[:-2] if n >= 0 else None
                if self.keep:
                    self.lat.append(time.perf_counter_ns() - t)
                self.reads += 1
                if v != self.redis.value(i):
                    self.wrong += 1


class InBoth:
    """The test's cgroup (what the engine is told to work on) and a v1
    memory cgroup of its own: a process joins the memory cgroup first."""

    def __init__(self, cg, mcg):
        self.cg, self.mcg, self.path, self.name = cg, mcg, cg.path, cg.name

    def add(self, pid):
        self.mcg.add(pid)
        self.cg.add(pid)


def redis_run(variant, size, zram_swap, algorithm):
    tag = variant_tag(variant)
    with TestCgroup(f"bench-redis-{tag}") as cg, contextlib.ExitStack() as stack:
        where = cg
        if variant.endswith("memcg"):
            where = InBoth(cg, memory_cgroup(stack, f"bench-redis-{tag}"))
        redis = stack.enter_context(Redis(where, size["redis_skew_mib"]))
        info = redis.load()
        hot = redis_hot_keys(info["keys"])
        pid = redis.pids()[0]
        cold_bytes = (info["keys"] - len(hot)) * 1024
        with SkewedReader(redis, hot) as reader:
            time.sleep(3)
            t0, out0, flt0 = time.monotonic(), pswpout(), redis.major_faults()
            secs = size["redis_skew_secs"]
            row = {}
            with contextlib.ExitStack() as tool:
                if variant.startswith("wolfram"):
                    env = tool.enter_context(Env(config=engine_config(cg)))
                else:
                    tool.enter_context(Env(engine=False))
                    tool.enter_context(zram_swap(8 * 1024 * MIB, algorithm))
                    if variant.startswith("LRU"):
                        senpai = tool.enter_context(SenpaiStyle(size["redis_skew_mib"] * MIB // 100))
                time.sleep(secs / 2)
                reader.keep = True
                time.sleep(max(0, t0 + secs - time.monotonic()))
                faults = redis.major_faults() - flt0
                swap = redis.swap_bytes()
                if variant.startswith("wolfram"):
                    row["engine_cpu_s"] = engine_cpu_s(env)
                    row["paged_out_bytes"] = env.get_property("TotalPagedOutBytes")
                    env.stop_engine()
                elif variant.startswith("LRU"):
                    row.update(steps=senpai.steps, steps_skipped=senpai.skipped)
        lat = sorted(reader.lat)
        row.update(variant=variant, mib=size["redis_skew_mib"], secs=secs, keys=info["keys"], hot_keys=len(hot),
                   swap_mib=swap / MIB, cold_moved=min(1.0, swap / cold_bytes) if cold_bytes else 0.0,
                   faults=faults, faults_per_min_pct=faults / (secs / 60.0) / len(hot) if hot else 0.0,
                   reads=reader.reads, p99_us=lat[int(0.99 * (len(lat) - 1))] / 1000.0 if lat else 0.0,
                   machine_swapped_out_mib=(pswpout() - out0) * os.sysconf("SC_PAGE_SIZE") / MIB,
                   reader_error=reader.error, wrong=reader.wrong, pid=pid)
        row["data_ok"] = redis.check()["ok"] and reader.wrong == 0 and reader.error is None
        return row


def scenario_refaults(size, exe, zram_swap, algorithm):
    rows = [refaults_run(exe, v, size, zram_swap, algorithm) for v in VARIANTS]
    redis_rows = [redis_run(v, size, zram_swap, algorithm) for v in VARIANTS]
    return {"workload": rows, "redis": redis_rows}


def refaults_table(result):
    rows = result["workload"]
    lines = [f"8. Hot among cold: {rows[0]['mib']} MiB, every other 4 KiB page read every 100 ms, no page_idle, "
             f"{rows[0]['secs']} s each",
             f"   {'variant':<20}{'cold moved':>11}{'hot faults':>12}{'hot in RAM':>11}{'hot p99':>10}"
             f"{'machine out':>13}{'data':>6}"]
    for r in rows:
        lines.append(f"   {r['variant']:<20}{r['cold_moved']:>10.0%}{r['hot_faults']:>11.1%} "
                     f"{r['hot_in_ram']:>10.0%}{r['hot_p99_us']:>8.1f}us{r['machine_swapped_out_mib']:>9.0f} MiB"
                     f"{'ok' if r['data_ok'] else 'BAD':>6}")
    lines.append("   hot faults: the hot pages' major faults over the run, as a share of the hot set;"
                 " machine out: pages swapped out on the whole machine")
    r0 = result["redis"][0]
    lines += ["",
              f"8b. redis-server (the redis user), {r0['mib']} MiB of 1 KiB values, {r0['hot_keys']} hot keys "
              f"(every {HOT_EVERY}th by a hash, spread over the heap) read with a Zipf {ZIPF_S} skew, "
              f"{r0['secs']} s each",
              f"   {'variant':<20}{'in swap':>9}{'cold moved':>11}{'faults/min':>11}{'hot p99':>10}"
              f"{'machine out':>13}{'data':>6}"]
    for r in result["redis"]:
        lines.append(f"   {r['variant']:<20}{r['swap_mib']:>5.0f} MiB{r['cold_moved']:>10.0%}"
                     f"{r['faults_per_min_pct']:>10.2%} {r['p99_us']:>7.0f}us{r['machine_swapped_out_mib']:>9.0f} MiB"
                     f"{'ok' if r['data_ok'] else 'BAD':>6}")
    lines.append("   faults/min: redis's major faults a minute (its hot keys are all it reads), as a share of the"
                 " hot keys; hot p99: the GETs of the window's second half, over the unix socket from Python")
    lines.append("   DAMON: not a row here (this machine's kernel builds paddr only and runs a kdamond of its own"
                 " that must not be touched); bench/vm-reclaim.sh measures it in the test VM")
    return lines
