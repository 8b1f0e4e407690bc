# SPDX-License-Identifier: MIT
"""Real applications as wolfram's test subjects: redis-server, memcached, a
JVM (HotHeap.java beside this file) and firefox-esr (page.html), each as a
user of its own, started in a cgroup of the test's so that the engine can be
told to work on them only. Each holds known data of which a small part is
read all the time, and offers:

    subject.start(); subject.load()       data in, the hot reader running
    subject.sample()                      the hot path's latency now:
                                          {"p50_us", "p99_us", "max_us", "n"}
    subject.check()                       {"ok", ...}: the data as written
    subject.pids()                        its processes
    subject.stop()

Used by tests/integration/apps.py (the short form), tests/integration/pacing.py
(memcached) and bench/bench_apps.py (the full form). Only the standard
library."""

import csv
import http.server
import io
import json
import os
import pwd
import queue
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from harness import stop_process  # tests/integration, on the path of every user of this module

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024


class SubjectError(Exception):
    pass


def _wait(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise SubjectError(f"timed out after {timeout} s waiting for {what}")


def proc_status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def proc_comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().rstrip("\n")
    except OSError:
        return None


def major_faults(pid):
    """Major faults of a process: pages it read back from swap (zram)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[9])
    except (OSError, IndexError, ValueError):
        return 0


def map_count(pid):
    try:
        with open(f"/proc/{pid}/maps") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def cgroup_pids(cg):
    try:
        with open(os.path.join(cg.path, "cgroup.procs")) as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def kill_cgroup(cg, timeout=10):
    """SIGKILL to whatever is left in the test's cgroup: only the processes
    the test launched there and their children can be in it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = cgroup_pids(cg)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


class NamespaceUser:
    """A user (and its group) that exists only in the test's private mount
    namespace: copies of /etc/passwd and /etc/group with one more line are
    bind-mounted over the real ones, so nothing on the host changes and
    nothing is left behind, whatever happens to the test. system: a uid
    below 1000, as a service's; else the first free one from 1000 up, as a
    person's. Enter it before the harness's Env (which binds /etc/group
    too) and leave it after."""

    def __init__(self, name, home, system=True):
        self.name = name
        self.home = home
        self.system = system

    def __enter__(self):
        check_namespace()
        used = {p.pw_uid for p in pwd.getpwall()}
        import grp
        used |= {g.gr_gid for g in grp.getgrall()}
        ids = range(999, 100, -1) if self.system else range(1000, 60000)
        self.uid = next(i for i in ids if i not in used)
        self.mounts = []
        self.tmp = tempfile.mkdtemp(prefix="wolfram-user-")
        os.chmod(self.tmp, 0o755)
        for path, line in (("/etc/passwd", f"{self.name}:x:{self.uid}:{self.uid}::{self.home}:/usr/sbin/nologin"),
                           ("/etc/group", f"{self.name}:x:{self.uid}:")):
            with open(path) as f:
                text = f.read()
            copy = os.path.join(self.tmp, os.path.basename(path))
            with open(copy, "w") as f:
                f.write(text + ("" if text.endswith("\n") else "\n") + line + "\n")
            os.chmod(copy, 0o644)
            subprocess.run(["mount", "--bind", copy, path], check=True)
            self.mounts.append(path)
        return self

    def __exit__(self, *exc):
        for path in reversed(self.mounts):
            subprocess.run(["umount", "--lazy", path], check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False


def check_namespace():
    if os.environ.get("WOLFRAM_TEST_NS") != "1":
        raise SubjectError("bind mounts over /etc need the harness's private mount namespace")


def as_user(user):
    pw = pwd.getpwnam(user)
    return ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups", "--"]


def launch(argv, cg, user, env=None, cwd=None, stdout=subprocess.DEVNULL, stderr=None):
    """Starts argv as user inside the cgroup: a shell joins it first and
    execs the application only then, so everything it forks is in the
    cgroup from the start. stdin stays a pipe to the application."""
    p = subprocess.Popen(["/bin/sh", "-c", 'read -r go && exec "$@"', "sh"] + as_user(user) + list(argv),
                         stdin=subprocess.PIPE, stdout=stdout, stderr=stderr, env=env, cwd=cwd, text=True)
    try:
        cg.add(p.pid)
        p.stdin.write("go\n")
        p.stdin.flush()
    except BaseException:
        p.kill()
        p.wait()
        raise
    return p


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


class Subject:
    name = "?"
    user = "?"

    def __init__(self, cg, data_mib, hot_percent=5):
        self.cg = cg
        self.data_mib = data_mib
        self.hot_percent = hot_percent
        self.proc = None
        self.tmp = None

    def pids(self):
        return cgroup_pids(self.cg)

    def swap_bytes(self):
        return sum(proc_status_kib(p, "VmSwap") for p in self.pids()) * 1024

    def anon_bytes(self):
        return sum(proc_status_kib(p, "RssAnon") for p in self.pids()) * 1024

    def major_faults(self):
        return sum(major_faults(p) for p in self.pids())

    def processes(self):
        """[{pid, name, maps, anon, swap, majflt}] of its processes, bytes."""
        out = []
        for p in self.pids():
            out.append({"pid": p, "name": proc_comm(p), "maps": map_count(p),
                        "anon": proc_status_kib(p, "RssAnon") * 1024, "swap": proc_status_kib(p, "VmSwap") * 1024,
                        "majflt": major_faults(p)})
        return out

    def make_tmp(self, owner):
        self.tmp = tempfile.mkdtemp(prefix=f"wolfram-{self.name}-")
        os.chmod(self.tmp, 0o755)
        pw = pwd.getpwnam(owner)
        os.chown(self.tmp, pw.pw_uid, pw.pw_gid)
        return self.tmp

    def stop(self):
        stop_process(self.proc, timeout=15)
        kill_cgroup(self.cg)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


class ReaderThread:
    """A client of a subject's reading in a thread of its own from
    __enter__ to __exit__: read() loops until self.stopping is set; an
    exception ends it and is kept, as text, in self.error, for the test or
    the benchmark to report. reads and wrong count the reads and the answers
    that were not as written."""

    def __init__(self):
        self.reads, self.wrong, self.error = 0, 0, None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            self.read()
        except Exception as e:  # noqa: BLE001  reported by the caller
            self.error = repr(e)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(30)
        return False


# --- redis ---------------------------------------------------------------------

REDIS_SERVER = "/usr/bin/redis-server"
REDIS_VALUE_BYTES = 1024


def _word_pool():
    rng = random.Random(7)
    words = ["memory", "page", "cold", "zram", "swap", "region", "process", "kernel", "the", "of", "and", "to",
             "redis", "value", "key", "data", "session", "cart", "user", "cycle"] + [f"w{i}" for i in range(200)]
    return " ".join(rng.choice(words) for _ in range(300000)).encode()


class Redis(Subject):
    """redis-server as the redis user (the package's), its own config in a
    temp dir, a unix socket, persistence off; never the system's service.
    Keys key:%012d (redis-benchmark's own __rand_int__ form), 1 KiB of
    text each; the first hot_percent of them are the hot keys, which
    redis-benchmark reads in sample()."""

    name = "redis"
    user = "redis"

    def start(self):
        self.make_tmp("redis")
        self.socket = os.path.join(self.tmp, "redis.sock")
        conf = os.path.join(self.tmp, "redis.conf")
        with open(conf, "w") as f:
            f.write(f"port 0\nunixsocket {self.socket}\nunixsocketperm 700\nsave \"\"\nappendonly no\n"
                    f"daemonize no\ndir {self.tmp}\nlogfile {self.tmp}/redis.log\n"
                    # DEBUG DIGEST, over the unix socket only.
                    "enable-debug-command local\n")
        self.proc = launch([REDIS_SERVER, conf], self.cg, self.user)
        _wait(lambda: os.path.exists(self.socket) or self.proc.poll() is not None, 20, "redis-server's socket")
        if self.proc.poll() is not None:
            raise SubjectError(f"redis-server exited: {self.log()}")
        _wait(lambda: self.cli("PING") == "PONG", 20, "redis-server to answer")
        self.pool = _word_pool()

    def log(self):
        try:
            with open(os.path.join(self.tmp, "redis.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def cli(self, *args):
        r = subprocess.run(["redis-cli", "-s", self.socket] + list(args), capture_output=True, text=True, timeout=60)
        return r.stdout.strip() if r.returncode == 0 else None

    def value(self, i):
        off = (i * 7919) % (len(self.pool) - REDIS_VALUE_BYTES)
        return (b"%d|" % i + self.pool[off:off + REDIS_VALUE_BYTES])[:REDIS_VALUE_BYTES]

    def load(self):
        self.keys = self.data_mib * MIB // REDIS_VALUE_BYTES
        self.hot_keys = max(1, self.keys * self.hot_percent // 100)
        p = subprocess.Popen(["redis-cli", "-s", self.socket, "--pipe"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = []
        for i in range(self.keys):
            k = b"key:%012d" % i
            v = self.value(i)
            out.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
            if len(out) == 5000:
                p.stdin.write(b"".join(out))
                out = []
        p.stdin.write(b"".join(out))
        p.stdin.close()
        text = p.stdout.read().decode(errors="replace")
        if p.wait(300) != 0 or f"errors: 0, replies: {self.keys}" not in text:
            raise SubjectError(f"loading redis failed: {text}")
        if int(self.cli("DBSIZE")) != self.keys:
            raise SubjectError("redis holds fewer keys than loaded")
        self.digest = self.cli("DEBUG", "DIGEST")
        return {"data_bytes": self.keys * REDIS_VALUE_BYTES, "hot_bytes": self.hot_keys * REDIS_VALUE_BYTES,
                "keys": self.keys, "hot_keys": self.hot_keys, "digest": self.digest}

    def sample(self, requests=2000):
        """redis-benchmark GETs of random hot keys, one connection."""
        r = subprocess.run(["redis-benchmark", "-s", self.socket, "-n", str(requests), "-c", "1",
                            "-r", str(self.hot_keys), "-t", "get", "--csv"],
                           capture_output=True, text=True, timeout=120)
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        if r.returncode != 0 or not rows:
            raise SubjectError(f"redis-benchmark failed: {r.stdout} {r.stderr}")
        row = rows[0]
        return {"p50_us": float(row["p50_latency_ms"]) * 1000, "p99_us": float(row["p99_latency_ms"]) * 1000,
                "max_us": float(row["max_latency_ms"]) * 1000, "n": requests}

    def answers(self):
        return self.cli("PING") == "PONG"

    def check(self):
        """DEBUG DIGEST as after loading, and every 97th key as written
        (read in one pipelined MGET per 1000)."""
        digest = self.cli("DEBUG", "DIGEST")
        wrong = 0
        checked = 0
        step = 97
        idx = list(range(0, self.keys, step))
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.socket)
            f = s.makefile("rb")
            for base in range(0, len(idx), 1000):
                part = idx[base:base + 1000]
                cmd = [b"MGET"] + [b"key:%012d" % i for i in part]
                s.sendall(b"*%d\r\n" % len(cmd) + b"".join(b"$%d\r\n%s\r\n" % (len(c), c) for c in cmd))
                head = f.readline()
                if not head.startswith(b"*"):
                    raise SubjectError(f"MGET answered {head!r}")
                for i in part:
                    ln = f.readline()
                    n = int(ln[1:])
                    v = f.read(n + 2)[:-2] if n >= 0 else None
                    checked += 1
                    if v != self.value(i):
                        wrong += 1
        return {"ok": digest == self.digest and wrong == 0, "digest_before": self.digest, "digest_after": digest,
                "keys_checked": checked, "keys_wrong": wrong}

    def stop(self):
        if self.proc and self.proc.poll() is None and self.tmp:
            self.cli("SHUTDOWN", "NOSAVE")
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        super().stop()


# --- memcached -----------------------------------------------------------------

MEMCACHED = "/usr/bin/memcached"


class Memcached(Subject):
    """memcached as the memcache user (the package's), never the system's
    service: a unix socket in a temp dir (no network), its default threads
    -- the LRU maintainer and crawler, which visit items on their own,
    and the hash table's -- and items that expire after ttl seconds, as a
    cache's do, so the crawler has work. Keys and values are Redis's:
    key:%012d, 1 KiB of text each."""

    name = "memcached"
    user = "memcache"

    def __init__(self, cg, data_mib, hot_percent=5, ttl=3600):
        super().__init__(cg, data_mib, hot_percent)
        self.ttl = ttl
        self.pool = _word_pool()

    def start(self):
        self.make_tmp(self.user)
        self.socket = os.path.join(self.tmp, "memcached.sock")
        self.errors = open(os.path.join(self.tmp, "stderr"), "w+")
        # Room for the items and their slab overhead; -s turns the network off.
        self.proc = launch([MEMCACHED, "-s", self.socket, "-a", "0700", "-m", str(2 * self.data_mib + 64),
                            "-c", "64", "-t", "2"], self.cg, self.user, stderr=self.errors)
        _wait(lambda: os.path.exists(self.socket) or self.proc.poll() is not None, 20, "memcached's socket")
        if self.proc.poll() is not None:
            raise SubjectError(f"memcached exited: {self.log()}")
        _wait(self.answers, 20, "memcached to answer")

    def log(self):
        self.errors.seek(0)
        return self.errors.read()[-2000:]

    def value(self, i):
        return Redis.value(self, i)

    def connect(self):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(120)
        s.connect(self.socket)
        return s, s.makefile("rb")

    def stats(self):
        s, f = self.connect()
        with s, f:
            s.sendall(b"stats\r\n")
            out = {}
            for line in iter(f.readline, b""):
                if line.startswith(b"END"):
                    break
                _, k, v = line.decode().split(None, 2)
                out[k] = v.strip()
            return out

    def load(self):
        self.keys = self.data_mib * MIB // REDIS_VALUE_BYTES
        self.hot_keys = max(1, self.keys * self.hot_percent // 100)
        s, f = self.connect()
        with s, f:
            for base in range(0, self.keys, 2000):
                s.sendall(b"".join(b"set key:%012d 0 %d %d noreply\r\n%s\r\n" % (i, self.ttl, REDIS_VALUE_BYTES,
                                                                                      self.value(i))
                                   for i in range(base, min(self.keys, base + 2000))))
            # One answered command after the rest: all of them were taken.
            s.sendall(b"version\r\n")
            if not f.readline().startswith(b"VERSION"):
                raise SubjectError("memcached did not answer after the load")
        items = int(self.stats().get("curr_items", -1))
        if items != self.keys:
            raise SubjectError(f"memcached holds {items} items of {self.keys} loaded (evictions?)")
        return {"data_bytes": self.keys * REDIS_VALUE_BYTES, "hot_bytes": self.hot_keys * REDIS_VALUE_BYTES,
                "keys": self.keys, "hot_keys": self.hot_keys}

    def get_many(self, s, f, keys):
        """{index: value or None} of one multi-get."""
        s.sendall(b"get " + b" ".join(b"key:%012d" % i for i in keys) + b"\r\n")
        out = dict.fromkeys(keys)
        while True:
            head = f.readline()
            if head.startswith(b"END"):
                return out
            parts = head.split()
            if len(parts) != 4 or parts[0] != b"VALUE":
                raise SubjectError(f"memcached answered {head!r}")
            out[int(parts[1][4:])] = f.read(int(parts[3]) + 2)[:-2]

    def sample(self, requests=2000):
        """Single GETs of random hot keys, one connection."""
        rng = random.Random()
        lat = []
        s, f = self.connect()
        with s, f:
            for _ in range(requests):
                i = rng.randrange(self.hot_keys)
                t = time.perf_counter_ns()
                v = self.get_many(s, f, [i])[i]
                lat.append((time.perf_counter_ns() - t) / 1000.0)
                if v != self.value(i):
                    raise SubjectError(f"memcached answered key {i} wrong")
        return {"p50_us": percentile(lat, 50), "p99_us": percentile(lat, 99), "max_us": max(lat), "n": requests}

    def answers(self):
        try:
            s, f = self.connect()
            with s, f:
                s.sendall(b"version\r\n")
                return f.readline().startswith(b"VERSION")
        except OSError:
            return False

    def check(self):
        """Every key as written (multi-gets of 500), none missing."""
        wrong = missing = 0
        s, f = self.connect()
        with s, f:
            for base in range(0, self.keys, 500):
                got = self.get_many(s, f, list(range(base, min(self.keys, base + 500))))
                for i, v in got.items():
                    if v is None:
                        missing += 1
                    elif v != self.value(i):
                        wrong += 1
        return {"ok": wrong == 0 and missing == 0, "keys_checked": self.keys, "keys_wrong": wrong,
                "keys_missing": missing}

    def stop(self):
        super().stop()
        if getattr(self, "errors", None):
            self.errors.close()


# --- the JVM -------------------------------------------------------------------

JAVA = "/usr/bin/java"
JAVAC = "/usr/bin/javac"
JVM_USER = "wolfram-jvm"


def compile_hotheap(dest):
    """javac HotHeap.java into dest (readable by everyone); seconds taken."""
    t0 = time.monotonic()
    os.makedirs(dest, exist_ok=True)
    r = subprocess.run([JAVAC, "-d", dest, os.path.join(HERE, "HotHeap.java")], capture_output=True, text=True,
                       timeout=180)
    if r.returncode != 0:
        raise SubjectError(f"javac failed: {r.stderr}")
    for root, dirs, files in os.walk(dest):
        os.chmod(root, 0o755)
        for n in files:
            os.chmod(os.path.join(root, n), 0o644)
    return time.monotonic() - t0


class Jvm(Subject):
    """HotHeap on OpenJDK 17 as the user wolfram-jvm (made with
    NamespaceUser): data_mib of byte arrays on the Java heap, the first
    hot_percent read by a thread every 5 ms, which times every read."""

    name = "jvm"
    user = JVM_USER

    def start(self):
        self.make_tmp(self.user)
        self.compile_s = compile_hotheap(os.path.join(self.tmp, "classes"))
        # Room for G1 to promote the arrays, as one would size a real heap.
        heap_mib = self.data_mib * 3 // 2 + 64
        self.heap_bytes = heap_mib * MIB
        argv = [JAVA, f"-Xms{heap_mib}m", f"-Xmx{heap_mib}m", "-XX:-UsePerfData", "-cp",
                os.path.join(self.tmp, "classes"), "HotHeap", str(self.data_mib), str(self.hot_percent), "1"]
        env = dict(os.environ, HOME=self.tmp)
        self.proc = launch(argv, self.cg, self.user, env=env, cwd=self.tmp, stdout=subprocess.PIPE)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _answer(self, timeout=120):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise SubjectError(f"the JVM gave no answer in {timeout} s") from None
        if line is None:
            raise SubjectError(f"the JVM exited (status {self.proc.poll()})")
        return json.loads(line)

    def command(self, cmd, timeout=120):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self._answer(timeout)

    def load(self):
        first = self._answer()
        self.pid = first["pid"]
        self.checksum = first["checksum"]
        self.command("latency")  # the warm-up is not measured
        return {"data_bytes": first["data_bytes"], "hot_bytes": first["hot_bytes"], "checksum": first["checksum"],
                "heap_bytes": self.heap_bytes}

    def sample(self):
        """The hot thread's reads since the last sample."""
        r = self.command("latency")
        return {"p50_us": r["p50_ns"] / 1000, "p99_us": r["p99_ns"] / 1000, "max_us": r["max_ns"] / 1000,
                "p999_us": r["p999_ns"] / 1000, "slow": r["slow"], "n": r["samples"]}

    def answers(self):
        return "checksum" in self.command("checksum")

    def check(self):
        c = self.command("checksum")
        v = self.command("verify")
        return {"ok": c["checksum"] == self.checksum and v["ok"], "checksum_before": self.checksum,
                "checksum_after": c["checksum"], "bad_chunks": v["bad_chunks"]}

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.stdin.write("exit\n")
                self.proc.stdin.close()
                self.proc.wait(10)
            except (BrokenPipeError, ValueError, subprocess.TimeoutExpired):
                pass
        super().stop()


# --- firefox ---------------------------------------------------------------------

FIREFOX = "/usr/bin/firefox-esr"
FIREFOX_USER = "wolfram-desktop"

# A fresh profile that stays off the network (the machine has none) and
# keeps the test's tabs loaded.
FIREFOX_PREFS = {
    "marionette.port": 0,  # a free port, written to MarionetteActivePort
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.page": 0,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.newtabpage.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.disabledForTesting": True,
    "app.normandy.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "browser.safebrowsing.downloads.remote.enabled": False,
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "services.settings.server": "http://127.0.0.1:1/",
    # Firefox unloads background tabs when memory runs low; the test's data
    # lives in them.
    "browser.tabs.unloadOnLowMemory": False,
}


class Marionette:
    """Firefox's remote protocol: "length:json" frames, commands
    [0, id, name, params], answers [1, id, error, result]."""

    def __init__(self, port, timeout=60):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.id = 0
        hello = self._recv()
        if hello.get("marionetteProtocol") != 3:
            raise SubjectError(f"unexpected Marionette greeting {hello}")

    def _recv(self):
        while b":" not in self.buf:
            self._more()
        n, _, rest = self.buf.partition(b":")
        n = int(n)
        self.buf = rest
        while len(self.buf) < n:
            self._more()
        msg, self.buf = self.buf[:n], self.buf[n:]
        return json.loads(msg)

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise SubjectError("Marionette closed the connection")
        self.buf += data

    def call(self, name, params=None):
        self.id += 1
        msg = json.dumps([0, self.id, name, params or {}]).encode()
        self.sock.sendall(b"%d:%s" % (len(msg), msg))
        while True:
            kind, mid, error, result = self._recv()
            if mid == self.id:
                break
        if error:
            raise SubjectError(f"{name}: {error.get('error')}: {error.get('message')}")
        return result

    def script(self, js, args=()):
        return self.call("WebDriver:ExecuteScript", {"script": js, "args": list(args)})["value"]

    def close(self):
        self.sock.close()


class _PageHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=HERE, **kw)

    def log_message(self, *a):
        pass


class Firefox(Subject):
    """firefox-esr --headless as the user wolfram-desktop (made with
    NamespaceUser), a fresh profile and HOME in a temp dir, one tab per
    page, each page from its own loopback address (127.0.0.2, .3, …) so
    that each is a site of its own and gets its own content process
    ("Isolated Web Co"). data_mib is split between the pages."""

    name = "firefox"
    user = FIREFOX_USER

    def __init__(self, cg, data_mib, hot_percent=5, pages=4):
        super().__init__(cg, data_mib, hot_percent)
        self.pages = pages
        self.servers = []
        self.marionette = None

    def start(self):
        self.make_tmp(self.user)
        profile = os.path.join(self.tmp, "profile")
        os.mkdir(profile)
        with open(os.path.join(profile, "user.js"), "w") as f:
            for k, v in FIREFOX_PREFS.items():
                f.write(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n")
        pw = pwd.getpwnam(self.user)
        for p in (profile, os.path.join(profile, "user.js")):
            os.chown(p, pw.pw_uid, pw.pw_gid)
        for k in range(self.pages):
            srv = http.server.ThreadingHTTPServer((f"127.0.0.{k + 2}", 0), _PageHandler)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            self.servers.append(srv)
        env = {"HOME": self.tmp, "USER": self.user, "LOGNAME": self.user, "PATH": "/usr/bin:/bin",
               "TMPDIR": self.tmp, "LANG": "C.UTF-8", "MOZ_CRASHREPORTER_DISABLE": "1"}
        self.log_path = os.path.join(self.tmp, "firefox.log")
        self.log_file = open(self.log_path, "w")
        self.proc = launch([FIREFOX, "--headless", "--no-remote", "--marionette", "--remote-allow-system-access",
                            "--profile", profile],
                           self.cg, self.user, env=env, cwd=self.tmp, stdout=self.log_file,
                           stderr=subprocess.STDOUT)
        port_file = os.path.join(profile, "MarionetteActivePort")

        def port():
            try:
                with open(port_file) as f:
                    text = f.read().strip()
                return int(text) if text.isdigit() else None
            except FileNotFoundError:
                return None
        _wait(lambda: port() or self.proc.poll() is not None, 90, "Marionette to listen")
        if self.proc.poll() is not None:
            raise SubjectError(f"firefox exited: {self.log()}")
        self.marionette = Marionette(port())
        self.marionette.call("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {"pageLoadStrategy": "normal"}}})

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def load(self):
        m = self.marionette
        mib = self.data_mib // self.pages
        self.tabs = []
        for k in range(self.pages):
            if k == 0:
                handle = m.call("WebDriver:GetWindowHandle")["value"]
            else:
                handle = m.call("WebDriver:NewWindow", {"type": "tab", "focus": False})["handle"]
            m.call("WebDriver:SwitchToWindow", {"handle": handle})
            host, port = self.servers[k].server_address
            m.call("WebDriver:Navigate",
                   {"url": f"http://{host}:{port}/page.html?mib={mib}&hot={self.hot_percent}&seed={k + 1}"})
            info = m.script("return window.pageInfo();")
            self.tabs.append({"handle": handle, "host": host, **info})
        # Which process holds each page: the parent knows.
        m.call("Marionette:SetContext", {"value": "chrome"})
        try:
            pids = m.script("return Array.from(gBrowser.tabs, "
                            "t => t.linkedBrowser.browsingContext.currentWindowGlobal.osPid);")
        finally:
            m.call("Marionette:SetContext", {"value": "content"})
        for tab, pid in zip(self.tabs, pids):
            tab["pid"] = pid
        self.current = None
        return {"data_bytes": sum(t["data_bytes"] for t in self.tabs),
                "hot_bytes": sum(t["hot_bytes"] for t in self.tabs), "pages": self.pages,
                "content_pids": [t["pid"] for t in self.tabs]}

    def _in_tab(self, tab, js):
        if self.current is not tab:
            self.marionette.call("WebDriver:SwitchToWindow", {"handle": tab["handle"], "focus": False})
            self.current = tab
        return self.marionette.script(js)

    def sample(self, rounds=2):
        """Round trips of a script that reads every hot page of a page:
        test -> Marionette in the parent -> the content process and back."""
        lat = []
        for _ in range(rounds):
            for tab in self.tabs:
                if self.current is not tab:
                    self._in_tab(tab, "return 0;")
                t0 = time.monotonic()
                self.marionette.script("return window.hotRead();")
                lat.append((time.monotonic() - t0) * 1e6)
        return {"p50_us": percentile(lat, 50), "p99_us": percentile(lat, 99), "max_us": max(lat), "n": len(lat)}

    def answers(self):
        return all(self._in_tab(t, "return document.readyState;") == "complete" for t in self.tabs)

    def check(self):
        out = {"ok": True, "pages": []}
        for tab in self.tabs:
            now = self._in_tab(tab, "return window.checksum();")
            bad = self._in_tab(tab, "return window.verify();")
            ok = now == tab["checksum"] and bad == 0
            out["ok"] = out["ok"] and ok
            out["pages"].append({"pid": tab["pid"], "checksum_before": tab["checksum"], "checksum_after": now,
                                 "bad_chunks": bad})
        return out

    def stop(self):
        if self.marionette:
            try:
                self.marionette.call("Marionette:Quit", {"flags": ["eForceQuit"]})
            except (SubjectError, OSError):
                pass
            self.marionette.close()
            self.marionette = None
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        for srv in self.servers:
            srv.shutdown()
            srv.server_close()
        self.servers = []
        super().stop()
        if getattr(self, "log_file", None):
            self.log_file.close()
