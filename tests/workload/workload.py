# SPDX-License-Identifier: MIT
"""Drives wolfram-workload from tests and benchmarks.

    with Workload(exe, 64, content="mixed") as w:
        process_madvise_pageout(w.pid, w.addr, w.len)
        assert w.verify()["ok"]

Only the standard library, so that integration tests run anywhere python3 does.
"""

import ctypes
import json
import os
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


class Workload:
    """A running wolfram-workload holding size_mib MiB of known content.

    Attributes from its first line: pid, addr, len, checksum (16 hex digits,
    updated by write()), content, page_size, hot_len."""

    def __init__(self, exe, size_mib, content="mixed", seed=1, hot_percent=0,
                 hot_interval_ms=100, timeout=120):
        self.timeout = timeout
        self._lines = queue.Queue()
        args = [exe, f"--size-mib={size_mib}", f"--content={content}",
                f"--seed={seed}", f"--hot-percent={hot_percent}",
                f"--hot-interval-ms={hot_interval_ms}"]
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
        """Re-reads every page: {"checksum": ..., "ok": bool}."""
        return self._command("verify")

    def status(self):
        """{"vm_swap_kib": N, "vm_rss_kib": N} of the workload."""
        return self._command("status")

    def pageout(self):
        """process_madvise(MADV_PAGEOUT) from inside; returns bytes advised."""
        return self._command("pageout")["advised_bytes"]

    def write(self):
        """Dirties every page; returns (and remembers) the new checksum."""
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
