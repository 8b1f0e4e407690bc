# SPDX-License-Identifier: MIT
"""Scenario 6 of bench/run.py: what one cycle costs as a process's mappings
grow. A process with a small main region and N one-page mappings (the
workload's --mappings), owned by nobody; the engine in dry run, so every
cycle does the same work (mark, sample, read smaps, decide) and nothing
moves; the cycle's CPU time and wall time as the engine reports them
(GetStats LastCycle, the idle sample taken off the wall time). Then
ReclaimProcess of the whole process, which keeps every resident VMA."""

import json
import statistics

from harness import BUS_NAME, BUS_PATH, Env, TestCgroup, check, unwrap, wait_for
from workload import Workload

MIB = 1024 * 1024
CYCLE_SECS = 10
IDLE_SAMPLE_SECS = 2


def engine_config(cg, extra=""):
    return (f"[Engine]\ncycle_secs={CYCLE_SECS}\nidle_sample_secs={IDLE_SAMPLE_SECS}\nmin_process_anon_mib=1\n"
            f"idle_backend=refs\n{extra}[KSM]\nenabled=no\n[Exclude]\nonly_cgroups={cg.name}\n")


def memory_figures(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) * 1024
    return out


def last_cycle(env):
    r = env.run(["busctl", "--system", "--json=short", "call", BUS_NAME, BUS_PATH, BUS_NAME, "GetStats"],
                check_rc=0)
    return unwrap(json.loads(r.stdout)["data"][0])["LastCycle"]


def mappings_run(exe, n, size):
    with TestCgroup(f"bench-maps-{n}") as cg:
        w = Workload(exe, size["mappings_mib"], content="text", hot_percent=25, seed=600, small_mappings=n,
                     user="nobody")
        try:
            cg.add(w.pid)
            cycles = []
            with Env(config=engine_config(cg, "dry_run=yes\n")) as env:
                pid = env.procs["wolframd"].pid
                # The first cycle may have scanned before the workload joined
                # the cgroup: from the second on.
                for k in range(2, 2 + size["mapping_cycles"]):
                    wait_for(lambda: env.get_property("CycleCount") >= k, 2 * CYCLE_SECS + 30, f"cycle {k}")
                    last = last_cycle(env)
                    check(last["Processes"] == 1, f"cycle {k} looked at {last['Processes']} processes")
                    cycles.append(last)
                cycle_mem = memory_figures(pid)
                # ReclaimProcess is refused in dry run: a second engine, no cycles.
                env.stop_engine()
                env.write_config(engine_config(cg).replace(f"cycle_secs={CYCLE_SECS}", "cycle_secs=3600"))
                env.start_engine()
                out = json.loads(env.ctl("--json", "reclaim", str(w.pid), "--pageout", check_rc=0).stdout)
                reclaim_mem = memory_figures(env.procs["wolframd"].pid)
            return {"mappings": n, "cycles": len(cycles),
                    "cycle_cpu_ms": statistics.median(c["CpuUsec"] for c in cycles) / 1e3,
                    "cycle_wall_ms": statistics.median(c["DurationUsec"] - IDLE_SAMPLE_SECS * 1000000
                                                       for c in cycles) / 1e3,
                    "engine_rss": cycle_mem["VmRSS"], "engine_peak_rss": cycle_mem["VmHWM"],
                    "reclaim_ms": out["DurationUsec"] / 1e3, "reclaim_advised": out["AdvisedBytes"],
                    "reclaim_engine_peak_rss": reclaim_mem["VmHWM"], "checksums_ok": w.verify()["ok"]}
        finally:
            w.stop()


def scenario_mappings(size, exe):
    rows = [mappings_run(exe, n, size) for n in size["mappings"]]
    base = rows[0] if rows[0]["mappings"] == 0 else None
    for r in rows:
        if base and r["mappings"]:
            # What the mappings add, per mapping, over the same process without them.
            r["cpu_us_per_mapping"] = (r["cycle_cpu_ms"] - base["cycle_cpu_ms"]) * 1e3 / r["mappings"]
            r["wall_us_per_mapping"] = (r["cycle_wall_ms"] - base["cycle_wall_ms"]) * 1e3 / r["mappings"]
    return {"main_mib": size["mappings_mib"], "rows": rows, "checksums_ok": all(r["checksums_ok"] for r in rows)}


def mappings_table(m):
    rows = m["rows"]
    lines = [f"6. Mappings: one cycle over a {m['main_mib']} MiB process (nobody's) with N more one-page mappings "
             f"(refs, dry run, median of {rows[0]['cycles']} cycles), then ReclaimProcess of all of it",
             f"   {'mappings':>9}{'cycle CPU':>11}{'cycle wall':>12}{'CPU/mapping':>13}{'wall/mapping':>14}"
             f"{'engine RSS':>12}{'reclaim':>10}{'its peak RSS':>14}{'data':>6}"]
    for r in rows:
        per_cpu = f"{r['cpu_us_per_mapping']:.2f} us" if "cpu_us_per_mapping" in r else "-"
        per_wall = f"{r['wall_us_per_mapping']:.2f} us" if "wall_us_per_mapping" in r else "-"
        lines.append(f"   {r['mappings']:>9}{r['cycle_cpu_ms']:>8.1f} ms{r['cycle_wall_ms']:>9.1f} ms"
                     f"{per_cpu:>13}{per_wall:>14}{r['engine_peak_rss'] / MIB:>8.1f} MiB"
                     f"{r['reclaim_ms']:>7.0f} ms{r['reclaim_engine_peak_rss'] / MIB:>10.1f} MiB"
                     f"{'ok' if r['checksums_ok'] else 'BAD':>6}")
    return lines
