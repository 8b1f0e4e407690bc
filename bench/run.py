# SPDX-License-Identifier: MIT
"""wolfram's benchmarks, side by side with what people use instead.

    python3 bench/run.py [--short] [--build DIR] [--out DIR] [--scenarios 1,2,3,4,5,6,7,8,9]

Runs as root on a machine with zram, KSM and cgroup2, in a private mount
namespace with a private system bus (the integration tests' harness), and
puts back every sysctl, zram device and KSM setting it changed. Prints one
table; writes results.json, timeline.dat and timeline.png (gnuplot) to --out.
--short is the CI smoke test: small sizes, short windows; it checks that
every scenario ran and every checksum held, never a timing.
"""

import argparse
import ctypes
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "workload"))
import runtimes  # noqa: E402
from harness import (BUS_NAME, BUS_PATH, Env, TestCgroup, check, enter_private_mount_namespace,  # noqa: E402
                     meminfo_bytes, unwrap, wait_for, zram_devices)
from workload import Workload  # noqa: E402
from bench_mappings import mappings_table, scenario_mappings  # noqa: E402
from bench_refaults import refaults_table, scenario_refaults  # noqa: E402
from bench_bus import bus_table, scenario_bus  # noqa: E402

MIB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")
DAMON = "/sys/kernel/mm/damon/admin"
KSM = "/sys/kernel/mm/ksm"

# Full and short (CI smoke) sizes.
SIZES = {
    False: dict(procs=4, size_mib=512, window=90, ksm_procs=4, ksm_mib=64, ksm_cap=240, ksm_runs=10,
                runtime_copies=4, runtime_settle=120, small=1000,
                small_mib=2, large=3, large_mib=512, clients=100, calls=20,
                mappings=[0, 1000, 10000, 30000], mappings_mib=16, mapping_cycles=3, refault_mib=256,
                refault_secs=90, redis_skew_mib=256, redis_skew_secs=90),
    True: dict(procs=2, size_mib=32, window=30, ksm_procs=2, ksm_mib=8, ksm_cap=90, ksm_runs=2,
               runtime_copies=2, runtime_settle=40, small=50,
               small_mib=2, large=1, large_mib=32, clients=20, calls=5,
               mappings=[0, 1000, 3000], mappings_mib=16, mapping_cycles=1, refault_mib=32, refault_secs=35,
               redis_skew_mib=32, redis_skew_secs=25),
}

# wolfram: a cycle every 10 s, page out what stayed idle for two of them.
CYCLE_SECS = 10
IDLE_SAMPLE_SECS = 5
PAGEOUT_AFTER_CYCLES = 2
IDLE_WINDOW_SECS = CYCLE_SECS * PAGEOUT_AFTER_CYCLES


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def read(path):
    with open(path) as f:
        return f.read().strip()


def write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, v = line.split(":", 1)
            if v.strip().endswith("kB"):
                out[k] = int(v.split()[0]) * 1024
    return out


def cpu_seconds(pid):
    fields = read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workload_exe(build):
    exe = os.path.join(build, "tests", "workload", "wolfram-workload")
    check(os.access(exe, os.X_OK), f"{exe} is missing: build first (ninja -C {build})")
    return exe


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


# --- zram swap the way zram-generator makes it ---------------------------------

class ZramSwap:
    """One zram swap device of 'size' bytes, lz4, priority 100: the baseline
    a distribution sets up once at boot."""

    def __init__(self, size, algorithm):
        self.size = size
        self.algorithm = algorithm

    def __enter__(self):
        self.dev = int(read("/sys/class/zram-control/hot_add"))
        base = f"/sys/block/zram{self.dev}"
        write(f"{base}/comp_algorithm", self.algorithm)
        write(f"{base}/disksize", self.size)
        subprocess.run(["mkswap", f"/dev/zram{self.dev}"], check=True, capture_output=True)
        subprocess.run(["swapon", "-p", "100", f"/dev/zram{self.dev}"], check=True)
        return self

    def mm(self):
        v = [int(x) for x in read(f"/sys/block/zram{self.dev}/mm_stat").split()]
        return {"orig": v[0], "compr": v[1], "mem_used": v[2], "same_pages": v[5]}

    def __exit__(self, *exc):
        subprocess.run(["swapoff", f"/dev/zram{self.dev}"], check=False)
        write(f"/sys/block/zram{self.dev}/reset", 1)
        write("/sys/class/zram-control/hot_remove", self.dev)
        return False


def offered_algorithm():
    probe = f"/sys/block/zram{zram_devices()[0]}/comp_algorithm" if zram_devices() else None
    if probe:
        offered = read(probe).replace("[", " ").replace("]", " ").split()
        for a in ("zstd", "lz4", "lzo-rle", "lzo"):
            if a in offered:
                return a
    return "lz4"


# --- DAMON: the kernel's own proactive reclaim --------------------------------

class Damon:
    """paddr monitoring with one DAMOS pageout scheme on regions not accessed
    for IDLE_WINDOW_SECS: what the kernel offers without any daemon."""

    SAMPLE_US, AGGR_US = 5000, 100000

    def __enter__(self):
        self.before = read(f"{DAMON}/kdamonds/nr_kdamonds")
        k = f"{DAMON}/kdamonds"
        write(f"{k}/nr_kdamonds", 1)
        c = f"{k}/0/contexts"
        write(f"{c}/nr_contexts", 1)
        write(f"{c}/0/operations", "paddr")
        write(f"{c}/0/monitoring_attrs/intervals/sample_us", self.SAMPLE_US)
        write(f"{c}/0/monitoring_attrs/intervals/aggr_us", self.AGGR_US)
        write(f"{c}/0/targets/nr_targets", 1)
        write(f"{c}/0/schemes/nr_schemes", 1)
        s = f"{c}/0/schemes/0"
        write(f"{s}/action", "pageout")
        write(f"{s}/access_pattern/nr_accesses/min", 0)
        write(f"{s}/access_pattern/nr_accesses/max", 0)
        write(f"{s}/access_pattern/age/min", IDLE_WINDOW_SECS * 1000000 // self.AGGR_US)
        write(f"{s}/access_pattern/age/max", 2 ** 32 - 1)
        write(f"{k}/0/state", "on")
        self.pid = int(read(f"{k}/0/pid"))
        self.cpu0 = cpu_seconds(self.pid)
        return self

    def cpu(self):
        return cpu_seconds(self.pid) - self.cpu0

    def __exit__(self, *exc):
        k = f"{DAMON}/kdamonds"
        try:
            write(f"{k}/0/state", "off")
        except OSError:
            pass
        write(f"{k}/nr_kdamonds", self.before)
        return False


# --- scenario 1: proactive reclaim ---------------------------------------------

def start_workloads(exe, n, size_mib, hot_percent, content, cg, seed0=100, **kw):
    ws = []
    for i in range(n):
        w = Workload(exe, size_mib, content=content, seed=seed0 + i, hot_percent=hot_percent, **kw)
        cg.add(w.pid)
        ws.append(w)
    return ws


def sample_timeline(ws, pool_mm, t0, rows, label, stop):
    while not stop.is_set():
        rss = sum(proc_status(w.pid).get("VmRSS", 0) for w in ws)
        mm = pool_mm() or {"orig": 0, "compr": 0, "mem_used": 0}
        rows.append((label, time.monotonic() - t0, rss, mm["mem_used"], max(0, mm["orig"] - mm["mem_used"])))
        stop.wait(1.0)


def reclaim_variant(label, size, exe, run_variant):
    """Runs the workloads for the window under one variant; returns its
    figures. run_variant(ws, collect) calls collect(algorithm) at the end of
    the window, before it takes anything down (taking the pool down brings
    the memory back)."""
    with TestCgroup(f"bench-{label}") as cg:
        ws = start_workloads(exe, size["procs"], size["size_mib"], 25, "realistic", cg, regions=4)
        try:
            time.sleep(3)  # the hot threads warm up; everything is resident
            for w in ws:
                w.reset_stats()
            mem0 = meminfo_bytes()["MemAvailable"]
            rss0 = sum(proc_status(w.pid)["VmRSS"] for w in ws)

            def collect(algorithm=None):
                # The figures first, before anything reads the memory back.
                out = {"swapped_bytes": sum(proc_status(w.pid).get("VmSwap", 0) for w in ws),
                       "workload_rss_before": rss0,
                       "workload_rss_after": sum(proc_status(w.pid)["VmRSS"] for w in ws),
                       "mem_available_gain": meminfo_bytes()["MemAvailable"] - mem0}
                if algorithm:
                    out["offline"] = offline_compression(ws, algorithm)
                reports = [w.report() for w in ws]
                cold = sum(r["size_bytes"] for r in reports) * 0.75
                out.update({
                    "cold_moved_share": out["swapped_bytes"] / cold if cold else 0.0,
                    "hot_major_faults": sum(r["hot_major_faults"] for r in reports),
                    "hot_p99_ns": max(r["hot_latency_ns"]["p99"] for r in reports),
                    "hot_p50_ns": statistics.median(r["hot_latency_ns"]["p50"] for r in reports),
                    "checksums_ok": all(r["checksum_ok"] for r in reports),
                })
                return out

            out = run_variant(cg, ws, collect)
            out["variant"] = label
            # And once more after the teardown: nothing lost on the way back.
            out["checksums_ok"] = out["checksums_ok"] and all(w.verify()["ok"] for w in ws)
            return out
        finally:
            for w in ws:
                w.stop()


def run_zram_only(size, exe, timeline):
    def variant(cg, ws, collect):
        with ZramSwap(4 * 1024 * MIB, offered_algorithm()) as z:
            stop = threading.Event()
            t = threading.Thread(target=sample_timeline, args=(ws, z.mm, time.monotonic(), timeline, "zram-only",
                                                               stop))
            t.start()
            time.sleep(size["window"])
            stop.set()
            t.join()
            out = {"pool_memory_used": z.mm()["mem_used"], "engine_cpu_s": 0.0, "engine_peak_rss": 0}
            out.update(collect())
            return out
    return reclaim_variant("zram-only", size, exe, variant)


def running_kdamond():
    """A kdamond someone else runs, described, or None."""
    k = f"{DAMON}/kdamonds"
    for i in range(int(read(f"{k}/nr_kdamonds"))):
        if read(f"{k}/{i}/state") != "on":
            continue
        desc = [f"kdamond {i} (pid {read(f'{k}/{i}/pid')})"]
        c = f"{k}/{i}/contexts/0"
        try:
            desc.append(read(f"{c}/operations"))
            for s in range(int(read(f"{c}/schemes/nr_schemes"))):
                a = f"{c}/schemes/{s}"
                age = int(read(f"{a}/access_pattern/age/min")) * int(read(f"{c}/monitoring_attrs/intervals/aggr_us"))
                desc.append(f"{read(f'{a}/action')} of regions idle for {age / 1e6:.0f} s")
        except OSError:
            pass
        return ", ".join(desc)
    return None


def run_damon(size, exe, timeline):
    if not os.path.isdir(DAMON):
        return {"variant": "damon", "skipped": "the kernel has no DAMON sysfs interface"}
    other = running_kdamond()
    if other:
        return {"variant": "damon", "skipped": f"this machine runs DAMON already ({other}); not ours to change, "
                                               "and it acts during every variant"}

    def variant(cg, ws, collect):
        with ZramSwap(4 * 1024 * MIB, offered_algorithm()) as z, Damon() as d:
            stop = threading.Event()
            t = threading.Thread(target=sample_timeline, args=(ws, z.mm, time.monotonic(), timeline, "damon", stop))
            t.start()
            time.sleep(size["window"])
            stop.set()
            t.join()
            out = {"pool_memory_used": z.mm()["mem_used"], "engine_cpu_s": d.cpu(), "engine_peak_rss": 0}
            out.update(collect())
            return out
    return reclaim_variant("damon", size, exe, variant)


def engine_config(cg, backend, extra=""):
    return (f"[Engine]\ncycle_secs={CYCLE_SECS}\nidle_sample_secs={IDLE_SAMPLE_SECS}\n"
            f"pageout_after_cycles={PAGEOUT_AFTER_CYCLES}\nmin_process_anon_mib=1\nidle_backend={backend}\n"
            f"{extra}[KSM]\nenabled=no\n[Exclude]\nonly_cgroups={cg.name}\n")


def pool_mm(env):
    devs = env.get_property("PoolDevices")
    if not devs:
        return None
    tot = {"orig": 0, "compr": 0, "mem_used": 0, "same_pages": 0}
    for d in devs:
        v = [int(x) for x in read(f"/sys/block/{d}/mm_stat").split()]
        tot["orig"] += v[0]
        tot["compr"] += v[1]
        tot["mem_used"] += v[2]
        tot["same_pages"] += v[5]
    return tot


def run_wolfram(size, exe, timeline, backend, responsiveness=None):
    label = f"wolfram-{backend}"

    def variant(cg, ws, collect):
        with Env(config=engine_config(cg, backend)) as env:
            pid = env.procs["wolframd"].pid
            cpu0 = cpu_seconds(pid)
            stop = threading.Event()
            t = threading.Thread(target=sample_timeline, args=(ws, lambda: pool_mm(env), time.monotonic(), timeline,
                                                               label, stop))
            t.start()
            deadline = time.monotonic() + size["window"]
            extra = {}
            if responsiveness:
                extra["responsiveness"] = responsiveness(env)
            time.sleep(max(0, deadline - time.monotonic()))
            stop.set()
            t.join()
            mm = pool_mm(env) or {"orig": 0, "compr": 0, "mem_used": 0, "same_pages": 0}
            out = {"pool_memory_used": mm["mem_used"], "engine_cpu_s": cpu_seconds(pid) - cpu0,
                   "engine_peak_rss": proc_status(pid)["VmHWM"], "cycles": env.get_property("CycleCount"),
                   "compression": {"algorithm": env.get_property("PoolAlgorithm"), "pool_orig": mm["orig"],
                                   "pool_compr": mm["compr"], "pool_same_pages": mm["same_pages"]}}
            out.update(extra)
            got = collect(out["compression"]["algorithm"])
            out["compression"]["offline"] = got.pop("offline")
            out.update(got)
            return out
    return reclaim_variant(label, size, exe, variant)


# --- scenario 3: the pool against the codec ------------------------------------

class Codec:
    def __init__(self, algorithm):
        self.algorithm = algorithm
        if algorithm == "zstd":
            self.lib = ctypes.CDLL("libzstd.so.1")
            self.lib.ZSTD_compressBound.restype = ctypes.c_size_t
            self.lib.ZSTD_compress.restype = ctypes.c_size_t
            self.lib.ZSTD_isError.restype = ctypes.c_uint
            self.bound = self.lib.ZSTD_compressBound(ctypes.c_size_t(PAGE))
        else:
            self.lib = ctypes.CDLL("liblz4.so.1")
            self.bound = self.lib.LZ4_compressBound(PAGE)
        self.dst = ctypes.create_string_buffer(self.bound)

    def size(self, page):
        if self.algorithm == "zstd":
            n = self.lib.ZSTD_compress(self.dst, ctypes.c_size_t(self.bound), page, ctypes.c_size_t(len(page)),
                                       ctypes.c_int(1))
            check(not self.lib.ZSTD_isError(ctypes.c_size_t(n)), "ZSTD_compress failed")
            return n
        n = self.lib.LZ4_compress_default(page, self.dst, len(page), self.bound)
        check(n > 0, "LZ4_compress_default failed")
        return n


def swapped_pages(pid):
    """Addresses of the process's pages that are in swap now (pagemap bit 62)."""
    out = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb") as pm:
        for line in maps:
            fields = line.split()
            if len(fields) > 5:
                continue  # file-backed or named ([heap] and [stack] included: they hold no workload data)
            start, end = (int(x, 16) for x in fields[0].split("-"))
            pm.seek(start // PAGE * 8)
            data = pm.read((end - start) // PAGE * 8)
            for i in range(len(data) // 8):
                entry = int.from_bytes(data[i * 8:i * 8 + 8], "little")
                if entry & (1 << 62):
                    out.append(start + i * PAGE)
    return out


def offline_compression(ws, algorithm):
    """What the codec makes of the very pages in the pool, page by page as zram
    stores them (a page that does not shrink is stored whole). Reading them
    brings them back: done last."""
    if algorithm not in ("lz4", "zstd"):
        return {"skipped": f"no offline codec for {algorithm}"}
    codec = Codec(algorithm)
    pages = same = total = 0
    for w in ws:
        addrs = swapped_pages(w.pid)
        with open(f"/proc/{w.pid}/mem", "rb", buffering=0) as mem:
            for a in addrs:
                mem.seek(a)
                page = mem.read(PAGE)
                pages += 1
                if page.count(page[:8]) * 8 == PAGE:
                    same += 1
                    continue
                total += min(codec.size(page), PAGE)
    # Since 6.12 the swap layer keeps same-filled (zero) pages out of the
    # device, so the pool never sees them: the ratio is over the others.
    stored = (pages - same) * PAGE
    return {"pages": pages, "same_pages": same, "orig": stored, "compr": total,
            "ratio": stored / total if total else 0.0}


# --- scenario 4: responsiveness --------------------------------------------------

CLIENT = r"""
import json, sys, time
from gi.repository import Gio
n = int(sys.argv[1])
bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
sys.stdin.readline()
out = []
for _ in range(n):
    t = time.monotonic()
    bus.call_sync("org.wolfram.Memory1", "/org/wolfram/Memory1", "org.wolfram.Memory1", "GetStats", None, None,
                  Gio.DBusCallFlags.NONE, 10000, None)
    out.append(time.monotonic() - t)
print(json.dumps(out), flush=True)
"""


def responsiveness(size):
    def measure(env):
        # Wait for a cycle to be under way (its idle sample takes seconds).
        n = env.get_property("CycleCount")
        wait_for(lambda: env.get_property("CycleCount") > n, CYCLE_SECS + IDLE_SAMPLE_SECS + 10, "a cycle")
        time.sleep(CYCLE_SECS - 1)  # the next one starts about now
        clients = [subprocess.Popen(["/usr/bin/python3", "-c", CLIENT, str(size["calls"])], env=env.env(),
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                   for _ in range(size["clients"])]
        time.sleep(1)  # all connected
        for c in clients:
            c.stdin.write("go\n")
            c.stdin.flush()
        lat = []
        for c in clients:
            lat += json.loads(c.stdout.readline())
            c.wait(30)
        walls = []
        for _ in range(10):
            t = time.monotonic()
            env.ctl("status", check_rc=0)
            walls.append(time.monotonic() - t)
        return {"clients": size["clients"], "calls": len(lat), "getstats_p50_ms": percentile(lat, 50) * 1e3,
                "getstats_p99_ms": percentile(lat, 99) * 1e3, "ctl_status_median_ms": statistics.median(walls) * 1e3,
                "ctl_status_max_ms": max(walls) * 1e3}
    return measure


# --- scenario 2: deduplication ----------------------------------------------------

# The engine's low rate (KSM_PAGES_TO_SCAN_IDLE in engine/ksm/ksm-control.h).
KSM_IDLE_RATE = 64


def ksmd_pid():
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if read(f"/proc/{p}/comm") == "ksmd":
                    return int(p)
            except OSError:
                pass
    return None


def merging_pages(ws):
    """The workloads' pages that KSM merged, from their own ksm_stat."""
    total = 0
    for w in ws:
        with open(f"/proc/{w.pid}/ksm_stat") as f:
            for line in f:
                if line.startswith("ksm_merging_pages "):
                    total += int(line.split()[1])
    return total


def dedup_run(label, size, exe, merge, start_ksm, idle_rate=None):
    """idle_rate: the pages_to_scan that means the engine went back to its
    low rate; the run then also times that, from 90% merged."""
    pages = size["ksm_mib"] * MIB // PAGE
    target = 0.9 * size["ksm_procs"] * pages
    kpid = ksmd_pid()
    ws = []
    try:
        with start_ksm():
            cpu0 = cpu_seconds(kpid)
            t0 = time.monotonic()
            for _ in range(size["ksm_procs"]):
                ws.append(Workload([merge, "--method=prctl", "--quiet", "--", exe], size["ksm_mib"], content="random",
                                   seed=42))
            reached = None
            while time.monotonic() - t0 < size["ksm_cap"]:
                if merging_pages(ws) >= target:
                    reached = time.monotonic() - t0
                    break
                time.sleep(0.5)
            merged = merging_pages(ws)
            cpu = cpu_seconds(kpid) - cpu0
            elapsed = time.monotonic() - t0
            to_idle = None
            if idle_rate is not None and reached is not None:
                t1 = time.monotonic()
                while time.monotonic() - t1 < 120:
                    if int(read(f"{KSM}/pages_to_scan")) <= idle_rate:
                        to_idle = time.monotonic() - t1
                        break
                    time.sleep(0.5)
            ok = all(w.verify()["ok"] for w in ws)
    finally:
        for w in ws:
            w.stop()
    return {"variant": label, "processes": size["ksm_procs"], "mib_each": size["ksm_mib"],
            "seconds_to_90pct": reached, "merged_share": merged / (size["ksm_procs"] * pages),
            "ksmd_cpu_s": cpu, "ksmd_cpu_percent": 100.0 * cpu / elapsed if elapsed > 0 else 0.0,
            "seconds_to_idle": to_idle,
            "checksums_ok": ok}


class KernelDefaultKsm:
    def __enter__(self):
        self.saved = {k: read(f"{KSM}/{k}") for k in ("run", "pages_to_scan", "sleep_millisecs")}
        write(f"{KSM}/pages_to_scan", 100)
        write(f"{KSM}/sleep_millisecs", 20)
        write(f"{KSM}/run", 1)
        return self

    def __exit__(self, *exc):
        for k in ("pages_to_scan", "sleep_millisecs", "run"):
            write(f"{KSM}/{k}", self.saved[k])
        return False


def scenario_dedup(size, build):
    """Each engine run starts a fresh engine (a restart, as a user's would
    be); the kernel's defaults run in the middle, so that the engine's runs
    after it come after another KSM user. Full mode: ten engine runs."""
    exe = workload_exe(build)
    merge = os.path.join(build, "merge", "wolfram-merge")
    out = []

    class WithEngine:
        def __enter__(self):
            self.env = Env(config="[Engine]\ncycle_secs=3600\n[Exclude]\nonly_cgroups=/wolfram-bench-nothing\n")
            self.env.__enter__()
            # As a user's second copy of a service would find it: the engine
            # running for a while, KSM back at its low rate.
            try:
                wait_for(lambda: int(read(f"{KSM}/pages_to_scan")) <= KSM_IDLE_RATE, 60, "KSM's low rate")
            except BaseException:
                self.env.__exit__(None, None, None)
                raise
            return self

        def __exit__(self, *exc):
            return self.env.__exit__(*exc)

    n = size["ksm_runs"]
    runs = []
    for i in range(n):
        if i == n // 2:
            with Env(engine=False):
                out.append(dedup_run("kernel defaults (100 pages / 20 ms)", size, exe, merge, KernelDefaultKsm))
        runs.append(dedup_run(f"wolfram, run {i + 1}", size, exe, merge, WithEngine, idle_rate=KSM_IDLE_RATE))
    # A run that never got there counts as the cap.
    times = sorted(r["seconds_to_90pct"] if r["seconds_to_90pct"] is not None else size["ksm_cap"] for r in runs)
    cpus = sorted(r["ksmd_cpu_s"] for r in runs)
    summary = {"variant": f"wolfram ({n} runs, each a fresh engine)", "processes": runs[0]["processes"],
               "mib_each": runs[0]["mib_each"], "runs": runs,
               "seconds_to_90pct": (None if any(r["seconds_to_90pct"] is None for r in runs) else times[-1]),
               "seconds_min": times[0], "seconds_median": times[len(times) // 2], "seconds_max": times[-1],
               "ksmd_cpu_s": cpus[len(cpus) // 2], "ksmd_cpu_max_s": cpus[-1],
               "ksmd_cpu_percent_max": max(r["ksmd_cpu_percent"] for r in runs),
               "merged_share": min(r["merged_share"] for r in runs),
               "seconds_to_idle_max": (None if any(r["seconds_to_idle"] is None for r in runs)
                                       else max(r["seconds_to_idle"] for r in runs)),
               "checksums_ok": all(r["checksums_ok"] for r in runs)}
    return [summary] + out


def scenario_runtimes(size, build):
    """Scenario 10: real runtimes through wolfram-merge as an ordinary user,
    beside the same number without it, the engine running KSM."""
    merge = os.path.join(build, "merge", "wolfram-merge")
    rows = []
    for kind in ("python", "java"):
        with Env(config="[Engine]\ncycle_secs=3600\n[Exclude]\nonly_cgroups=/wolfram-bench-nothing\n") as env:
            kpid = ksmd_pid()
            cpu0 = cpu_seconds(kpid)
            r = runtimes.measure(kind, size["runtime_copies"], merge, size["runtime_settle"], env.tmp)
            r["ksmd_cpu_s"] = cpu_seconds(kpid) - cpu0
            r["ksmd_cpu_percent"] = 100.0 * r["ksmd_cpu_s"] / r["seconds"]
            env.stop_engine()
        rows.append(r)
    return rows


def runtimes_table(rows):
    lines = ["10. Real runtimes through wolfram-merge (each as nobody; the same number without it, side by side)"]
    for r in rows:
        lines.append(f"   {r['copies']} x {r['kind']:<7} launched: {r['launched_merging_bytes'] / MIB:7.1f} MiB "
                     f"merging, profit {r['launched_profit_bytes'] / MIB:7.1f} MiB of "
                     f"{r['launched_rss_bytes'] / MIB:7.1f} MiB RSS; "
                     f"without: {r['plain_merging_bytes'] / MIB:.1f} MiB merging; ksmd CPU {r['ksmd_cpu_s']:.1f} s "
                     f"({r['ksmd_cpu_percent']:.0f}%) over {r['seconds']:.0f} s")
    return lines


# --- scenario 5: scale ----------------------------------------------------------

def scenario_scale(size, build):
    exe = workload_exe(build)
    with TestCgroup("bench-scale") as cg:
        ws = []
        try:
            ws += start_workloads(exe, size["small"], size["small_mib"], 0, "text", cg, seed0=1000)
            ws += start_workloads(exe, size["large"], size["large_mib"], 25, "realistic", cg, seed0=5000)
            with Env(config=engine_config(cg, "refs")) as env:
                pid = env.procs["wolframd"].pid
                wait_for(lambda: env.get_property("CycleCount") >= 2, 3 * CYCLE_SECS + 60, "two cycles")
                r = env.run(["busctl", "--system", "--json=short", "call", BUS_NAME, BUS_PATH, BUS_NAME, "GetStats"],
                            check_rc=0)
                last = unwrap(json.loads(r.stdout)["data"][0])["LastCycle"]
                st = proc_status(pid)
                scanned_gib = last["ScannedBytes"] / (1024 * MIB)
                result = {"processes": last["Processes"], "scanned_gib": scanned_gib,
                          "cycle_s": last["DurationUsec"] / 1e6,
                          "cycle_work_s": (last["DurationUsec"] / 1e6) - IDLE_SAMPLE_SECS,
                          "engine_cpu_s_per_gib": (last["CpuUsec"] / 1e6) / scanned_gib if scanned_gib else 0.0,
                          "engine_rss": st["VmRSS"], "engine_peak_rss": st["VmHWM"]}
            result["checksums_ok"] = all(w.verify()["ok"] for w in ws)
            return result
        finally:
            for w in ws:
                w.stop()


# --- output -----------------------------------------------------------------------

def fmt_bytes(n):
    return f"{n / MIB:.1f} MiB"


def table(results):
    lines = []
    if "reclaim" in results:
        lines.append("1. Proactive reclaim (25% hot, 75% cold, realistic content, "
                     f"{results['reclaim'][0].get('window_s', '?')} s)")
        lines.append(f"   {'variant':<18}{'cold moved':>11}{'RAM back':>12}{'pool RAM':>11}{'hot faults':>11}"
                     f"{'hot p99':>10}{'CPU s':>8}{'peak RSS':>11}{'data':>6}")
        for r in results["reclaim"]:
            if "skipped" in r:
                where = "; runs in the test VM instead (bench-vm-reclaim)" if r["variant"] in VM_VARIANTS else ""
                lines.append(f"   {r['variant']:<18}skipped: {r['skipped']}{where}")
                continue
            lines.append(f"   {r['variant']:<18}{r['cold_moved_share'] * 100:>10.1f}%"
                         f"{fmt_bytes(r['workload_rss_before'] - r['workload_rss_after']):>12}"
                         f"{fmt_bytes(r['pool_memory_used']):>11}{r['hot_major_faults']:>11}"
                         f"{r['hot_p99_ns'] / 1000:>8.1f}us{r['engine_cpu_s']:>8.2f}"
                         f"{fmt_bytes(r['engine_peak_rss']):>11}{'ok' if r['checksums_ok'] else 'BAD':>6}")
    if "dedup" in results:
        lines.append("2. Deduplication (identical workloads through wolfram-merge)")
        for r in results["dedup"]:
            t = f"{r['seconds_to_90pct']:.1f} s" if r["seconds_to_90pct"] is not None else "not reached"
            if "runs" in r:
                lines.append(f"   {r['variant']}: 90% merged in min {r['seconds_min']:.1f} s, median "
                             f"{r['seconds_median']:.1f} s, max {r['seconds_max']:.1f} s; ksmd CPU median "
                             f"{r['ksmd_cpu_s']:.2f} s, at most {r['ksmd_cpu_percent_max']:.0f}% of a CPU over a run; "
                             f"merged at least {r['merged_share'] * 100:.1f}%, data "
                             f"{'ok' if r['checksums_ok'] else 'BAD'}")
                for x in r["runs"]:
                    tx = f"{x['seconds_to_90pct']:.1f} s" if x["seconds_to_90pct"] is not None else "not reached"
                    ti = f"{x['seconds_to_idle']:.1f} s" if x["seconds_to_idle"] is not None else "not within 120 s"
                    lines.append(f"      {x['variant']:<35} 90% in {tx:>11}, ksmd CPU {x['ksmd_cpu_s']:.2f} s "
                                 f"({x['ksmd_cpu_percent']:.0f}%), back to the low rate {ti} after")
                continue
            lines.append(f"   {r['variant']:<38} 90% merged in {t:>12}, merged {r['merged_share'] * 100:5.1f}%, "
                         f"ksmd CPU {r['ksmd_cpu_s']:.2f} s, data {'ok' if r['checksums_ok'] else 'BAD'}")
    if "compression" in results:
        c = results["compression"]
        if "skipped" in c:
            lines.append(f"3. Compression: skipped: {c['skipped']}")
        else:
            pool_ratio = c["pool_orig"] / c["pool_compr"] if c["pool_compr"] else 0.0
            off = c["offline"]
            lines.append(f"3. Compression ({c['algorithm']}): pool {fmt_bytes(c['pool_orig'])} -> "
                         f"{fmt_bytes(c['pool_compr'])} (ratio {pool_ratio:.2f}); the codec on the same "
                         f"{off.get('pages', 0)} pages ({off.get('same_pages', 0)} zero-filled, which swap keeps "
                         f"out of zram, left out): ratio {off.get('ratio', 0):.2f}; pool reaches "
                         f"{(pool_ratio / off['ratio'] * 100) if off.get('ratio') else 0:.0f}% of the codec")
    if "responsiveness" in results:
        r = results["responsiveness"]
        lines.append(f"4. Responsiveness during a cycle: GetStats from {r['clients']} clients ({r['calls']} calls) "
                     f"p50 {r['getstats_p50_ms']:.1f} ms, p99 {r['getstats_p99_ms']:.1f} ms; wolframctl status "
                     f"median {r['ctl_status_median_ms']:.1f} ms, max {r['ctl_status_max_ms']:.1f} ms")
    if "scale" in results:
        r = results["scale"]
        lines.append(f"5. Scale: {r['processes']} processes, {r['scanned_gib']:.2f} GiB scanned: cycle "
                     f"{r['cycle_s']:.1f} s ({r['cycle_work_s']:.1f} s besides the idle sample), engine CPU "
                     f"{r['engine_cpu_s_per_gib']:.3f} s per GiB, engine RSS {fmt_bytes(r['engine_rss'])} "
                     f"(peak {fmt_bytes(r['engine_peak_rss'])}), data {'ok' if r['checksums_ok'] else 'BAD'}")
    if "mappings" in results:
        lines += mappings_table(results["mappings"])
    return "\n".join(lines)


def plot(timeline, out):
    dat = os.path.join(out, "timeline.dat")
    labels = sorted({row[0] for row in timeline})
    with open(dat, "w") as f:
        for label in labels:
            f.write(f"# {label}\n# seconds workload_rss_mib pool_ram_mib saved_mib\n")
            for row in timeline:
                if row[0] == label:
                    f.write(f"{row[1]:.1f} {row[2] / MIB:.1f} {row[3] / MIB:.1f} {row[4] / MIB:.1f}\n")
            f.write("\n\n")
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return "gnuplot is not installed (package gnuplot-nox)"
    png = os.path.join(out, "timeline.png")
    plots = []
    for i, label in enumerate(labels):
        plots.append(f"'{dat}' index {i} using 1:2 with lines title '{label}: workload RSS'")
        plots.append(f"'{dat}' index {i} using 1:3 with lines dashtype 2 title '{label}: pool RAM'")
        plots.append(f"'{dat}' index {i} using 1:4 with lines dashtype 3 title '{label}: saved'")
    script = (f"set terminal pngcairo size 1200,700 noenhanced\nset output '{png}'\n"
              "set title 'Scenario 1: workload RSS, pool RAM and saved memory over time'\n"
              "set xlabel 'seconds'\nset ylabel 'MiB'\nset key outside right\nset grid\n"
              "plot " + ", ".join(plots) + "\n")
    r = subprocess.run([gnuplot], input=script, text=True, capture_output=True)
    if r.returncode != 0 or not os.path.exists(png):
        script = script.replace("pngcairo", "png")
        r = subprocess.run([gnuplot], input=script, text=True, capture_output=True)
    return None if r.returncode == 0 and os.path.exists(png) else f"gnuplot failed: {r.stderr.strip()}"


# Rows that cannot run on a host without page_idle and with a kdamond of its
# own; they run in the test VM instead (bench/vm-reclaim.sh, the meson test
# bench-vm-reclaim), which fails on its own figures.
VM_VARIANTS = {"damon", "wolfram-page_idle"}


def figure_checks(results):
    """What every run must show, whatever the machine's speed: each tool did
    its job. Not timings: those are for people to read."""
    bad = []
    for r in results.get("reclaim", []):
        v = r["variant"]
        if "skipped" in r:
            if v not in VM_VARIANTS:
                bad.append(f"scenario 1: {v} skipped ({r['skipped']}), and it has no VM row")
            continue
        if v == "zram-only" and r["cold_moved_share"] > 0.05:
            bad.append(f"scenario 1: zram swap alone moved {r['cold_moved_share']:.0%} of the cold memory")
        if v.startswith("wolfram") and r["cold_moved_share"] < 0.8:
            bad.append(f"scenario 1: {v} moved only {r['cold_moved_share']:.0%} of the cold memory")
        if v.startswith("wolfram") and r["workload_rss_before"] <= r["workload_rss_after"]:
            bad.append(f"scenario 1: {v} gave no RAM back")
    for r in results.get("dedup", []):
        if r["seconds_to_90pct"] is None or r["merged_share"] < 0.9:
            bad.append(f"scenario 2: {r['variant']} merged {r['merged_share']:.0%}")
        if "runs" in r and r["seconds_to_idle_max"] is None:
            bad.append(f"scenario 2: {r['variant']}: KSM did not go back to its low rate within 120 s")
    c = results.get("compression", {})
    if "offline" in c and c.get("pool_compr"):
        ratio = c["pool_orig"] / c["pool_compr"]
        if ratio <= 1.0 or (c["offline"].get("ratio") and ratio < 0.8 * c["offline"]["ratio"]):
            bad.append(f"scenario 3: pool ratio {ratio:.2f}, the codec's {c['offline'].get('ratio', 0):.2f}")
    sc = results.get("scale")
    if sc and sc.get("processes", 0) < results["sizes"]["small"]:
        bad.append(f"scenario 5: the cycle looked at {sc.get('processes')} of {results['sizes']['small']} processes")
    for r in results.get("mappings", {}).get("rows", []):
        if r["reclaim_advised"] <= 0 or r["cycles"] < 1:
            bad.append(f"scenario 6: {r['mappings']} mappings: no cycle or nothing advised")
    for r in results.get("apps", {}).get("rows", []):
        if r["variant"] == "wolfram" and r["engine_paged_out"] <= 0:
            bad.append(f"scenario 7: nothing of {r['app']} paged out")
    for r in results.get("runtimes", []):
        if r["launched_merging_bytes"] <= 0 or r["plain_merging_bytes"] > 0:
            bad.append(f"scenario 10: {r['kind']}: {r['launched_merging_bytes']} bytes merged through the launcher, "
                       f"{r['plain_merging_bytes']} without")
    bus = results.get("bus")
    if bus and (bus["errors"] or not bus["calls"] or not bus["pageout_busy_throughout"]
                or bus["ping"]["errors"] or not bus["ping"]["calls"]):
        bad.append(f"scenario 9: {bus['errors']} errors in {bus['calls']} calls ({bus['first_error']}), "
                   f"{bus['ping']['errors']} in {bus['ping']['calls']} pings, pageout under way "
                   f"throughout: {bus['pageout_busy_throughout']}")
    for r in results.get("refaults", {}).get("workload", []):
        if r["variant"].startswith("wolfram") and (r["cold_moved"] < 0.8 or r["hot_in_ram"] < 0.8):
            bad.append(f"scenario 8: {r['variant']} moved {r['cold_moved']:.0%} of the cold pages and kept "
                       f"{r['hot_in_ram']:.0%} of the hot ones in RAM")
    return bad


def main():
    # bench_apps uses this file's engine settings: imported here, once this
    # module is whole.
    import bench_apps
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", action="store_true", help="small and quick: the CI smoke test")
    ap.add_argument("--build", default=os.path.join(SOURCE_DIR, "build"), help="the meson build directory")
    ap.add_argument("--out", default=os.path.join(SOURCE_DIR, "bench-results"), help="where results go")
    ap.add_argument("--scenarios", default="1,2,3,4,5,6,7,8,9,10", help="which to run, e.g. 1,3")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/run.py must run as root: it makes zram devices and starts KSM and DAMON.")
    os.environ.setdefault("WOLFRAMD", os.path.join(args.build, "daemon", "wolframd"))
    os.environ.setdefault("WOLFRAMCTL", os.path.join(args.build, "ctl", "wolframctl"))
    os.environ.setdefault("WOLFRAM_WORKLOAD", os.path.join(args.build, "tests", "workload", "wolfram-workload"))
    wanted = {int(s) for s in args.scenarios.split(",") if s}
    # Two pipes per workload, a thousand workloads in scenario 5.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    size = SIZES[args.short]
    exe = workload_exe(args.build)
    os.makedirs(args.out, exist_ok=True)
    enter_private_mount_namespace()

    results = {"mode": "short" if args.short else "full", "machine": {
        "cpus": os.cpu_count(), "mem_total": meminfo_bytes()["MemTotal"], "kernel": os.uname().release},
        "sizes": size}
    timeline = []
    if wanted & {1, 3, 4}:
        log("Scenario 1: proactive reclaim (each variant %d s)" % size["window"])
        runs = [run_zram_only(size, exe, timeline), run_damon(size, exe, timeline)]
        backends = ["refs"] + (["page_idle"] if os.path.exists("/sys/kernel/mm/page_idle/bitmap") else [])
        for b in backends:
            runs.append(run_wolfram(size, exe, timeline, b,
                                    responsiveness(size) if (4 in wanted and b == "refs") else None))
        if "page_idle" not in backends:
            runs.append({"variant": "wolfram-page_idle",
                         "skipped": "this kernel has no page_idle (CONFIG_IDLE_PAGE_TRACKING)"})
        for r in runs:
            r["window_s"] = size["window"]
        wolfram_refs = next(r for r in runs if r["variant"] == "wolfram-refs")
        if 1 in wanted:
            results["reclaim"] = runs
        if 3 in wanted:
            results["compression"] = wolfram_refs.get("compression", {"skipped": "no pool"})
        if 4 in wanted:
            results["responsiveness"] = wolfram_refs["responsiveness"]
        results["plot_note"] = plot(timeline, args.out)
    if 2 in wanted:
        log("Scenario 2: deduplication")
        results["dedup"] = scenario_dedup(size, args.build)
    if 5 in wanted:
        log("Scenario 5: scale")
        results["scale"] = scenario_scale(size, args.build)
    if 6 in wanted:
        log("Scenario 6: mappings")
        results["mappings"] = scenario_mappings(size, exe)
    if 7 in wanted:
        log("Scenario 7: real applications")
        results["apps"] = bench_apps.scenario_apps(args.short)
    if 8 in wanted:
        log("Scenario 8: hot among cold (each variant %d s)" % size["refault_secs"])
        results["refaults"] = scenario_refaults(size, exe, ZramSwap, offered_algorithm())

    if 9 in wanted:
        log("Scenario 9: the bus under load")
        results["bus"] = scenario_bus(args.short, exe, args.build)
    if 10 in wanted:
        log("Scenario 10: real runtimes merged")
        results["runtimes"] = scenario_runtimes(size, args.build)

    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    text = table(results)
    if "apps" in results:
        text += "\n" + bench_apps.table(results["apps"])
    if "refaults" in results:
        text += "\n" + "\n".join(refaults_table(results["refaults"]))
    if "bus" in results:
        text += "\n" + "\n".join(bus_table(results["bus"]))
    if "runtimes" in results:
        text += "\n" + "\n".join(runtimes_table(results["runtimes"]))
    with open(os.path.join(args.out, "results.txt"), "w") as f:
        f.write(text + "\n")
    print(text)

    # The smoke test's checks: every scenario ran, every checksum held.
    bad = []
    for key, n in (("reclaim", 1), ("dedup", 2), ("compression", 3), ("responsiveness", 4), ("scale", 5),
                   ("mappings", 6), ("apps", 7), ("refaults", 8), ("bus", 9), ("runtimes", 10)):
        if n in wanted and key not in results:
            bad.append(f"scenario {n} did not run")
    for r in (results.get("reclaim", []) + results.get("dedup", []) + [results.get("scale", {})]
              + [results.get("mappings", {})]):
        if r and "skipped" not in r and not r.get("checksums_ok"):
            bad.append(f"checksum failed in {r.get('variant', 'scale')}")
    refaults = results.get("refaults", {})
    for r in refaults.get("workload", []) + refaults.get("redis", []):
        if not r["data_ok"]:
            bad.append(f"scenario 8 ({r['variant']}{', redis' if 'keys' in r else ''}): data changed")
    for r in results.get("apps", {}).get("rows", []):
        if not (r["data_ok"] and r["answers"]):
            bad.append(f"{r['app']} ({r['variant']}): data changed or no answer")
    if 3 in wanted and "offline" not in results.get("compression", {}):
        bad.append("scenario 3 has no offline figure")
    bad += figure_checks(results)
    if bad:
        sys.exit("bench: " + "; ".join(bad))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    main()
