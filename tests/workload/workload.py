# SPDX-License-Identifier: MIT
"""Drives wolfram-workload from tests and benchmarks.

    with Workload(exe, 64, content="mixed") as w:
        process_madvise_pageout(w.pid, w.addr, w.len)
        assert w.verify()["ok"]

For idle tracking, a hot thread reads part of the memory every interval:

    with Workload(exe, 64, hot_percent=50) as w:
        process_madvise_pageout(w.pid, w.cold_addr, w.cold_len)
        pages = pagemap_swapped_pages(w.pid, w.addr, w.len)

For benchmarks, several mappings of realistic content, and the figures of a
measuring window:

    with Workload(exe, 1024, content="realistic", regions=4, hot_percent=25, seed=n) as w:
        w.reset_stats()
        time.sleep(60)
        r = w.report()  # hot_latency_ns p50/p99/p999, hot/cold major faults, checksum_ok

The same content, seed, size and regions give byte-identical memory in every
process (for "realistic", on the same machine): start KSM's identical
workloads with one seed and independent ones with distinct seeds.

Only the standard library, so that integration tests run anywhere python3 does.
"""

import array
import ctypes
import json
import os
import pwd
import queue
import signal
import subprocess
import threading

SYS_PIDFD_OPEN = 434  # generic syscall table: x86_64 and aarch64 alike
SYS_PROCESS_MADVISE = 440
MADV_PAGEOUT = 21

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _Iovec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


def _pidfd_open(pid):
    if hasattr(os, "pidfd_open"):
        return os.pidfd_open(pid)
    fd = _libc.syscall(ctypes.c_long(SYS_PIDFD_OPEN), ctypes.c_long(pid), ctypes.c_long(0))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"pidfd_open({pid}): {os.strerror(err)}")
    return fd


def process_madvise_pageout(pid, addr, length):
    """MADV_PAGEOUT on [addr, addr+length) of process pid, as wolframd does.

    Returns the bytes the kernel advised; raises OSError with the errno of the
    failing call. Partial progress is continued over the rest of the range."""
    fd = _pidfd_open(pid)
    try:
        advised = 0
        while advised < length:
            iov = _Iovec(addr + advised, length - advised)
            n = _libc.syscall(ctypes.c_long(SYS_PROCESS_MADVISE), ctypes.c_long(fd),
                              ctypes.byref(iov), ctypes.c_long(1),
                              ctypes.c_long(MADV_PAGEOUT), ctypes.c_long(0))
            if n < 0:
                err = ctypes.get_errno()
                if err == 4:  # EINTR
                    continue
                raise OSError(err, f"process_madvise({pid}, {addr + advised:#x}, "
                                   f"{length - advised}): {os.strerror(err)}")
            if n == 0:
                break
            advised += n
        return advised
    finally:
        os.close(fd)


def parse_smaps(text):
    """The VMAs of an smaps text: dicts with start, end (addresses), perms,
    name, and rss, anonymous, swap, referenced in bytes."""
    fields = {"Rss": "rss", "Anonymous": "anonymous", "Swap": "swap", "Referenced": "referenced"}
    regions = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if not parts[0].endswith(":"):  # "start-end perms offset dev inode [name]"
            start, end = (int(x, 16) for x in parts[0].split("-"))
            regions.append({"start": start, "end": end, "perms": parts[1],
                            "name": parts[5] if len(parts) > 5 else "",
                            "rss": 0, "anonymous": 0, "swap": 0, "referenced": 0})
        elif parts[0][:-1] in fields and regions and parts[-1] == "kB":
            regions[-1][fields[parts[0][:-1]]] = int(parts[1]) * 1024
    return regions


def smaps_regions(pid):
    """parse_smaps() of /proc/pid/smaps."""
    with open(f"/proc/{pid}/smaps") as f:
        return parse_smaps(f.read())


def region_of(regions, addr):
    """The region of smaps_regions() that contains addr, or None."""
    return next((r for r in regions if r["start"] <= addr < r["end"]), None)


PAGEMAP_PRESENT = 1 << 63
PAGEMAP_SWAPPED = 1 << 62


def pagemap_swapped_pages(pid, addr, length):
    """Per page of [addr, addr+length) of process pid: "present" (in RAM),
    "swapped" (in swap, zram included) or "none" (never touched or dropped).

    Reads /proc/pid/pagemap, which needs root (or ptrace rights over pid)."""
    page = os.sysconf("SC_PAGE_SIZE")
    first, last = addr // page, (addr + length + page - 1) // page
    want = (last - first) * 8
    data = bytearray()
    fd = os.open(f"/proc/{pid}/pagemap", os.O_RDONLY | os.O_CLOEXEC)
    try:
        while len(data) < want:
            chunk = os.pread(fd, min(want - len(data), 1 << 20), first * 8 + len(data))
            if not chunk:
                raise OSError(f"short read of /proc/{pid}/pagemap at page {first + len(data) // 8:#x}")
            data += chunk
    finally:
        os.close(fd)
    entries = array.array("Q")  # native order, as the kernel writes it
    entries.frombytes(bytes(data))
    return ["present" if e & PAGEMAP_PRESENT else "swapped" if e & PAGEMAP_SWAPPED else "none"
            for e in entries]


def as_user_argv(user):
    """A command prefix that runs what follows as 'user' with that user's
    primary group and no supplementary groups."""
    pw = pwd.getpwnam(user)
    return ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups", "--"]


class Workload:
    """A running wolfram-workload holding size_mib MiB of known content.

    Attributes from its first line:
      pid, checksum (16 hex digits, updated by write()), content, page_size;
      addr, len: the whole mapping, including the PROT_NONE guard page that
        separates the hot and the cold part when hot_pattern is "block" and
        both are non-empty (len is then size_mib MiB plus one page);
      hot_pattern: "block" or "interleave";
      hot_len, cold_len: how many bytes are hot (read by the hot thread every
        hot_interval_ms; 0: one pass after another, without a pause) and
        cold (never touched after the fill);
      hot_addr, cold_addr: where the hot and the cold part start ("block");
        None with "interleave", where neither is one range;
      hot_runs: None with "block"; with "interleave", {"addr", "run_bytes",
        "runs"}: run k is [addr + k*run_bytes, +run_bytes) within len, hot
        for even k and cold for odd k. See is_hot(), hot_ranges(),
        cold_ranges().
    With regions > 1 the memory is that many separate mappings, each with
    its own hot share laid out as above, and the attributes above describe
    the first one; then:
      regions: how many; size_bytes: their data bytes together (size_mib MiB);
      mappings: one dict per mapping, {"addr", "len", "hot_len", "cold_len"}
        and, with "block", "hot_addr" and "cold_addr"; hot_ranges(),
        cold_ranges() and is_hot() cover them all.

    name: bytes the workload names itself with (PR_SET_NAME) before its
    first answer; the kernel keeps 15 of them.

    content: "zeros", "random", "text", "mixed" (a quarter each of text,
    records, random and zero pages) or "realistic" (40% text from the
    machine's documentation, 30% shared-library bytes, 15% zero and 15%
    random pages) or "media" (in one mapping, the first two thirds of the
    pages random, as a media or encrypted buffer is, the rest text).

    small_mappings (--mappings): that many more one-page anonymous mappings
    that the kernel cannot merge, as a browser or a JVM has, next to each
    other from small_mappings_addr on, every second one read-only; written
    but outside the checksum; verify() checks them too.

    user: run it as this user (setpriv, the user's own group, no
    supplementary groups) rather than as the caller, as the processes the
    engine works on usually are."""

    def __init__(self, exe, size_mib, content="mixed", seed=1, hot_percent=0,
                 hot_interval_ms=100, timeout=120, hot_pattern="block", hot_run_kib=64,
                 regions=1, small_mappings=0, user=None, name=None):
        self.timeout = timeout
        self.user = user
        self._lines = queue.Queue()
        # exe may be a command that runs the workload (a launcher).
        args = (list(exe) if isinstance(exe, (list, tuple)) else [exe]) + [
                f"--size-mib={size_mib}", f"--content={content}",
                f"--seed={seed}", f"--hot-percent={hot_percent}",
                f"--hot-interval-ms={hot_interval_ms}"]
        # Only when asked for, so the default command line stays as it was.
        if hot_pattern != "block" or hot_run_kib != 64:
            args += [f"--hot-pattern={hot_pattern}", f"--hot-run-kib={hot_run_kib}"]
        if regions != 1:
            args += [f"--regions={regions}"]
        if small_mappings:
            args += [f"--mappings={small_mappings}"]
        # The process name (prctl PR_SET_NAME): bytes, any but NUL.
        if name is not None:
            args += [b"--name=" + name]
        # As an ordinary user, as most memory on a real machine is; setpriv
        # execs, so the pid is the workload's.
        if user is not None:
            args = as_user_argv(user) + args
        # stderr is inherited so that its messages land in the test log.
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        # A reader thread lets every answer wait with a timeout, so a hung
        # workload fails the test instead of blocking it forever.
        threading.Thread(target=self._read_lines, daemon=True).start()
        try:
            first = self._answer()
        except Exception:
            self.kill()
            raise
        self.pid = first["pid"]
        self.addr = first["addr"]
        self.len = first["len"]
        self.checksum = first["checksum"]
        self.content = first["content"]
        self.page_size = first.get("page_size", 4096)
        self.hot_len = first.get("hot_len", 0)
        self.hot_pattern = first.get("hot_pattern", "block")
        self.hot_addr = first.get("hot_addr", self.addr)
        self.cold_addr = first.get("cold_addr", self.addr + self.hot_len)
        self.cold_len = first.get("cold_len", self.len - self.hot_len)
        self.hot_runs = first.get("hot_runs")
        self.regions = first.get("regions", 1)
        self.size_bytes = first.get("size_bytes", self.hot_len + self.cold_len)
        self.small_mappings = first.get("small_mappings", 0)
        self.small_mappings_addr = first.get("small_mappings_addr", 0)
        self.mappings = first.get("mappings") or [
            {"addr": self.addr, "len": self.len, "hot_len": self.hot_len, "cold_len": self.cold_len,
             **({} if self.hot_runs else {"hot_addr": self.hot_addr, "cold_addr": self.cold_addr})}]

    def is_hot(self, addr):
        """Whether the hot thread reads the page at addr."""
        for m in self.mappings:
            if self.hot_runs is None:
                if m["hot_addr"] <= addr < m["hot_addr"] + m["hot_len"]:
                    return True
                continue
            offset = addr - m["addr"]
            if 0 <= offset < m["len"] and offset // self.hot_runs["run_bytes"] % 2 == 0:
                return True
        return False

    def _runs(self, parity):
        run = self.hot_runs["run_bytes"]
        return [(m["addr"] + off, min(run, m["len"] - off))
                for m in self.mappings for off in range(parity * run, m["len"], 2 * run)]

    def hot_ranges(self):
        """[(addr, length)] of the hot pages, for either pattern."""
        if self.hot_runs is not None:
            return self._runs(0)
        return [(m["hot_addr"], m["hot_len"]) for m in self.mappings if m["hot_len"]]

    def cold_ranges(self):
        """[(addr, length)] of the cold pages, for either pattern."""
        if self.hot_runs is not None:
            return self._runs(1)
        return [(m["cold_addr"], m["cold_len"]) for m in self.mappings if m["cold_len"]]

    def _read_lines(self):
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _answer(self):
        try:
            line = self._lines.get(timeout=self.timeout)
        except queue.Empty:
            raise TimeoutError(f"wolfram-workload gave no answer in {self.timeout} s") from None
        if line is None:
            raise RuntimeError(f"wolfram-workload exited (status {self.proc.poll()})")
        return json.loads(line)

    def _command(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        answer = self._answer()
        if "error" in answer:
            raise OSError(answer.get("errno", 0), f"{cmd}: {answer['error']}")
        return answer

    def verify(self):
        """Re-reads every page: {"checksum": ..., "ok": bool,
        "small_mappings_bad": pages of the small mappings that lost their
        content}; ok only when the checksum matches and none did."""
        return self._command("verify")

    def status(self):
        """{"vm_swap_kib": N, "vm_rss_kib": N, "hot_majflt": N} of the
        workload; hot_majflt as in faults()."""
        return self._command("status")

    def residency(self):
        """Where its pages are, hot and cold apart, from its own pagemap:
        {"hot_present", "hot_swapped", "hot_other", "cold_present",
        "cold_swapped", "cold_other"} in pages."""
        return self._command("residency")

    def faults(self):
        """What the hot thread measured: {"hot_majflt": major faults it took
        since its first pass (refaults of hot pages paged out; not those of
        its own figures, whose pages are written seldom), "hot_passes",
        "samples": how many timed accesses (every 64th page, a uniform
        reservoir of at most 65536 over its lifetime) the percentiles come
        from, "p50_ns", "p99_ns", "p999_ns", "max_ns": their latency,
        "pass_page_p50_ns", "pass_page_max_ns": a whole pass's time per page
        over the last 4096 passes}. All 0 without hot pages."""
        return self._command("faults")

    def report(self):
        """The benchmark's figures over the window since the start or the
        last reset_stats(), then a verification of all memory:
        {"hot_latency_ns": {"p50", "p99", "p999", "max", "samples"} (timed
        reads of the hot pages, a uniform reservoir of at most 65536),
        "hot_major_faults" (the hot thread's, counted after each pass),
        "hot_passes", "cold_major_faults" (what reading cold pages in
        verify(), write() and report() cost, this report's included),
        "checksum_ok", "checksum", "size_bytes", "regions", "content",
        "rss_bytes", "swap_bytes" (both before the verification faults
        pages back), "window_ms"}."""
        return self._command("report")

    def reset_stats(self):
        """Starts a new window for report(). faults() and status() keep
        counting over the whole lifetime."""
        return self._command("reset-stats")

    def pageout(self):
        """process_madvise(MADV_PAGEOUT) from inside on the hot and the cold
        part, not the guard page; returns bytes advised."""
        return self._command("pageout")["advised_bytes"]

    def probe(self):
        """Times single faults: reads one byte of 256 pages spread over the
        memory, each that was swapped out alone; returns {"probed",
        "swapped", "p50_ns", "p90_ns", "max_ns", "mean_ns"}."""
        return self._command("probe")

    def write(self):
        """Dirties every page but the guard; returns (and remembers) the new
        checksum."""
        self.checksum = self._command("write")["checksum"]
        return self.checksum

    def kill(self):
        try:
            os.kill(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return self.proc.wait()

    def stop(self):
        """Asks it to exit; kills it if it has not within 10 s. Returns the
        exit status."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        try:
            self.proc.stdin.write("exit\n")
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return self.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
