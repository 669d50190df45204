"""Host side of the code sandbox: hand one isolated program run to the launcher, watch it, end it.

Each run is a fresh process tree forked by the sandbox launcher (code_launcher.py, started once per
`Sandbox`; see code_harness.py and code_jail.py for what happens inside). This module gives each run a uid
of its own, ships its job in a memfd, enforces the wall-clock limits, reads its result frames, and always
ends it: closing the run's lifeline makes its init kill the run's process group and exit, and the
host waits until the result pipe reaches end of file. Thread-safe: concurrent runs come from threads.
"""

from __future__ import annotations

import fcntl
import itertools
import marshal
import os
import select
import site
import stat
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from or1.rewards.sandbox_launcher import Launcher, LauncherError

__all__ = ["Frame", "RunReport", "Sandbox", "SandboxLimits"]

UID_BASE = 2_000_000_000  # far above login users and the usual subuid ranges; see docs/sandbox.md
UID_COUNT = 256
_HEADER_MAX = 256
# What every program may use without importing it, as LiveCodeBench's harness gives (`from X import *`,
# later modules winning, then the modules themselves). Not `from sys/io/json import *`: `stdin` bound
# before the harness swaps stdin per test would read the wrong input.
PRELUDE_STAR = (
    "string",
    "re",
    "datetime",
    "collections",
    "heapq",
    "bisect",
    "copy",
    "math",
    "random",
    "statistics",
    "itertools",
    "functools",
    "operator",
    "typing",
)
PRELUDE_MODULES = (*PRELUDE_STAR, "sys", "io", "json")
_uid_cursor = itertools.count()
_uid_cursor_lock = threading.Lock()


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one sandbox run.

    Attributes:
        time_limit_s: wall-clock limit per test (the first test also pays for the program's top level).
        memory_mb: address-space limit per process (RLIMIT_AS).
        nproc: processes + threads of the sandbox uid (RLIMIT_NPROC); bounds a fork bomb.
        output_mb: largest file the program may write, its stdout per test included (RLIMIT_FSIZE).
        nofile: open file descriptors per process (RLIMIT_NOFILE).
        tmp_mb: size of the private /tmp (and /dev/shm) tmpfs.
        startup_s: wall-clock allowance to set up the run's jail before the first test's clock starts.
        recursion_limit: Python recursion limit set before the program runs.
    """

    time_limit_s: float = 6.0
    memory_mb: int = 1024
    nproc: int = 8
    output_mb: int = 16
    nofile: int = 64
    tmp_mb: int = 64
    startup_s: float = 10.0
    recursion_limit: int = 10_000


@dataclass(frozen=True)
class Frame:
    """One test's report from inside the sandbox: status there, time, and its output bytes."""

    index: int
    status: str
    seconds: float
    payload: bytes
    error: str = ""


@dataclass
class RunReport:
    """How a run ended: "done" (all frames read), "stopped" (caller stopped early), "timeout",
    "exited" (the process ended before reporting every test), or "error" (protocol/harness failure)."""

    ended: str
    frames: list[Frame] = field(default_factory=list)
    exit_code: int | None = None
    seconds: float = 0.0
    error: str = ""


class Sandbox:
    """Runs programs in isolated processes; one instance may serve many threads.

    The launcher process starts on the first run (once, a few tens of ms) and stops when the instance is
    closed or garbage-collected.

    Args:
        base_dir: where the jail mount point and uid lock files live (default: `<tmp>/or1-sandbox-<euid>`).

    Raises:
        PermissionError: not root (namespaces and the uid switch need it), or the base dir is not ours.
    """

    def __init__(self, base_dir: str | None = None) -> None:
        if os.geteuid() != 0:
            raise PermissionError("the code sandbox needs root: namespaces, chroot and a uid switch")
        base = Path(base_dir or Path(tempfile.gettempdir()) / f"or1-sandbox-{os.geteuid()}")
        # `jail` stays empty on the host: the launcher mounts the jail tree there in its own mount namespace.
        for path in (base, base / "locks", base / "jail"):
            path.mkdir(mode=0o700, exist_ok=True)
            info = path.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
                raise PermissionError(f"{path} must be a directory owned by us with mode 0700")
        self.base = base
        site_paths = [p for p in site.getsitepackages() if os.path.isdir(p)]
        prefixes = {sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix}
        settings = {
            "root": str(base / "jail"),
            "site_paths": site_paths,
            "expose_paths": sorted({os.path.realpath(p) for p in (*prefixes, *site_paths)}),
            "prelude_star": list(PRELUDE_STAR),
            "prelude_modules": list(PRELUDE_MODULES),
        }
        self.launcher = Launcher(settings)
        self._finalizer = weakref.finalize(self, self.launcher.close)

    def close(self) -> None:
        """Stop the launcher (a later run starts a new one)."""
        self.launcher.close()

    @contextmanager
    def _uid(self) -> Iterator[int]:
        """Lease a uid no other run (in any process) is using, by holding a lock file for it."""
        for _ in range(UID_COUNT):
            with _uid_cursor_lock:
                uid = UID_BASE + next(_uid_cursor) % UID_COUNT
            fd = os.open(self.base / "locks" / str(uid), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield uid
            finally:
                os.close(fd)
            return
        raise RuntimeError(f"all {UID_COUNT} sandbox uids are busy")

    def run(
        self,
        program: str,
        inputs: list[bytes],
        fn_name: str | None,
        limits: SandboxLimits,
        on_frame: Callable[[Frame], bool] | None = None,
    ) -> RunReport:
        """Run `program` on each input in one fresh sandbox.

        Args:
            program: Python source.
            inputs: stdin bytes per test, or (call-based) the `marshal` bytes of the positional-argument
                list (marshal: the harness decodes it without importing anything).
            fn_name: function or `Solution` method to call; None for stdin/stdout programs.
            limits: resource limits.
            on_frame: called with each test's frame as it arrives; return False to stop the run there.

        Returns:
            The frames read and how the run ended. Never raises for anything the program does; a
            launcher that cannot start gives a report ended "error".
        """
        start = time.perf_counter()
        with self._uid() as uid:
            report = self._run(_job(uid, program, inputs, fn_name, limits), len(inputs), limits, on_frame)
        report.seconds = time.perf_counter() - start
        return report

    def _run(
        self, job: bytes, n_tests: int, limits: SandboxLimits, on_frame: Callable[[Frame], bool] | None
    ) -> RunReport:
        job_fd = os.memfd_create("or1-job", os.MFD_CLOEXEC)
        result_r, result_w = os.pipe()
        life_r, life_w = os.pipe()
        try:
            view = memoryview(job)
            while view:
                view = view[os.write(job_fd, view) :]
            self.launcher.submit([result_w, life_r, job_fd])
        except (OSError, LauncherError) as exc:
            for fd in (result_r, life_w):
                os.close(fd)
            return RunReport(ended="error", error=f"sandbox launch: {exc}")
        finally:
            for fd in (job_fd, result_w, life_r):
                os.close(fd)
        reader = _FrameReader(result_r, (limits.output_mb << 20) + (1 << 16))
        try:
            return _read_frames(reader, n_tests, limits, on_frame)
        finally:
            # The run's init sees end of file on its lifeline, kills the run's process group and exits.
            os.close(life_w)
            # Init holds the pipe until it exits, and its exit makes the kernel kill whatever is left in
            # its PID namespace: at end of file the run is over.
            reader.drain(time.monotonic() + 10.0)
            os.close(result_r)


def _job(uid: int, program: str, inputs: list[bytes], fn_name: str | None, limits: SandboxLimits) -> bytes:
    """The marshal bytes of one run's job (the launcher adds its fixed settings inside)."""
    # CPU backstop only: the host's wall-clock limit normally fires first.
    cpu_s = int(limits.time_limit_s * max(1, len(inputs))) + 2
    return marshal.dumps(
        {
            "uid": uid,
            "program": program,
            "inputs": inputs,
            "fn_name": fn_name,
            "cpu_s": cpu_s,
            "memory_mb": limits.memory_mb,
            "nproc": limits.nproc,
            "output_mb": limits.output_mb,
            "nofile": limits.nofile,
            "tmp_mb": limits.tmp_mb,
            "recursion_limit": limits.recursion_limit,
        }
    )


def _read_frames(
    reader: _FrameReader, n_tests: int, limits: SandboxLimits, on_frame: Callable[[Frame], bool] | None
) -> RunReport:
    """Read frames until every test reported, the caller stops, a deadline passes, or the run ends."""
    report = RunReport(ended="done")
    deadline = time.monotonic() + limits.startup_s
    ready = False
    while len(report.frames) < n_tests:
        try:
            frame = reader.next(deadline)
        except TimeoutError:
            report.ended = "timeout"
            return report
        except ValueError as exc:
            report.ended, report.error = "error", str(exc)
            return report
        if frame is None or frame.index == -2:
            report.ended = "exited"
            if frame is not None and frame.status == "exit":
                report.exit_code = int(frame.payload)
            elif frame is not None:
                report.error = frame.error
            return report
        deadline = time.monotonic() + limits.time_limit_s
        if frame.index == -1 and not ready:
            ready = True
            continue
        if frame.index != len(report.frames) or not ready:
            report.ended, report.error = "error", f"frame {frame.index} out of order"
            return report
        report.frames.append(frame)
        if on_frame is not None and not on_frame(frame):
            report.ended = "stopped"
            return report
    return report


class _FrameReader:
    """Incremental parser of frames (`INDEX STATUS SECONDS N M\\n` + N + M bytes) with deadlines."""

    def __init__(self, fd: int, max_payload: int) -> None:
        self.fd, self.max_payload, self.buf = fd, max_payload, bytearray()

    def _fill(self, deadline: float) -> bool:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.fd], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(self.fd, 1 << 20)
        self.buf += chunk
        return bool(chunk)

    def drain(self, deadline: float) -> None:
        """Discard everything until end-of-file (or the deadline)."""
        self.buf.clear()
        try:
            while self._fill(deadline):
                self.buf.clear()
        except TimeoutError:
            pass

    def next(self, deadline: float) -> Frame | None:
        """The next frame; None at end-of-file. Raises TimeoutError, or ValueError on a malformed frame."""
        while (nl := self.buf.find(b"\n")) < 0:
            if len(self.buf) > _HEADER_MAX:
                raise ValueError("frame header too long")
            if not self._fill(deadline):
                return None
        try:
            index_s, status_b, seconds_s, n_s, m_s = bytes(self.buf[:nl]).split(b" ")
            index, seconds, n, m = int(index_s), float(seconds_s), int(n_s), int(m_s)
            status = status_b.decode("ascii")
        except ValueError as exc:
            raise ValueError(f"bad frame header: {exc}") from None
        if not (0 <= n <= self.max_payload and 0 <= m <= 1 << 16):
            raise ValueError(f"frame of {n}+{m} bytes")
        while len(self.buf) < nl + 1 + n + m:
            if not self._fill(deadline):
                return None
        payload = bytes(self.buf[nl + 1 : nl + 1 + n])
        error = self.buf[nl + 1 + n : nl + 1 + n + m].decode("utf-8", "replace")
        del self.buf[: nl + 1 + n + m]
        return Frame(index, status, seconds, payload, error)
