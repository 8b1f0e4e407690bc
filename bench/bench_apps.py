# SPDX-License-Identifier: MIT
"""Scenario 7 of bench/run.py: real applications. redis-server, a JVM and
firefox-esr (tests/apps/subjects.py), each as its own user with known data
of which 5% is read all the time, once with wolfram working on them and
once with a zram swap device alone; how much of their memory moves to
zram, whether their data is intact, and their hot path's latency before,
during and after the pageout. Runnable alone:

    python3 bench/bench_apps.py [--short] [--build DIR] [--out DIR] [--apps redis,jvm,firefox]

writes apps.json and apps.txt to --out.
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "apps"))
sys.path.insert(0, HERE)  # first: tests/integration has a run.py too
import run as bench  # noqa: E402  (bench/run.py: the engine settings, ZramSwap)
from measure import app_config, run_subject  # noqa: E402
from harness import TestCgroup, check, enter_private_mount_namespace  # noqa: E402
from subjects import FIREFOX_USER, JVM_USER, Firefox, Jvm, NamespaceUser, Redis  # noqa: E402

MIB = 1024 * 1024

SIZES = {
    False: dict(redis_mib=512, jvm_mib=768, firefox_mib=384, firefox_pages=6, before_s=10, tail_s=5, after_s=20),
    True: dict(redis_mib=32, jvm_mib=32, firefox_mib=32, firefox_pages=2, before_s=2, tail_s=1, after_s=2),
}
APPS = ("redis", "jvm", "firefox")


def subject(app, cg, size):
    if app == "redis":
        return Redis(cg, size["redis_mib"])
    if app == "jvm":
        return Jvm(cg, size["jvm_mib"])
    return Firefox(cg, size["firefox_mib"], pages=size["firefox_pages"])


def user_of(app):
    """The user the application runs as, where the test makes one: the JVM
    and firefox get users of their own in the private mount namespace;
    redis-server runs as the package's redis user."""
    class Nothing:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False
    if app == "jvm":
        return NamespaceUser(JVM_USER, "/nonexistent")
    if app == "firefox":
        return NamespaceUser(FIREFOX_USER, "/nonexistent", system=False)
    return Nothing()


def engine_config(cg, short):
    """The full form: the benchmark's engine settings (scenario 1's: a cycle
    every 10 s, a 5 s idle sample, page out after 2 idle cycles); the short
    form: the integration tests' single cycle."""
    if short:
        return app_config(cg), 1
    return bench.engine_config(cg, "refs"), bench.PAGEOUT_AFTER_CYCLES + 1


def figures(app, variant, r, pool_ram):
    info = r["info"]
    return {"app": app, "variant": variant, "data_bytes": info["data_bytes"], "hot_bytes": info["hot_bytes"],
            "load_s": r["load_s"], "pageout_s": r["cycle_s"], "pageout_cycle_s": r["pageout_cycle_s"],
            "swap_bytes": r["swap_at_cycle"],
            "engine_paged_out": r["engine_paged_out"], "pool_ram": pool_ram,
            "ram_back": r["anon_before"] - r["anon_at_cycle"],
            "from_zram_pages": r["majflt_after"] - r["majflt_before"],
            "cycle_cpu_s": (r["last_cycle"] or {}).get("CpuUsec", 0) / 1e6, "data_ok": r["check"]["ok"],
            "answers": r["answers"], "check": r["check"], "latency": r["latency"],
            "processes": [dict(p, engine=r["engine_rows"].get(p["pid"], {}).get("state", "-"))
                          for p in r["processes_at_cycle"]], "table": r["table"]}


def run_app(app, size, short):
    out = []
    with user_of(app):
        bench.log(f"  {app}: wolfram")
        with TestCgroup(f"bench-{app}") as cg, subject(app, cg, size) as s:
            config, by_cycle = engine_config(cg, short)
            r = run_subject(s, cg, config, before_s=size["before_s"], tail_s=size["tail_s"], after_s=size["after_s"],
                            pageout_by_cycle=by_cycle)
            out.append(figures(app, "wolfram", r, r["pool"]["MemoryUsedBytes"]))
        during_s = r["pageout_cycle_s"]
        bench.log(f"  {app}: zram swap alone")
        with TestCgroup(f"bench-{app}-zram") as cg, subject(app, cg, size) as s, \
                bench.ZramSwap(4 * 1024 * MIB, bench.offered_algorithm()) as z:
            r = run_subject(s, cg, None, before_s=size["before_s"], tail_s=size["tail_s"], after_s=size["after_s"],
                            during_s=during_s)
            out.append(figures(app, "zram swap alone", r, z.mm()["mem_used"]))
    return out


def scenario_apps(short, apps=APPS):
    size = SIZES[short]
    rows = []
    for app in apps:
        rows += run_app(app, size, short)
    return {"sizes": size, "rows": rows,
            "settings": "short: one cycle, idle sample 2 s, page out after 1" if short else
                        f"cycle {bench.CYCLE_SECS} s, idle sample {bench.IDLE_SAMPLE_SECS} s, page out after "
                        f"{bench.PAGEOUT_AFTER_CYCLES} idle cycles"}


def _latencies(lat, unit):
    """p50/p99/worst window's p99 of the three phases, in one unit and
    precision."""
    phases = [lat[p] for p in ("before", "during", "after")]
    scale = {"ns": 1000.0, "us": 1.0, "ms": 0.001}[unit]
    d = 2 if max(s["worst_p99_us"] for s in phases) * scale < 10 else 1 if unit == "ms" else 0
    return " | ".join("/".join(f"{s[k] * scale:.{d}f}" for k in ("p50_us", "p99_us", "worst_p99_us"))
                      for s in phases) + " " + unit


def table(result):
    units = {"redis": "us", "jvm": "ns", "firefox": "ms"}
    lines = [f"7. Real applications, 5% hot ({result['settings']}; refs backend; the rival: one 4 GiB zram swap "
             "device, no engine)",
             f"   {'app':<8}{'variant':<17}{'data':>10}{'in swap':>11}{'RAM back':>11}{'pool RAM':>11}"
             f"{'read back':>10}  {'hot path p50/p99/worst: before | during | after':<56}{'data':>5}"]
    for r in result["rows"]:
        lines.append(f"   {r['app']:<8}{r['variant']:<17}{bench.fmt_bytes(r['data_bytes']):>10}"
                     f"{bench.fmt_bytes(r['swap_bytes']):>11}{bench.fmt_bytes(r['ram_back']):>11}"
                     f"{bench.fmt_bytes(r['pool_ram']):>11}{r['from_zram_pages']:>10}  "
                     f"{_latencies(r['latency'], units[r['app']]):<56}"
                     f"{'ok' if r['data_ok'] and r['answers'] else 'BAD':>5}")
    lines += [
        "   in swap: VmSwap of its processes when the pageout cycle ended; RAM back: their anonymous RSS that went;",
        "   read back: major faults from the engine's start to the end (a hot part paged out with the cold part of",
        "   its region, coming back). Hot path: redis-benchmark GETs of hot keys (1 connection), one timed read of",
        "   a hot page in the JVM, a Marionette script round trip reading a page's hot part; in 0.5 s windows: p50",
        "   and p99 of the median window, worst: the highest p99 of any window. During: the pageout cycle and "
        f"{result['sizes']['tail_s']} s",
        "   after it.",
    ]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", action="store_true", help="small and quick")
    ap.add_argument("--build", default=os.path.join(SOURCE_DIR, "build"), help="the meson build directory")
    ap.add_argument("--out", default=os.path.join(SOURCE_DIR, "bench-results"), help="where results go")
    ap.add_argument("--apps", default=",".join(APPS), help="which, e.g. redis,jvm")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/bench_apps.py must run as root: it makes zram devices and starts the engine.")
    os.environ.setdefault("WOLFRAMD", os.path.join(args.build, "daemon", "wolframd"))
    os.environ.setdefault("WOLFRAMCTL", os.path.join(args.build, "ctl", "wolframctl"))
    apps = [a for a in args.apps.split(",") if a]
    check(all(a in APPS for a in apps), f"--apps takes {','.join(APPS)}")
    os.makedirs(args.out, exist_ok=True)
    enter_private_mount_namespace()
    t0 = time.monotonic()
    result = scenario_apps(args.short, apps)
    result["seconds"] = time.monotonic() - t0
    with open(os.path.join(args.out, "apps.json"), "w") as f:
        json.dump(result, f, indent=2)
    text = table(result)
    with open(os.path.join(args.out, "apps.txt"), "w") as f:
        f.write(text + "\n")
    print(text)
    bad = [f"{r['app']} ({r['variant']})" for r in result["rows"] if not (r["data_ok"] and r["answers"])]
    if bad:
        sys.exit("bench: data changed or no answer: " + ", ".join(bad))


if __name__ == "__main__":
    main()
