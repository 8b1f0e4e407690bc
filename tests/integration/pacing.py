# SPDX-License-Identifier: MIT
"""What came back: hot pages among cold ones, on a kernel without
page_idle, are learned from the refaults of the first pageout and kept in
RAM afterwards; a refault wave holds the process's pageouts back within one
cycle; memory pressure holds every pageout back until it falls; memory that
a periodic visitor (memcached's LRU crawler) brought back is not paged out
again while the visits go on."""

import json
import os
import re
import time

from harness import BUS_NAME, BUS_PATH, NOBODY, Env, TestCgroup, TestFailure, check, need, unwrap, wait_for
from workload import Workload

MIB = 1024 * 1024


def workload(size_mib, **kw):
    exe = os.environ.get("WOLFRAM_WORKLOAD")
    check(exe and os.access(exe, os.X_OK), "$WOLFRAM_WORKLOAD must name the built workload program")
    return Workload(exe, size_mib, user=NOBODY, **kw)


def config(cgroups, extra=""):
    only = " ".join(c.name for c in cgroups)
    return ("[Engine]\ncycle_secs=10\nidle_sample_secs=2\nmin_process_anon_mib=16\nidle_backend=refs\n"
            f"pageout_threshold=0.4\ncold_threshold=0.3\npageout_after_cycles=1\n{extra}\n"
            f"[Exclude]\nonly_cgroups={only}\n")


def stats(env):
    r = env.run(["busctl", "--system", "--json=short", "call", BUS_NAME, BUS_PATH, BUS_NAME, "GetStats"],
                check_rc=0)
    return unwrap(json.loads(r.stdout)["data"][0])


def processes(env):
    r = env.run(["busctl", "--system", "--json=short", "call", BUS_NAME, BUS_PATH, BUS_NAME, "ListProcesses"],
                check_rc=0)
    return {row[0]: {"state": row[9], "pageout": row[8], "refaulted": row[13]}
            for row in json.loads(r.stdout)["data"][0]}


def wait_cycle(env, n, timeout=60):
    wait_for(lambda: env.get_property("CycleCount") >= n, timeout, f"cycle {n}")


def stopped_cycles(env, w, cycles):
    """Stops the workload (SIGSTOP) through the next 'cycles' cycles, which
    read all of its memory as idle; returns their LastCycle figures and its
    ListProcesses state after each."""
    import signal
    n, seen = env.get_property("CycleCount"), []
    os.kill(w.pid, signal.SIGSTOP)
    try:
        for k in range(1, cycles + 1):
            wait_cycle(env, n + k, 60)
            seen.append((stats(env)["LastCycle"], processes(env).get(w.pid, {}).get("state")))
    finally:
        os.kill(w.pid, signal.SIGCONT)
    return seen


def case_refault_learning():
    """Every other page hot (4 KiB runs): the first pageout takes the hot
    pages too, they come back once, the engine learns them and leaves them
    alone from then on; the cold half stays in zram; the data holds. One
    cycle that reads the region as wholly idle (the workload stopped) does
    not undo what the refaults showed, though pageout_after_cycles=1: the
    hot pages stay; three readings in a row (HOT_CONFIRM_CYCLES) do, and
    they go."""
    with TestCgroup("learn") as cg, workload(64, content="text", seed=31, hot_percent=50,
                                             hot_pattern="interleave", hot_run_kib=4) as w:
        cg.add(w.pid)
        hot_pages = w.hot_len // w.page_size
        # The machine's own disk noise must not hold the pageouts here, nor
        # the stray fault or two of a cycle (the default budget allows 5
        # pages a cycle here); the learning's refault wave (8192 pages) is
        # still far over this one (136).
        with Env(config=config([cg], "pressure_limit_percent=0\nrefault_budget_percent=5")) as env:
            states = []
            for n in range(1, 4):
                wait_cycle(env, n)
                states.append(processes(env).get(w.pid, {}).get("state"))
            learned = w.faults()["hot_majflt"]
            s = stats(env)
            check(s["TotalRefaultedBytes"] >= 0.5 * w.hot_len,
                  f"the hot pages' refaults were not counted: {s['TotalRefaultedBytes']} of {w.hot_len}")
            # The refault wave is far over the budget: the next cycle waits.
            check("held" in states, f"no cycle held the pageouts back after the refaults: {states}")
            for n in range(4, 8):
                wait_cycle(env, n)
            res, faults = w.residency(), w.faults()
            check(res["cold_swapped"] >= 0.9 * (res["cold_swapped"] + res["cold_present"]),
                  f"cold pages not in swap: {res}")
            check(res["hot_present"] >= 0.95 * hot_pages, f"hot pages not in RAM: {res}")
            # Once, while learning; then (next to) never again.
            check(learned <= 1.3 * hot_pages, f"{learned} hot faults while learning, {hot_pages} hot pages")
            check(faults["hot_majflt"] - learned <= 0.02 * hot_pages,
                  f"hot pages kept faulting after learning: {learned} -> {faults['hot_majflt']}")
            procs = processes(env)
            check(procs[w.pid]["refaulted"] >= 0.5 * w.hot_len, f"ListProcesses: {procs[w.pid]}")
            status = env.ctl("status", check_rc=0).stdout
            check("Refaults:" in status and "came back" in status, f"status:\n{status}")
            print(f"{hot_pages} hot pages: {learned} hot faults while learning, "
                  f"{faults['hot_majflt'] - learned} after; cold in swap {res['cold_swapped']}, "
                  f"refaulted {s['TotalRefaultedBytes'] // MIB} MiB; states {states}")

            # One reading of the whole region as idle, the process not held.
            # Its other regions may go while it is stopped (a sanitizer's,
            # 10 MB in the ASan build): the hot set is what must stay.
            [(cycle, state)] = stopped_cycles(env, w, 1)
            check(state != "held", f"the stopped cycle held the process's pageouts: {state}")
            check(cycle["PagedOutBytes"] < w.hot_len // 2,
                  f"one idle reading paged out {cycle['PagedOutBytes']} bytes ({w.hot_len} hot)")
            n = env.get_property("CycleCount")
            wait_cycle(env, n + 1)
            res, after = w.residency(), w.faults()["hot_majflt"]
            check(res["hot_present"] >= 0.98 * hot_pages, f"hot pages left RAM after one idle reading: {res}")
            check(after - faults["hot_majflt"] <= 0.02 * hot_pages,
                  f"{after - faults['hot_majflt']} hot faults after one idle reading, {hot_pages} hot pages")
            print(f"stopped through one cycle: {cycle['PagedOutBytes'] // 1024} KiB paged out, "
                  f"{res['hot_present']} of {hot_pages} hot pages in RAM, {after - faults['hot_majflt']} faults after")

            # Three readings in a row: they cooled, and go, at the third
            # stopped cycle. Each reading covers the cycles since the first
            # mark after the stop; another region of the process being
            # confirmed idle meanwhile (the sanitizer's, in the ASan build)
            # does not put that mark off (confirm-per-region).
            seen = stopped_cycles(env, w, 3)
            out = [c["PagedOutBytes"] for c, _ in seen]
            check(max(out[:2]) < w.hot_len // 2 and out[2] >= 0.9 * w.hot_len,
                  f"paged out per stopped cycle {out}, {w.hot_len} hot bytes")
            # Read last: reading every page brings the cold ones back too.
            check(w.verify()["ok"], "checksum changed")
            print(f"stopped through {len(out)} cycles: paged out {[o // MIB for o in out]} MiB")
            env.stop_engine()


def region_readings(log, pid, addr):
    """What the engine's debug log says it read, cycle by cycle, of the
    process's region that holds addr: [(resident KiB, idle KiB)]."""
    line = re.compile(rf"\[{pid}\] ([0-9a-f]+)-([0-9a-f]+): (\d+) KiB resident, (\d+) KiB idle")
    return [(int(res), int(idle)) for start, end, res, idle in line.findall(log)
            if int(start, 16) <= addr < int(end, 16)]


def case_refs_hot_readings():
    """A thread reads 2.5 MiB of pages one pass after another, without a
    pause (a busy poller's loop): their translations stay in its CPU's TLB.
    clear_refs clears the accessed bits without flushing the TLB, so the
    thread's reads never set them again and its region read as wholly idle
    in every window (measured: 0 KiB referenced in 10 of 10). The mark's
    MADV_COLD flushes what it clears, and no clear_refs follows it (one
    would leave the entries the thread fetched meanwhile stale: a CI run
    read one window as idle): every window must find the region used, and
    the cold region idle. cold_threshold=0 has the engine log
    each reading; pageout_after_cycles=1000 keeps every page in place."""
    with TestCgroup("readings") as cg, workload(64, content="text", seed=33, hot_percent=4,
                                                hot_interval_ms=0) as w:
        cg.add(w.pid)
        text = ("[Engine]\ncycle_secs=10\nidle_sample_secs=2\nmin_process_anon_mib=16\nidle_backend=refs\n"
                "pageout_threshold=0.4\ncold_threshold=0\npageout_after_cycles=1000\n"
                f"pressure_limit_percent=0\n[Exclude]\nonly_cgroups={cg.name}\n")
        with Env(engine=False, config=text) as env:
            env.start_engine(["--log-level=debug"])
            wait_cycle(env, 6, 120)
            log = env.read_log()
            hot = [round(idle / res, 2) for res, idle in region_readings(log, w.pid, w.hot_addr) if res]
            cold = [round(idle / res, 2) for res, idle in region_readings(log, w.pid, w.cold_addr) if res]
            check(len(hot) >= 6 and len(cold) >= 6, f"readings in 6 cycles: hot {hot}, cold {cold}")
            check(max(hot) <= 0.5, f"a window read the hot region as idle: idle shares {hot}")
            check(min(cold) >= 0.9, f"a window read the cold region as used: idle shares {cold}")
            check(w.verify()["ok"], "checksum changed")
            print(f"idle share in each window: hot region {hot}, cold region {cold}")
            env.stop_engine()


MEMORY_V1 = "/sys/fs/cgroup/memory"


def psi_memory_some():
    with open("/proc/pressure/memory") as f:
        return float(f.readline().split()[1].split("=")[1])


def case_pressure_gate():
    """A workload thrashing in a small memory cgroup stalls the machine's
    memory (PSI): while it does, every pageout waits and status says why;
    once it stops, pageouts go on."""
    from workload import as_user_argv
    exe = os.environ["WOLFRAM_WORKLOAD"]
    with TestCgroup("gate") as cg, workload(48, content="text", seed=32) as idle:
        # The engine's pool is the swap the thrasher thrashes into; the idle
        # workload joins the engine's cgroup once the pressure is there.
        check(os.path.isdir(MEMORY_V1), f"no v1 memory controller at {MEMORY_V1}")
        with Env(config=config([cg], "pressure_limit_percent=1")) as env, \
                TestCgroup("thrash", root=MEMORY_V1, files={"memory.limit_in_bytes": 24 * MIB}) as mcg:
            # Born in the small cgroup (its memory is charged there from the
            # first page), then it reads all its memory over and over.
            launcher = ["sh", "-c", f'echo $$ > {mcg.path}/cgroup.procs && exec "$@"', "sh"] + \
                as_user_argv(NOBODY) + [exe]
            with Workload(launcher, 64, content="random", seed=33, hot_percent=100, hot_interval_ms=1) as thrash:
                wait_for(lambda: psi_memory_some() > 5, 60, "memory pressure above 5%")
                cg.add(idle.pid)
                c = env.get_property("CycleCount")
                wait_cycle(env, c + 2, 60)
                s = stats(env)
                hold = s["LastCycle"]["HoldReason"]
                check(hold.startswith("memory pressure") and s["PageoutHold"] == hold,
                      f"no hold under pressure {psi_memory_some()}%: {s['LastCycle']}")
                check(idle.status()["vm_swap_kib"] == 0, "paged out under pressure")
                check(processes(env)[idle.pid]["state"] == "held", f"{processes(env).get(idle.pid)}")
                status = env.ctl("status", check_rc=0).stdout
                check("pageouts wait: memory pressure" in status, f"status:\n{status}")
                print(f"under pressure: {hold}")
                thrash.kill()
            # The pressure decays over ten seconds or so; then the pageout.
            try:
                wait_for(lambda: idle.status()["vm_swap_kib"] * 1024 >= 0.9 * idle.len, 120,
                         "the pageout after the pressure fell")
            except TestFailure:
                raise TestFailure(f"no pageout after the pressure fell ({psi_memory_some()}%): "
                                  f"{stats(env)['LastCycle']}")
            # The pages go out while the cycle runs; its figures land when it ends.
            try:
                wait_for(lambda: stats(env)["PageoutHold"] == "", 30, "PageoutHold cleared")
            except TestFailure:
                raise TestFailure(f"PageoutHold stays set after the pressure fell: {stats(env)['LastCycle']}")
            check(idle.verify()["ok"], "checksum changed")
            env.stop_engine()


def v1_limit(mcg):
    with open(os.path.join(mcg.path, "memory.limit_in_bytes")) as f:
        return int(f.read())


def interleaved_in(mcg, seed):
    """An interleaved 64 MiB workload owned by nobody, born in the v1 memory
    cgroup mcg (its memory charged there from the first page)."""
    from workload import as_user_argv
    launcher = ["sh", "-c", f'echo $$ > {mcg.path}/cgroup.procs && exec "$@"', "sh"] + \
        as_user_argv(NOBODY) + [os.environ["WOLFRAM_WORKLOAD"]]
    return Workload(launcher, 64, content="text", seed=seed, hot_percent=50, hot_pattern="interleave",
                    hot_run_kib=4)


def case_cgroup_v1_lru():
    """Every other page hot, the workload alone in a v1 memory cgroup (this
    machine's memory controller is on cgroup v1): the cold pages go to swap
    through the cgroup's LRU, page by page, and the hot ones stay without a
    fault; the cgroup's limit is what it was, between steps and after."""
    check(os.path.isdir(MEMORY_V1), f"no v1 memory controller at {MEMORY_V1}")
    with TestCgroup("v1lru") as cg, TestCgroup("v1lru", root=MEMORY_V1) as mcg:
        limit = v1_limit(mcg)
        with interleaved_in(mcg, 34) as w:
            cg.add(w.pid)
            hot_pages, cold_pages = w.hot_len // w.page_size, (w.len - w.hot_len) // w.page_size
            with Env(config=config([cg], "pressure_limit_percent=0")) as env:
                moved, limits = 0, set()
                for n in range(1, 6):
                    wait_cycle(env, n, 120)
                    limits.add(v1_limit(mcg))
                    moved += stats(env)["LastCycle"]["CgroupReclaimBytes"]
                    res = w.residency()
                    if res["cold_swapped"] >= 0.9 * cold_pages:
                        break
                res, faults = w.residency(), w.faults()
                check(res["cold_swapped"] >= 0.9 * cold_pages, f"cold pages not in swap after {n} cycles: {res}")
                check(moved >= 0.5 * (w.len - w.hot_len), f"the cgroup's LRU moved {moved} bytes")
                check(res["hot_present"] >= 0.99 * hot_pages, f"hot pages not in RAM: {res}")
                check(faults["hot_majflt"] <= 0.01 * hot_pages,
                      f"{faults['hot_majflt']} hot major faults, {hot_pages} hot pages")
                check(limits == {limit} and v1_limit(mcg) == limit,
                      f"the cgroup's limit changed: {limit} -> {limits}, {v1_limit(mcg)}")
                check(not os.path.exists(os.path.join(env.runtime_dir, "memcg-limit")),
                      "the record of a lowered limit was left behind")
                if stats(env)["LastCycle"]["CgroupReclaimBytes"] > 0:
                    status = env.ctl("status", check_rc=0).stdout
                    check("by the LRU of 1 cgroups" in status, f"status:\n{status}")
                check(w.verify()["ok"], "checksum changed")
                print(f"{cold_pages} cold pages: {res['cold_swapped']} in swap after {n} cycles "
                      f"({moved // MIB} MiB through the LRU); {hot_pages} hot pages: {res['hot_present']} "
                      f"in RAM, {faults['hot_majflt']} major faults")
                env.stop_engine()


def case_cgroup_v1_lru_stopped():
    """The same workload, its cold pages moved through its cgroup's LRU,
    is stopped (SIGSTOP) through one cycle: that cycle reads its hot pages
    as idle, but one reading is not enough, though pageout_after_cycles=1
    and the region had been idle enough for cycles while it was mixed (its
    hot pages were seen: HOT_CONFIRM_CYCLES readings must agree): it pages
    nothing out, and resumed, the hot pages are still in RAM."""
    check(os.path.isdir(MEMORY_V1), f"no v1 memory controller at {MEMORY_V1}")
    with TestCgroup("v1stop") as cg, TestCgroup("v1stop", root=MEMORY_V1) as mcg:
        with interleaved_in(mcg, 35) as w:
            cg.add(w.pid)
            hot_pages, cold_pages = w.hot_len // w.page_size, (w.len - w.hot_len) // w.page_size
            with Env(config=config([cg], "pressure_limit_percent=0")) as env:
                wait_cycle(env, 3, 120)
                res = w.residency()
                check(res["cold_swapped"] >= 0.9 * cold_pages, f"cold pages not in swap after 3 cycles: {res}")
                before = w.faults()["hot_majflt"]
                n = env.get_property("CycleCount")
                [(stopped_cycle, _)] = stopped_cycles(env, w, 1)
                wait_cycle(env, n + 3, 60)
                res, faults = w.residency(), w.faults()
                check(res["hot_present"] >= 0.99 * hot_pages, f"hot pages left RAM after the stop: {res}")
                check(stopped_cycle["PagedOutBytes"] < w.hot_len // 4,
                      f"the stopped cycle paged out {stopped_cycle['PagedOutBytes']} bytes")
                # Paged out whole, every hot page would come back (100%); a
                # later LRU run after the resume asks for half of the cold
                # rest and should take none (0 in the runs measured).
                check(faults["hot_majflt"] - before <= 0.1 * hot_pages,
                      f"{faults['hot_majflt'] - before} hot major faults after one stopped cycle, {hot_pages} hot pages")
                check(w.verify()["ok"], "checksum changed")
                print(f"stopped through cycle {n + 1} (paged out {stopped_cycle['PagedOutBytes'] // MIB} MiB, "
                      f"made cold {stopped_cycle['ColdBytes'] // MIB} MiB): {res['hot_present']} of {hot_pages} "
                      f"hot pages in RAM after, {faults['hot_majflt'] - before} major faults since the stop "
                      f"({before} before it, while the LRU moved the cold pages)")
                env.stop_engine()


def case_cgroup_lru_window_runs_on():
    """The workload of cgroup-v1-lru, its cold pages moved through its
    cgroup's LRU, reads all of its memory (verify): what the LRU took comes
    back, over the refault budget, and the cgroup's LRU waits a cycle. Its
    idle window runs on through that cycle: the engine neither marks the
    workload nor makes its region cold, so the pages it read again after
    the hold began keep their bits, and the cycle reads the region as used
    (with a mark, it would read the cold half idle, as the cycle before
    did). After the hold its windows are longer than one cycle (twice
    the wait): the window that went over does not come back at once.
    cold_threshold=0 has the engine log each reading."""
    check(os.path.isdir(MEMORY_V1), f"no v1 memory controller at {MEMORY_V1}")
    with TestCgroup("v1window") as cg, TestCgroup("v1window", root=MEMORY_V1) as mcg:
        with interleaved_in(mcg, 36) as w:
            cg.add(w.pid)
            cold_pages = (w.len - w.hot_len) // w.page_size
            text = config([cg], "pressure_limit_percent=0").replace("cold_threshold=0.3", "cold_threshold=0")
            with Env(engine=False, config=text) as env:
                env.start_engine(["--log-level=debug"])
                wait_for(lambda: w.residency()["cold_swapped"] >= 0.9 * cold_pages, 120,
                         "the cold pages in swap")
                check(w.verify()["ok"], "checksum changed")  # every cold page comes back
                held = f"Cgroup {mcg.name}"
                wait_for(lambda: re.search(r"waits \d+ cycles?, and its idle window runs on", env.read_log()),
                         60, "the cgroup's LRU held for the refaults")
                # Before the next cycle's mark would have come: every page
                # used after the hold began.
                check(w.verify()["ok"], "checksum changed")
                log = env.read_log()
                start = re.search(r"waits \d+ cycles?, and its idle window runs on", log).start()
                wait_for(lambda: len(region_readings(env.read_log()[start:], w.pid, w.addr)) >= 2, 60,
                         "two readings after the hold began")
                after = region_readings(env.read_log()[start:], w.pid, w.addr)
                before = region_readings(log[:start], w.pid, w.addr)
                shares = [round(idle / res, 2) for res, idle in before[-2:] + after[:2] if res]
                print(f"{held}: idle shares of the region, the last two readings before the hold and the "
                      f"two after: {shares}")
                check(before and before[-1][0] and before[-1][1] / before[-1][0] >= 0.3,
                      f"the reading before the hold found the cold half used: {before[-1:]}")
                check(after[0][0] and after[0][1] / after[0][0] <= 0.1,
                      f"the cycle of the hold read pages used since it began as idle: {after[0]} "
                      "(it marked them again)")
                check(w.verify()["ok"], "checksum changed")
                # The window that went over the budget does not come back:
                # after the hold, windows of the backoff's length.
                try:
                    wait_for(lambda: re.search(r"its idle window runs ([2-9]|1\d) cycles", env.read_log()[start:]),
                             120, "a window of several cycles after the hold")
                finally:
                    print("\n".join(ln for ln in env.read_log()[start:].splitlines()
                                    if "Cgroup" in ln or ln.startswith("Cycle")))
                check(w.verify()["ok"], "checksum changed")
                env.stop_engine()


def case_cgroup_v1_restore():
    """An engine that died while a v1 cgroup's limit was lowered for a step
    left the record of it: the next start sets the limit back and removes
    the record; a record that is not one changes nothing and stays."""
    check(os.path.isdir(MEMORY_V1), f"no v1 memory controller at {MEMORY_V1}")
    with TestCgroup("v1restore", root=MEMORY_V1, files={"memory.limit_in_bytes": 48 * MIB}) as mcg:
        with Env(engine=False) as env:
            record = os.path.join(env.runtime_dir, "memcg-limit")
            with open(record, "w") as f:
                f.write(f"{512 * MIB}\n{mcg.name}")
            env.start_engine()
            wait_for(lambda: not os.path.exists(record), 20, "the record removed")
            check(v1_limit(mcg) == 512 * MIB, f"the limit was not set back: {v1_limit(mcg)}")
            check("Set back a cgroup's memory.limit_in_bytes" in env.read_log(), env.read_log())
            env.stop_engine()
        with open(os.path.join(mcg.path, "memory.limit_in_bytes"), "w") as f:
            f.write(str(48 * MIB))
        with Env(engine=False) as env:
            record = os.path.join(env.runtime_dir, "memcg-limit")
            with open(record, "w") as f:
                f.write(f"{512 * MIB}\n{mcg.name}/../..")
            env.start_engine()
            wait_for(lambda: "Failed to set back the cgroup limit" in env.read_log(), 20, "the warning")
            check(os.path.exists(record), "a bad record was removed")
            check(v1_limit(mcg) == 48 * MIB, f"a bad record changed the limit: {v1_limit(mcg)}")
            env.stop_engine()
        print("a lowered limit set back at start (48 -> 512 MiB); a bad record kept, nothing changed")


def case_reload_cycle_timer():
    """A reload to a shorter cycle_secs takes effect at once: the next cycle
    comes within the new interval, not after the old one (300 s)."""
    with TestCgroup("timer") as cg:
        base = f"[Engine]\nidle_sample_secs=1\nmin_process_anon_mib=16\n[Exclude]\nonly_cgroups={cg.name}\n"
        with Env(config=base + "[Engine]\ncycle_secs=300\n") as env:
            wait_cycle(env, 1, 30)
            env.write_config(base + "[Engine]\ncycle_secs=10\n")
            t = time.monotonic()
            env.ctl("reload", check_rc=0)
            wait_cycle(env, 2, 30)
            took = time.monotonic() - t
            check(took <= 15, f"the next cycle came {took:.1f} s after the reload")
            # And back to a longer interval: no cycle comes early.
            env.write_config(base + "[Engine]\ncycle_secs=120\n")
            env.ctl("reload", check_rc=0)
            time.sleep(15)
            check(env.get_property("CycleCount") <= 3, "a longer interval ran cycles on the shorter one")
            print(f"the next cycle came {took:.1f} s after the reload to cycle_secs=10")
            env.stop_engine()




def case_periodic_visitor():
    """A process that reads all of its 32 MiB once every 20 s and nothing
    in between, as a cache's crawler or a collector visits its data: idle
    in every 2 s sample, so the first pageout takes all of it and the next
    visit brings it back. Then the engine must not page it out again: the
    pages that came back start the count of idle readings again, and those
    readings cover every cycle since the first (the process is not marked
    meanwhile), so the visits show. The default refault budget; over the
    three visits after the first wave, its major faults stay under a tenth
    of its pages (a pageout-refault loop is a whole wave)."""
    with TestCgroup("visitor") as cg, \
            workload(32, content="text", seed=41, hot_percent=100, hot_interval_ms=20000) as w:
        cg.add(w.pid)
        pages = w.hot_len // w.page_size
        with Env(config=config([cg])) as env:
            wait_for(lambda: w.faults()["hot_majflt"] >= 0.9 * pages, 90, "the first visit's refaults")
            first, t0 = w.faults()["hot_majflt"], time.monotonic()
            out0 = stats(env)["TotalPagedOutBytes"]
            time.sleep(62)
            faults = w.faults()["hot_majflt"] - first
            again = stats(env)["TotalPagedOutBytes"] - out0
            print(f"{pages} pages: the first wave {first} faults; then {faults} in {time.monotonic() - t0:.0f} s "
                  f"({w.faults()['hot_passes']} visits in all), {again // 1024} KiB paged out again")
            check(faults <= 0.1 * pages, f"the visits brought {faults} of {pages} pages back after the first "
                  f"wave: paged out again ({again} bytes)\n{env.read_log()[-3000:]}")
            check(w.verify()["ok"], "checksum changed")
            env.stop_engine()


def case_confirm_per_region():
    """While one region of a process is being confirmed idle (its pages
    came back, so three readings in a row must find it idle), that region
    alone keeps its accessed bits from mark to mark; the process's other
    regions are marked every cycle as ever. Here the workload's cold half
    goes out, is read back (verify), and so is confirmed over the next
    cycles; its hot half, read all the time until the workload is stopped,
    must go out at the first stopped cycle, not once the cold half's
    confirmation is over (two cycles later, when the whole process waited
    for it). The refault budget is off: it would hold both halves."""
    with TestCgroup("confirm") as cg, workload(64, content="text", seed=43, hot_percent=50) as w:
        cg.add(w.pid)
        pages = w.hot_len // w.page_size
        cold_pages = (64 * MIB - w.hot_len) // w.page_size
        with Env(config=config([cg], "pressure_limit_percent=0\nrefault_budget_percent=0")) as env:
            wait_for(lambda: w.residency()["cold_swapped"] >= 0.9 * cold_pages, 60, "the cold half paged out")
            res = w.residency()
            check(res["hot_present"] >= 0.95 * pages, f"the hot half went out with the cold one: {res}")
            # Read back right after a cycle: the next one marks both halves
            # after the read and reads the cold half idle once.
            n = env.get_property("CycleCount")
            wait_cycle(env, n + 1)
            check(w.verify()["ok"], "checksum changed")
            check(w.residency()["cold_present"] >= 0.9 * cold_pages, f"not read back: {w.residency()}")
            wait_cycle(env, n + 2)
            seen = stopped_cycles(env, w, 3)
            out = [c["PagedOutBytes"] for c, _ in seen]
            res = w.residency()
            print(f"stopped through 3 cycles: paged out {[o // MIB for o in out]} MiB "
                  f"({w.hot_len // MIB} MiB hot, {cold_pages * w.page_size // MIB} MiB cold being confirmed); {res}")
            check(out[0] >= 0.9 * w.hot_len and out[0] < w.hot_len + 0.5 * cold_pages * w.page_size,
                  f"the first stopped cycle paged out {out}: the hot half should go, the cold half stay")
            check(out[1] >= 0.9 * cold_pages * w.page_size,
                  f"the cold half did not go at its third idle reading: {out}")
            check(res["hot_swapped"] >= 0.9 * pages and res["cold_swapped"] >= 0.9 * cold_pages,
                  f"not all in swap: {res}")
            check(w.verify()["ok"], "checksum changed")
            env.stop_engine()


def case_app_memcached_budget():
    """memcached from Debian as the memcache user, 128 MiB of items that
    expire in an hour (a cache's), 5% of them read all the time. Its own LRU
    crawler visits every item, as its autocrawl does on a schedule of its
    own (asked here every 30 s), so the first crawl after the engine's
    pageout brings everything back: that refault wave holds its pageouts
    within one cycle, what came back and the CPU that pageout wasted are
    counted (GetStats, status), and while the crawler keeps coming the
    engine does not page the items out again: memcached's major faults
    after the wave stay within the refault budget (0.2% of its memory a
    minute; a pageout-refault loop is a wave each crawl). Every item as
    written."""
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "apps"))
    from subjects import MEMCACHED, Memcached, ReaderThread

    class HotReader(ReaderThread):
        """Multi-gets of 20 random hot keys after another over one
        connection, each answer checked against what was written."""

        def __init__(self, hot_keys):
            import random
            super().__init__()
            self.hot_keys, self.rng = hot_keys, random.Random(5)

        def read(self):
            s, f = mc.connect()
            with s, f:
                while not self.stopping.is_set():
                    keys = [self.rng.randrange(self.hot_keys) for _ in range(20)]
                    got = mc.get_many(s, f, keys)
                    self.reads += len(keys)
                    self.wrong += sum(got[i] != mc.value(i) for i in keys)

    need(os.access(MEMCACHED, os.X_OK), f"{MEMCACHED} is not installed (tools/install-deps.sh)")
    page = os.sysconf("SC_PAGE_SIZE")
    with TestCgroup("app-memcached") as cg, Memcached(cg, 128) as mc:
        info = mc.load()
        pid = mc.pids()[0]

        def crawl():
            s, f = mc.connect()
            with s, f:
                s.sendall(b"lru_crawler crawl all\r\n")
                answer = f.readline()
            check(answer == b"OK\r\n", f"lru_crawler crawl all: {answer!r}")

        # The default refault budget (the harness turns the pressure gate
        # off: the machine's own IO must not be what holds the pageouts).
        with HotReader(info["hot_keys"]) as reader, Env(config=config([cg])) as env:
            wait_for(lambda: mc.swap_bytes() >= 0.7 * info["data_bytes"], 90, "the first pageout of memcached")
            wait_cycle(env, env.get_property("CycleCount") + 1)
            paged = processes(env)[pid]["pageout"]
            flt0 = mc.major_faults()
            crawl()
            wait_for(lambda: mc.major_faults() - flt0 >= 0.5 * paged / page, 60, "the crawl's refaults")
            n, states = env.get_property("CycleCount"), []
            for k in (1, 2):
                wait_cycle(env, n + k)
                states.append(processes(env)[pid]["state"])
            wave = mc.major_faults() - flt0
            s = stats(env)
            check("held" in states, f"no cycle held memcached's pageouts after the wave: {states}")
            check(s["TotalRefaultedBytes"] >= 0.5 * paged,
                  f"what came back was not counted: {s['TotalRefaultedBytes']} of {paged} paged out")
            check(s["WastedPageoutCpuUsec"] > 0, f"no wasted pageout CPU reported: {s}")
            status = env.ctl("status", check_rc=0).stdout
            check("paging out what came back cost" in status, f"status:\n{status}")
            print(f"first pageout {paged // MIB} MiB, the crawl brought {wave * page // MIB} MiB back; states after "
                  f"{states}; wasted CPU {s['WastedPageoutCpuUsec'] / 1e6:.2f} s")

            # The crawler keeps coming: three more crawls, 30 s apart.
            flt1, t1 = mc.major_faults(), time.monotonic()
            memory = mc.anon_bytes() + mc.swap_bytes()
            out1 = s["TotalPagedOutBytes"]
            for k in range(3):
                time.sleep(max(0, t1 + 30 * k - time.monotonic()))
                crawl()
            time.sleep(max(0, t1 + 75 - time.monotonic()))
            minutes = (time.monotonic() - t1) / 60
            faults = mc.major_faults() - flt1
            budget = 0.002 * memory / page * minutes
            again = stats(env)["TotalPagedOutBytes"] - out1
            print(f"three more crawls in {minutes * 60:.0f} s: {faults} major faults (the budget: {budget:.0f}), "
                  f"{again // 1024} KiB paged out again; {reader.reads} hot reads")
            check(faults <= budget, f"memcached faulted {faults} pages in {minutes * 60:.0f} s after the wave, over "
                  f"the refault budget's {budget:.0f}; paged out again: {again} bytes\n{env.read_log()[-4000:]}")
        check(reader.error is None and reader.wrong == 0,
              f"the hot reader: {reader.wrong} wrong answers, {reader.error}")
        result = mc.check()
        check(result["ok"], f"memcached's items: {result}")
        check(mc.answers(), "memcached no longer answers")
        print(f"all {result['keys_checked']} items as written")
