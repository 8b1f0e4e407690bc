# SPDX-License-Identifier: MIT
"""Integration cases for big processes (issue 14): tens of thousands of
mappings, as browsers and JVMs have, owned by an ordinary user. Their smaps
is larger than any whole-file read the engine once allowed. run.py registers
every case_* here."""

import json
import os
import pwd
import re

from harness import NOBODY, Env, TestCgroup, check, wait_for
from workload import Workload, region_of, smaps_regions

MIB = 1024 * 1024
OLD_SMAPS_LIMIT = 4 * MIB  # what read_full_file() took before smaps streamed


def many_mappings_workload(size_mib, small_mappings, **kw):
    exe = os.environ.get("WOLFRAM_WORKLOAD")
    check(exe and os.access(exe, os.X_OK), "$WOLFRAM_WORKLOAD must name the built workload program")
    w = Workload(exe, size_mib, content="text", small_mappings=small_mappings, user=NOBODY, **kw)
    try:
        check(os.stat(f"/proc/{w.pid}").st_uid == pwd.getpwnam(NOBODY).pw_uid, "the workload is not nobody's")
        with open(f"/proc/{w.pid}/maps") as f:
            n = sum(1 for _ in f)
        check(n >= small_mappings, f"the workload has {n} mappings, asked for {small_mappings}")
        with open(f"/proc/{w.pid}/smaps") as f:
            size = len(f.read())
        check(size > OLD_SMAPS_LIMIT, f"its smaps is only {size} bytes")
        print(f"workload {w.pid} (nobody): {n} mappings, smaps {size / MIB:.1f} MiB")
    except BaseException:
        w.kill()
        raise
    return w


def vm_swap_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith("VmSwap:"))


def processes(env):
    return {p["Pid"]: p for p in json.loads(env.ctl("processes", "--json", check_rc=0).stdout)}


def case_cold_many_mappings():
    """20,000 mappings beside a 128 MiB hot and a 128 MiB cold region, the
    process nobody's: the cycles page out the cold region and leave the hot
    one; ReclaimProcess takes a second such process whole."""
    with TestCgroup("maps") as cg, many_mappings_workload(256, 20000, seed=13, hot_percent=50) as w:
        cg.add(w.pid)
        config = ("[Engine]\ncycle_secs=10\nidle_sample_secs=2\nmin_process_anon_mib=16\nidle_backend=refs\n"
                  f"[Exclude]\nonly_cgroups={cg.name}\n")
        with Env(config=config) as env:
            wait_for(lambda: env.get_property("CycleCount") >= 2, 60, "two cycles")
            regions = smaps_regions(w.pid)
            cold, hot = region_of(regions, w.cold_addr), region_of(regions, w.hot_addr)
            check(cold["swap"] >= 0.9 * w.cold_len, f"cold region: {cold}; log:\n{env.read_log()}")
            check(hot["swap"] == 0 and hot["rss"] >= 0.99 * w.hot_len, f"hot region: {hot}")
            row = processes(env).get(w.pid)
            check(row and row["PagedOutBytes"] >= 0.9 * w.cold_len, f"processes: {row}")
            faults = w.faults()
            check(faults["hot_majflt"] <= 16, f"hot region faulted: {faults}")
            check(w.verify()["ok"], "checksum changed")
            cycle = next((ln for ln in env.read_log().splitlines() if ln.startswith("Cycle 2:")), "")
            print(f"20,000 mappings, refs: {cold['swap'] / w.cold_len:.0%} of the cold region in swap, "
                  f"hot major faults {faults['hot_majflt']}; {cycle}")

            # ReclaimProcess reads smaps once more, whole process, as wolframctl asks.
            with many_mappings_workload(64, 20000, seed=14) as w2:
                cg.add(w2.pid)
                before = vm_swap_bytes(w2.pid)
                r = env.ctl("reclaim", str(w2.pid), "--pageout", check_rc=0)
                check(re.match(r"^Paged out [\d.]+ \S+ of wolfram-workloa \(%d\) in .+" % w2.pid, r.stdout.strip())
                      and "too large" not in r.stdout + r.stderr, f"reclaim: {r.stdout} {r.stderr}")
                moved = vm_swap_bytes(w2.pid) - before
                small = w2.small_mappings * w2.page_size
                check(moved >= 0.9 * (w2.size_bytes + small),
                      f"swap grew by {moved} bytes, the workload holds {w2.size_bytes} + {small} in small mappings")
                check(w2.verify()["ok"], "checksum or small mappings changed by ReclaimProcess")
                print(f"ReclaimProcess on 20,000 mappings: {r.stdout.strip()}")
            env.stop_engine()
