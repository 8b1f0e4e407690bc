# SPDX-License-Identifier: MIT
"""Integration cases with real applications as test subjects (issue 14):
redis-server, a JVM and firefox-esr, each as its own user in a cgroup of the
test's that the engine is restricted to (tests/apps/subjects.py starts
them). Each case asserts that the engine moved a real share of the
application's memory into zram, that the data is intact and that the
application still answers, and prints the hot path's latency before, during
and after the pageout cycle. run.py registers every case_* here; bench/bench_apps.py
runs the same subjects bigger and longer."""

import os
import shutil
import sys

from harness import TestCgroup, TestFailure, check, format_bytes, need

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "apps"))
import subjects  # noqa: E402
from measure import app_config, fmt_latency, run_subject  # noqa: E402
from subjects import FIREFOX_USER, JVM_USER, Firefox, Jvm, NamespaceUser, Redis, SubjectError  # noqa: E402

MIB = 1024 * 1024


def need_programs(*paths):
    for p in paths:
        need(shutil.which(p) if not p.startswith("/") else os.access(p, os.X_OK),
             f"{p} is not installed (tools/install-deps.sh)")


def report(name, r):
    info = r["info"]
    print(f"{name}: {format_bytes(info['data_bytes'])} of data ({format_bytes(info['hot_bytes'])} hot), "
          f"loaded in {r['load_s']:.1f} s; the cycle ended {r['cycle_s']:.1f} s after the engine started")
    print(f"  moved: VmSwap {format_bytes(r['swap_at_cycle'])} at the end of the cycle, "
          f"{format_bytes(r['swap_after'])} at the end; the engine paged out {format_bytes(r['engine_paged_out'])} "
          f"of it; pool {format_bytes(r['pool']['OriginalBytes'])} in {format_bytes(r['pool']['CompressedBytes'])}")
    print(f"  read back from zram: {r['majflt_after'] - r['majflt_before']} pages since the engine started (where "
          f"the hot part shares a region with cold data, the refs backend pages out the whole region)")
    for phase in ("before", "during", "after"):
        print(f"  hot path {phase:<6}: {fmt_latency(r['latency'][phase])}")
    print(f"  data: {'intact' if r['check']['ok'] else 'CHANGED'} ({r['check_s']:.1f} s to check), answers: "
          f"{r['answers']}")
    print(r["table"])


def assert_moved(r, least, what):
    check(r["swap_at_cycle"] >= least,
          f"{what}: VmSwap {format_bytes(r['swap_at_cycle'])} after the pageout cycle, expected at least "
          f"{format_bytes(least)}\n{r['table']}\n{r['log'][-3000:]}")
    check(r["engine_paged_out"] >= least,
          f"{what}: the engine reports {format_bytes(r['engine_paged_out'])} paged out, expected at least "
          f"{format_bytes(least)}: {r['engine_rows']}")
    check(r["pool"]["OriginalBytes"] >= least * 0.9, f"{what}: the pool holds only {r['pool']}")


def assert_intact(r, what):
    check(r["check"]["ok"], f"{what}: data changed: {r['check']}")
    check(r["answers"], f"{what} no longer answers")


def subject_errors_fail(fn):
    """A subject that cannot start or answer fails the test with its reason."""
    def case():
        try:
            fn()
        except SubjectError as e:
            raise TestFailure(str(e)) from e
    case.__doc__ = fn.__doc__
    return case


@subject_errors_fail
def case_app_redis():
    """redis-server as the redis user, 256 MiB of values, 5% of the keys
    read by redis-benchmark throughout: the cold keys go to zram, DEBUG
    DIGEST and a sample of the values are as written."""
    need_programs(subjects.REDIS_SERVER, "redis-cli", "redis-benchmark")
    with TestCgroup("app-redis") as cg, Redis(cg, 256) as redis:
        r = run_subject(redis, cg, app_config(cg))
        report("redis", r)
        cold = r["info"]["data_bytes"] - r["info"]["hot_bytes"]
        assert_moved(r, 0.7 * cold, "redis")
        assert_intact(r, "redis")


@subject_errors_fail
def case_app_jvm():
    """A JVM (tests/apps/HotHeap.java, OpenJDK 17) as a user of its own:
    256 MiB of byte arrays on the heap, 5% read every 5 ms by a thread: the
    heap goes to zram, checksum and a byte-by-byte comparison hold."""
    need_programs(subjects.JAVA, subjects.JAVAC)
    with NamespaceUser(JVM_USER, "/nonexistent"), TestCgroup("app-jvm") as cg, Jvm(cg, 256) as jvm:
        r = run_subject(jvm, cg, app_config(cg))
        report("jvm", r)
        print(f"  javac: {jvm.compile_s:.1f} s, heap {format_bytes(r['info']['heap_bytes'])}")
        cold = r["info"]["data_bytes"] - r["info"]["hot_bytes"]
        assert_moved(r, 0.7 * cold, "jvm")
        assert_intact(r, "jvm")


@subject_errors_fail
def case_app_firefox():
    """firefox-esr --headless as an ordinary user with a fresh profile, four
    pages from four loopback sites, so four "Isolated Web Co" processes
    with 48 MiB of typed arrays each, 5% read by a timer: every content
    process gives up its cold arrays, each page's checksum holds and
    Marionette still answers."""
    need_programs(subjects.FIREFOX)
    with NamespaceUser(FIREFOX_USER, "/nonexistent", system=False), TestCgroup("app-firefox") as cg, \
            Firefox(cg, 192, pages=4) as ff:
        r = run_subject(ff, cg, app_config(cg))
        report("firefox", r)
        cold = r["info"]["data_bytes"] - r["info"]["hot_bytes"]
        assert_moved(r, 0.7 * cold, "firefox")
        per_page = cold / len(ff.tabs)
        for tab in ff.tabs:
            p = next((p for p in r["processes_at_cycle"] if p["pid"] == tab["pid"]), None)
            check(p is not None, f"the content process {tab['pid']} of {tab['host']} is gone")
            check(p["swap"] >= 0.7 * per_page,
                  f"{p['name']} {p['pid']} ({tab['host']}): VmSwap {format_bytes(p['swap'])}, expected at least "
                  f"{format_bytes(0.7 * per_page)}; engine: {r['engine_rows'].get(p['pid'])}\n{r['table']}")
            # The name with its spaces, as the kernel has it.
            row = r["engine_rows"].get(tab["pid"], {})
            check(p["name"] == "Isolated Web Co" and row.get("name") == p["name"],
                  f"content process {tab['pid']}: named {p['name']!r}, listed by the engine as {row.get('name')!r}")
        mappings = max(p["maps"] for p in r["processes_at_cycle"])
        print(f"  most mappings in one process: {mappings}")
        assert_intact(r, "firefox")
