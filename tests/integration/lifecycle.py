# SPDX-License-Identifier: MIT
"""One engine at a time through its whole life: a new instance started while
the old one still puts the kernel back waits for it (the lock in the runtime
directory), and status then shows the kernel's values."""

import fcntl
import os
import random
import signal
import subprocess
import time

from harness import BUS_NAME, Env, TestCgroup, check, read_vm_knobs, swap_devices, wait_for, zram_devices
from pacing import config, workload
from workload import process_madvise_pageout

MIB = 1024 * 1024


def name_owner_pid(env):
    res = env.call("GetConnectionUnixProcessID", dest="org.freedesktop.DBus", path="/org/freedesktop/DBus",
                   interface="org.freedesktop.DBus", signature="s", args=[BUS_NAME])
    return res["result"][0] if res["ok"] else None


def saved_originals(env):
    out = {}
    with open(os.path.join(env.runtime_dir, "sysctl.saved")) as f:
        for line in f:
            k, v = line.strip().split("=")
            out[k[3:]] = int(v)
    return out


def check_status_is_kernel(env):
    """Tuning shows what the kernel has, and the originals are the
    machine's, not the values an earlier instance set."""
    now = read_vm_knobs()
    tuning = {name: (orig, value) for name, orig, value in env.get_property("Tuning")}
    check(tuning, "no knob tuned")
    for name, (orig, value) in tuning.items():
        check(value == now[name], f"status says vm.{name} is {value}, the kernel has {now[name]}")
        check(orig == env.vm_before[name], f"vm.{name} 'was' {orig}, the machine had {env.vm_before[name]}")
    check(saved_originals(env) == {k: env.vm_before[k] for k in saved_originals(env)},
          f"sysctl.saved {saved_originals(env)} is not the machine's {env.vm_before}")


def case_instance_waits():
    """While the lock is held (here by the test), a new engine changes
    nothing and says whom it waits for; with --wait=2 it gives up with a
    clear message; once the lock is free it starts."""
    with Env(engine=False) as env:
        lock = open(os.path.join(env.runtime_dir, "wolframd.lock"), "a+")
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        knobs, zram = read_vm_knobs(), zram_devices()

        r = subprocess.run(env.engine_argv(["--wait=2"]), env=env.engine_env(), capture_output=True, text=True,
                           timeout=30)
        check(r.returncode == 1, f"exit code {r.returncode} when the lock stayed busy:\n{r.stderr}")
        check(f"Another wolframd (pid {os.getpid()}) is still running" in r.stderr and "--wait=" in r.stderr,
              f"the refusal does not say who and what to do:\n{r.stderr}")
        check(read_vm_knobs() == knobs and zram_devices() == zram, "an instance that gave up changed the kernel")
        check(not env.name_has_owner(BUS_NAME), "an instance that gave up owned the name")

        env.engine_log = os.path.join(env.tmp, "wolframd.log")
        p = subprocess.Popen(env.engine_argv(), stdout=subprocess.DEVNULL, stderr=open(env.engine_log, "a"),
                             env=env.engine_env())
        env.procs["wolframd"] = p
        wait_for(lambda: "waiting up to 120 s" in env.read_log(), 10, "the engine to say it waits")
        check(p.poll() is None and not env.name_has_owner(BUS_NAME), "the engine did not wait")
        check(read_vm_knobs() == knobs and zram_devices() == zram, "a waiting instance changed the kernel")
        lock.close()
        wait_for(lambda: env.name_has_owner(BUS_NAME), 10, "the engine to start once the lock was free")
        check(name_owner_pid(env) == p.pid, "someone else owns the name")
        env.run(["busctl", "--system", "call", BUS_NAME, "/org/wolfram/Memory1", "org.freedesktop.DBus.Peer",
                 "Ping"], check_rc=0)
        check_status_is_kernel(env)
        env.stop_engine()


def case_overlapping_restart():
    """SIGTERM to the engine and at once a new one, as a restart script or
    bus activation does: the new one waits for the old one's cleanup (its
    pool holds a workload's pages), then starts from the machine's own
    values, and the final stop leaves the machine as it was."""
    with Env() as env:
        with workload(256, content="text", seed=41) as w:
            check(process_madvise_pageout(w.pid, w.addr, w.len) == w.len, "pageout")
            check(w.status()["vm_swap_kib"] * 1024 >= 0.9 * w.len, "the workload is not in the pool")
            old = env.procs.pop("wolframd")
            old.send_signal(signal.SIGTERM)
            new = subprocess.Popen(env.engine_argv(), stdout=subprocess.DEVNULL,
                                   stderr=open(env.engine_log, "a"), env=env.engine_env())
            env.procs["wolframd"] = new
            check(old.wait(30) == 0, f"the old engine failed its stop:\n{env.read_log()}")
            wait_for(lambda: name_owner_pid(env) == new.pid, 30, "the new engine to own the name")
            env.run(["busctl", "--system", "call", BUS_NAME, "/org/wolfram/Memory1",
                     "org.freedesktop.DBus.Peer", "Ping"], check_rc=0)
            log = env.read_log()
            check("waiting up to" in log, f"the new engine did not wait for the old one:\n{log}")
            check("Failed to" not in log, f"the restart failed somewhere:\n{log}")
            check_status_is_kernel(env)
            devices = env.get_property("PoolDevices")
            check(len(devices) == 1 and int(devices[0][4:]) in zram_devices(), f"no pool after the restart: {devices}")
            check(w.verify()["ok"], "checksum changed across the restart")
        env.stop_engine()


def case_crash_restart_loop():
    """SIGKILL at random moments, 20 times, while cycles page workloads out
    and the pool grows and shrinks, half of them in the middle of a stop:
    after each restart every checksum holds, status shows the kernel's
    values and the pool is one device; after the final stop the machine is
    as it was. WOLFRAM_CRASH_SEED repeats a run."""
    seed = int(os.environ.get("WOLFRAM_CRASH_SEED", time.time_ns() % 1000000))
    rng = random.Random(seed)
    print(f"seed {seed}")
    with TestCgroup("crash") as cg, workload(64, content="text", seed=51) as a, \
            workload(64, content="mixed", seed=52) as b:
        cg.add(a.pid)
        cg.add(b.pid)
        ws, grower = [a, b], None
        with Env(config=config([cg])) as env:
            try:
                kinds, in_pool = [], []
                for i in range(20):
                    if i == 3:
                        # Random data: the pool's RAM grows with it, and
                        # shrinks once it is gone (i == 12).
                        grower = workload(128, content="random", seed=53).__enter__()
                        process_madvise_pageout(grower.pid, grower.addr, grower.len)
                    if i == 12 and grower:
                        check(grower.verify()["ok"], "the random workload's checksum changed")
                        grower.__exit__(None, None, None)
                        grower = None
                    # The first cycle pages out about 3.5 s after a start
                    # (1 s, then the 2 s idle sample): every other kill
                    # comes after it, the rest at any moment before.
                    time.sleep(rng.uniform(5.0, 8.0) if i % 2 else rng.uniform(0.1, 5.0))
                    in_pool.append(sum(w.status()["vm_swap_kib"] for w in ws) // 1024)
                    p = env.procs.pop("wolframd")
                    if rng.random() < 0.5:
                        kinds.append("kill")
                    else:
                        kinds.append("kill in stop")
                        p.send_signal(signal.SIGTERM)
                        time.sleep(rng.uniform(0, 0.3))
                    p.kill()
                    p.wait(10)
                    wait_for(lambda: not env.name_has_owner(BUS_NAME), 5, "the name to be released")
                    for w in ws + ([grower] if grower else []):
                        check(w.verify()["ok"], f"checksum changed after kill {i + 1} ({kinds[-1]})")
                    env.start_engine()
                    check_status_is_kernel(env)
                    devices = env.get_property("PoolDevices")
                    ours = [d for d in zram_devices() if d not in env.zram_before]
                    check(len(devices) == 1 and ours == [int(devices[0][4:])],
                          f"after kill {i + 1} ({kinds[-1]}): pool {devices}, new zram devices {ours}")
                loaded = sum(1 for mib in in_pool if mib > 0)
                print(f"20 kills ({kinds.count('kill in stop')} during a stop), {loaded} of them with the "
                      f"workloads' pages in the pool (MiB: {in_pool}): every checksum held")
                check(loaded >= 5, f"only {loaded} kills came while the workloads had pages in the pool: {in_pool}")
            finally:
                if grower:
                    grower.__exit__(None, None, None)
            env.stop_engine()
            for w in ws:
                check(w.verify()["ok"], "checksum changed after the final stop")


def case_pause_under_load():
    """Pause while a cycle pages out 1 GiB and both CPUs are busy with other
    processes: the worker runs at idle priority and would crawl to its next
    check, so the engine lifts it before waiting for it; Pause answers
    within 2 s, and nothing more is paged out after it."""
    with TestCgroup("pause-load") as cg, workload(1024, content="mixed", seed=71) as w:
        cg.add(w.pid)
        with Env(config=config([cg])) as env:
            wait_for(lambda: w.status()["vm_swap_kib"] > 0, 30, "the cycle's pageout to start")
            hogs = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(os.cpu_count() or 2)]
            try:
                time.sleep(1)
                t = time.monotonic()
                res = env.run(["busctl", "--system", "call", BUS_NAME, "/org/wolfram/Memory1", BUS_NAME, "Pause"])
                took = time.monotonic() - t
                swapped = w.status()["vm_swap_kib"]
                time.sleep(2)
                after = w.status()["vm_swap_kib"]
            finally:
                for h in hogs:
                    h.kill()
                    h.wait()
            check(res.returncode == 0, f"Pause: {res.stderr}")
            print(f"Pause answered in {took:.2f} s with {len(hogs)} CPU hogs and a pageout under way "
                  f"({swapped // 1024} MiB of {w.len // MIB} MiB out)")
            check(swapped * 1024 < 0.9 * w.len, "the pageout had ended before the Pause: nothing was measured")
            check(took < 2.0, f"Pause took {took:.2f} s")
            check(after <= swapped + 1024, f"paged out after the Pause: {swapped} -> {after} KiB")
            check(w.verify()["ok"], "checksum changed")
            env.stop_engine()


def case_compression_off_answers():
    """Compression off with 1.5 GiB in the pool: swapoff brings it all back
    into RAM, which takes seconds, and runs in a thread of its own. The bus
    answers meanwhile; SetPolicy answers when the pool is gone, not before;
    the workload's data is intact and back in RAM."""
    with TestCgroup("pool-off") as cg, workload(1536, content="mixed", seed=73) as w:
        cg.add(w.pid)
        with Env(config=config([cg]).replace("cycle_secs=10", "cycle_secs=3600")) as env:
            res = env.call("ReclaimProcess", signature="us", args=[w.pid, "pageout"])
            check(res["ok"], f"ReclaimProcess: {res}")
            swapped = w.status()["vm_swap_kib"] * 1024
            check(swapped > 1024 * MIB, f"only {swapped // MIB} MiB paged out")
            devices = env.get_property("PoolDevices")
            check(devices, "no pool")
            t0 = time.monotonic()
            off = subprocess.Popen(["busctl", "--system", "call", BUS_NAME, "/org/wolfram/Memory1", BUS_NAME,
                                    "SetPolicy", "sb", "compression", "false"], env=env.env(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            answered, slowest = 0, 0.0
            while off.poll() is None:
                t = time.monotonic()
                r = env.run(["busctl", "--system", "call", BUS_NAME, "/org/wolfram/Memory1", BUS_NAME, "GetStats"])
                took = time.monotonic() - t
                if off.poll() is None:
                    check(r.returncode == 0, f"GetStats during the swapoff: {r.stderr}")
                    answered += 1
                    slowest = max(slowest, took)
            took_off = time.monotonic() - t0
            err = off.stderr.read()
            check(off.returncode == 0, f"SetPolicy(compression, off): {err}")
            pool_after = env.get_property("PoolDevices")
            print(f"Compression off took {took_off:.2f} s for {swapped // MIB} MiB; {answered} GetStats answered "
                  f"meanwhile, the slowest in {slowest * 1000:.0f} ms")
            check(pool_after == [], f"SetPolicy answered with the pool still there: {pool_after}")
            still = [d for d in devices if any(os.path.basename(d) == os.path.basename(s) for s in swap_devices())]
            check(not still, f"pool devices still swap: {still}")
            check(answered >= 3, f"only {answered} GetStats answered during a {took_off:.2f} s swapoff")
            check(slowest < min(1.0, took_off / 2), f"a GetStats took {slowest:.2f} s during the swapoff")
            check(w.status()["vm_swap_kib"] == 0, f"{w.status()['vm_swap_kib']} KiB still in swap")
            check(w.verify()["ok"], "checksum changed")
            env.stop_engine()
