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
                   10 s, pageout from 40% idle after one cycle: at the first
                   pageout the hot pages go too, come back once, are learned.
                   (Where cgroup v2 has memory.reclaim the engine hands such
                   regions to the cgroup's LRU instead: this machine's
                   cgroup v1 has none, so that row is bench/vm-reclaim.sh's
                   wolfram-refs-cgroup, in the test VM.)

Per row: the share of the cold pages in swap at the end, the hot pages'
major faults as a share of the hot set over the run, the hot reads' p99,
the data checked. DAMON is not a row here: this machine's kernel builds
DAMON with paddr only and runs a kdamond of its own that must not be
touched (bench/vm-reclaim.sh measures DAMON in the test VM)."""

import os
import threading
import time

from harness import BUS_NAME, BUS_PATH, Env, TestCgroup, check, wait_for  # noqa: F401
from workload import Workload

MIB = 1024 * 1024
NODE_RECLAIM = "/sys/devices/system/node/node0/reclaim"


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


def refaults_run(exe, variant, size, zram_swap, algorithm):
    with TestCgroup(f"bench-refault-{variant.split()[0].lower()}") as cg:
        w = Workload(exe, size["refault_mib"], content="text", seed=800, hot_percent=50,
                     hot_pattern="interleave", hot_run_kib=4, user="nobody")
        try:
            cg.add(w.pid)
            t0, out0 = time.monotonic(), pswpout()
            if variant == "wolfram":
                config = ("[Engine]\ncycle_secs=10\nidle_sample_secs=2\nmin_process_anon_mib=16\nidle_backend=refs\n"
                          "pageout_threshold=0.4\ncold_threshold=0.3\npageout_after_cycles=1\n"
                          "pressure_limit_percent=1\n"
                          f"[KSM]\nenabled=no\n[Exclude]\nonly_cgroups={cg.name}\n")
                with Env(config=config) as env:
                    row = measure(w, t0, size["refault_secs"], {})
                    row["refaulted_bytes"] = env.get_property("TotalRefaultedBytes")
                    row["engine_cpu_s"] = 0.0
                    with open(f"/proc/{env.procs['wolframd'].pid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    row["engine_cpu_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
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


def scenario_refaults(size, exe, zram_swap, algorithm):
    return [refaults_run(exe, v, size, zram_swap, algorithm)
            for v in ("zram alone", "LRU, Senpai-style", "wolfram")]


def refaults_table(rows):
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
    return lines
