#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Unit tests of wolfram-workload as the benchmark's generator: content
profiles, --regions, report and reset-stats, identical memory across
processes. Plain memory only: no pageout, swap, zram or KSM, so they run
beside anything.

    test-generator.py CASE        runs one case
    test-generator.py --registered CASE...
                                  fails unless CASE... are exactly the cases

WOLFRAM_WORKLOAD names the program."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workload import Workload, parse_smaps  # noqa: E402

EXE = os.environ.get("WOLFRAM_WORKLOAD", "")
SIZE_MIB = 12
PROFILES = ["zeros", "random", "text", "mixed", "realistic"]

REPORT_KEYS = {"hot_latency_ns", "hot_major_faults", "hot_passes", "cold_major_faults", "checksum_ok",
               "checksum", "size_bytes", "regions", "content", "rss_bytes", "swap_bytes", "window_ms"}
LATENCY_KEYS = {"p50", "p99", "p999", "max", "samples"}

# What the program made before --regions and "realistic" existed (8 MiB,
# seed 7, 4 KiB pages): the old profiles must not change under the tests
# that compare checksums across runs.
PINNED_CHECKSUMS_4K = {
    "zeros": "6a9ae7c3340fedfd",
    "random": "dbb8712893e658b0",
    "text": "4671381db3718df6",
    "mixed": "1fd19e4e78b070fa",
}


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def wait_for_samples(w, deadline_s=10):
    """report() once the hot thread has timed reads since the last reset."""
    end = time.monotonic() + deadline_s
    while True:
        r = w.report()
        if r["hot_latency_ns"]["samples"] > 0 and r["hot_passes"] > 0:
            return r
        check(time.monotonic() < end, f"no hot samples after {deadline_s} s: {r}")
        time.sleep(0.05)


def check_report(w, r, content, regions):
    check(set(r) >= REPORT_KEYS, f"report lacks {REPORT_KEYS - set(r)}: {r}")
    check(set(r["hot_latency_ns"]) >= LATENCY_KEYS, f"hot_latency_ns lacks keys: {r}")
    check(r["checksum_ok"] is True, f"checksum not ok: {r}")
    check(r["checksum"] == w.checksum, f"checksum {r['checksum']} != first line's {w.checksum}")
    check(r["content"] == content and r["regions"] == regions, f"wrong content or regions: {r}")
    check(r["size_bytes"] == SIZE_MIB << 20, f"size_bytes {r['size_bytes']}")
    # Every page was written, so it is in RAM or, if the kernel needed the
    # room, in swap.
    check(r["rss_bytes"] + r["swap_bytes"] >= r["size_bytes"], f"rss + swap below the size: {r}")
    for key in ("hot_major_faults", "cold_major_faults", "rss_bytes", "swap_bytes", "window_ms"):
        check(isinstance(r[key], int) and r[key] >= 0, f"{key} not a count: {r}")
    lat = r["hot_latency_ns"]
    check(lat["p50"] <= lat["p99"] <= lat["p999"] <= lat["max"], f"percentiles out of order: {lat}")
    # Nothing was in swap before the verification, so it cannot have
    # faulted anything in.
    if r["swap_bytes"] == 0:
        check(r["cold_major_faults"] == 0, f"cold faults without swap: {r}")


def check_layout(w, regions):
    check(w.regions == regions and len(w.mappings) == regions, f"{len(w.mappings)} mappings, not {regions}")
    check(w.size_bytes == SIZE_MIB << 20, f"size_bytes {w.size_bytes}")
    check(sum(m["hot_len"] + m["cold_len"] for m in w.mappings) == w.size_bytes, "mappings do not add up")
    check(len({m["addr"] for m in w.mappings}) == regions, "mappings share an address")
    hot = sum(n for _, n in w.hot_ranges())
    cold = sum(n for _, n in w.cold_ranges())
    check(hot + cold == w.size_bytes and hot > 0 and cold > 0, f"hot {hot} + cold {cold}")
    for addr, _ in w.hot_ranges():
        check(w.is_hot(addr), f"hot range at {addr:#x} not hot")
    for addr, _ in w.cold_ranges():
        check(not w.is_hot(addr), f"cold range at {addr:#x} hot")


def profile_case(content):
    def run():
        with Workload(EXE, SIZE_MIB, content=content, regions=4, hot_percent=25, hot_interval_ms=20) as w:
            check_layout(w, 4)
            check_report(w, w.report(), content, 4)
            w.reset_stats()
            r = wait_for_samples(w)
            check_report(w, r, content, 4)
            check(w.verify()["ok"], "verify failed")
    return run


def case_interleave_regions():
    with Workload(EXE, SIZE_MIB, content="realistic", regions=4, hot_percent=50, hot_interval_ms=20,
                  hot_pattern="interleave", hot_run_kib=64) as w:
        check_layout(w, 4)
        check(sum(n for _, n in w.hot_ranges()) == w.size_bytes // 2, "interleave: not half hot")
        check_report(w, wait_for_samples(w), "realistic", 4)


def case_identical():
    for content in ("realistic", "mixed", "random"):
        with Workload(EXE, SIZE_MIB, content=content, seed=5, regions=4) as a, \
                Workload(EXE, SIZE_MIB, content=content, seed=5, regions=4) as b, \
                Workload(EXE, SIZE_MIB, content=content, seed=6, regions=4) as c:
            ra, rb, rc = a.report(), b.report(), c.report()
            check(ra["checksum_ok"] and rb["checksum_ok"] and rc["checksum_ok"], "checksum not ok")
            check(ra["checksum"] == rb["checksum"], f"{content}: same seed, different memory")
            check(ra["checksum"] != rc["checksum"], f"{content}: different seeds, same memory")


def case_layout_independent():
    # The content follows the pages in order, whatever the mappings: a
    # benchmark can change --regions without changing what it compresses.
    sums = set()
    for regions, hot in ((1, 0), (4, 0), (3, 25), (7, 50)):
        with Workload(EXE, SIZE_MIB, content="realistic", regions=regions, hot_percent=hot) as w:
            sums.add(w.checksum)
    check(len(sums) == 1, f"checksums differ by layout: {sums}")


def case_reset_stats():
    # One pass only: the period is far longer than the test.
    with Workload(EXE, SIZE_MIB, content="text", regions=2, hot_percent=50, hot_interval_ms=600000) as w:
        before = w.report()
        check(before["hot_passes"] == 1 and before["hot_latency_ns"]["samples"] > 0, f"first pass: {before}")
        lifetime = w.faults()
        w.reset_stats()
        after = w.report()
        check(after["hot_passes"] == 0 and after["hot_latency_ns"]["samples"] == 0, f"not reset: {after}")
        check(after["hot_major_faults"] == 0 and after["window_ms"] < before["window_ms"] + 60000,
              f"not reset: {after}")
        check(after["checksum_ok"], "checksum not ok")
        # faults() keeps its lifetime figures.
        check(w.faults()["samples"] == lifetime["samples"] > 0, "faults() was reset")


def case_old_profiles_unchanged():
    check(os.sysconf("SC_PAGE_SIZE") == 4096, "pinned checksums are for 4 KiB pages only; add this size's")
    for content, checksum in PINNED_CHECKSUMS_4K.items():
        with Workload(EXE, 8, content=content, seed=7, hot_percent=25) as w:
            check(w.checksum == checksum, f"{content}: {w.checksum}, was {checksum}")
            check(w.regions == 1 and w.len == (8 << 20) + 4096, f"{content}: layout changed")


def case_many_mappings():
    """--mappings: that many one-page VMAs the kernel did not merge, resident,
    outside the checksum, checked by verify()."""
    n = 5000
    with Workload(EXE, SIZE_MIB, content="text", seed=3) as plain, \
            Workload(EXE, SIZE_MIB, content="text", seed=3, small_mappings=n) as w:
        check(w.small_mappings == n and plain.small_mappings == 0, f"small_mappings {w.small_mappings}")
        check(w.checksum == plain.checksum, "the small mappings changed the checksum")
        page = w.page_size
        with open(f"/proc/{w.pid}/smaps") as f:
            vmas = parse_smaps(f.read())
        ours = [v for v in vmas if w.small_mappings_addr <= v["start"] < w.small_mappings_addr + n * page]
        check(len(ours) == n, f"{len(ours)} VMAs in the small mappings' range, expected {n}")
        check(all(v["end"] - v["start"] == page and v["rss"] == page and v["anonymous"] == page for v in ours),
              "a small mapping is not one resident anonymous page")
        check([v["perms"] for v in ours[:4]] == ["rw-p", "r--p", "rw-p", "r--p"], f"perms {ours[:4]}")
        r = w.verify()
        check(r["ok"] and r["small_mappings_bad"] == 0, f"verify: {r}")
        # A page that lost its content is found.
        with open(f"/proc/{w.pid}/mem", "r+b", buffering=0) as mem:
            mem.seek(w.small_mappings_addr)
            mem.write(b"\0" * 8)
        r = w.verify()
        check(not r["ok"] and r["small_mappings_bad"] == 1 and r["checksum"] == w.checksum, f"verify: {r}")


def case_bad_options():
    for args, message in ((["--regions=0"], "Invalid --regions"),
                          (["--mappings=many"], "Invalid --mappings"),
                          (["--regions=3000"], "Invalid --regions"),
                          (["--content=records"], "Invalid --content"),
                          (["--regions=8", "--hot-pattern=interleave", "--hot-run-kib=1024"],
                           "Invalid --hot-run-kib")):
        p = subprocess.run([EXE, "--size-mib=8"] + args, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 1 and message in p.stderr and not p.stdout,
              f"{args}: status {p.returncode}, stderr {p.stderr!r}")


CASES = {f"profile-{c}": profile_case(c) for c in PROFILES}
CASES.update({
    "interleave-regions": case_interleave_regions,
    "identical": case_identical,
    "layout-independent": case_layout_independent,
    "reset-stats": case_reset_stats,
    "old-profiles-unchanged": case_old_profiles_unchanged,
    "bad-options": case_bad_options,
    "many-mappings": case_many_mappings,
})


def main(argv):
    if len(argv) >= 2 and argv[1] == "--registered":
        listed = set(argv[2:])
        if listed != set(CASES):
            print(f"not registered in meson: {sorted(set(CASES) - listed)}; "
                  f"not in the program: {sorted(listed - set(CASES))}", file=sys.stderr)
            return 1
        return 0
    if len(argv) != 2 or argv[1] not in CASES:
        print(f"usage: {argv[0]} CASE (one of {', '.join(CASES)})", file=sys.stderr)
        return 2
    if not EXE:
        print("WOLFRAM_WORKLOAD is not set", file=sys.stderr)
        return 1
    try:
        CASES[argv[1]]()
    except Failure as e:
        print(f"{argv[1]}: {e}", file=sys.stderr)
        return 1
    print(f"{argv[1]}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
