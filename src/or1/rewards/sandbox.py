"""Host side of the code sandbox: launch, watch and clean up one isolated program run (docs/sandbox.md).

Each run is a fresh `python -I -S code_harness.py` process (see code_harness.py and code_jail.py for
what happens inside). This module gives it a private run directory and a uid of its own, enforces the
wall-clock limits, reads its result frames, and always kills its whole process group and removes the run
directory afterwards. Thread-safe: concurrent runs come from threads, each run is its own process.
"""

from __future__ import annotations

import fcntl
import importlib
import itertools
import marshal
import os
import select
import shutil
import signal
import site
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Frame", "RunReport", "Sandbox", "SandboxLimits"]

HARNESS = str(Path(__file__).with_name("code_harness.py"))
JAIL = Path(__file__).with_name("code_jail.py")
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
        startup_s: wall-clock allowance to build the jail before the first test's clock starts.
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

    Args:
        base_dir: where run directories and uid lock files live (default: `<tmp>/or1-sandbox-<euid>`).

    Raises:
        PermissionError: not root (namespaces and the uid switch need it), or the base dir is not ours.
    """

    def __init__(self, base_dir: str | None = None) -> None:
        if os.geteuid() != 0:
            raise PermissionError("the code sandbox needs root: namespaces, chroot and a uid switch")
        base = Path(base_dir or Path(tempfile.gettempdir()) / f"or1-sandbox-{os.geteuid()}")
        # `jail` stays empty on the host: each run mounts its own root there, in its own mount namespace.
        for path in (base, base / "locks", base / "runs", base / "jail"):
            path.mkdir(mode=0o700, exist_ok=True)
            info = path.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
                raise PermissionError(f"{path} must be a directory owned by us with mode 0700")
        self.base = base
        self.site_paths = [p for p in site.getsitepackages() if os.path.isdir(p)]
        prefixes = {sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix}
        self.expose_paths = sorted({os.path.realpath(p) for p in (*prefixes, *self.site_paths)})
        self.prelude = _prelude_table()
        self.jail_code = marshal.dumps(compile(JAIL.read_text(), str(JAIL), "exec"))

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

    def _job(
        self,
        run_dir: str,
        uid: int,
        program: str,
        inputs: list[bytes],
        fn_name: str | None,
        limits: SandboxLimits,
    ) -> dict:
        # CPU backstop only: the host's wall-clock limit normally fires first.
        cpu_s = int(limits.time_limit_s * max(1, len(inputs))) + 2
        return {
            "root": str(self.base / "jail"),
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
            "site_paths": self.site_paths,
            "expose_paths": self.expose_paths,
            "prelude": self.prelude,
            "jail_code": self.jail_code,
        }

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
            The frames read and how the run ended. Never raises for anything the program does.
        """
        start = time.perf_counter()
        with self._uid() as uid:
            run_dir = tempfile.mkdtemp(prefix="run-", dir=self.base / "runs")
            try:
                job = self._job(run_dir, uid, program, inputs, fn_name, limits)
                job_path = os.path.join(run_dir, "job")
                with open(os.open(job_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
                    f.write(marshal.dumps(job))
                report = self._launch(run_dir, job_path, len(inputs), limits, on_frame)
            finally:
                shutil.rmtree(run_dir, ignore_errors=True)
        report.seconds = time.perf_counter() - start
        return report

    def _launch(
        self,
        run_dir: str,
        job_path: str,
        n_tests: int,
        limits: SandboxLimits,
        on_frame: Callable[[Frame], bool] | None,
    ) -> RunReport:
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": "/tmp",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        with open(os.path.join(run_dir, "stderr"), "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-B", HARNESS, job_path, str(os.getpid())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
                cwd=run_dir,
                process_group=0,
            )
        reader = _FrameReader(proc.stdout.fileno(), (limits.output_mb << 20) + (1 << 16))  # type: ignore[union-attr]
        try:
            report = _read_frames(reader, n_tests, limits, on_frame)
        finally:
            # The group holds the namespace's PID 1; its death takes every sandboxed process with it.
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            # Every process of the run holds the pipe, so end-of-file means none is left.
            reader.drain(time.monotonic() + 10.0)
            proc.stdout.close()  # type: ignore[union-attr]
        if report.ended == "exited" and report.exit_code is None:
            report.error += Path(run_dir, "stderr").read_bytes()[-2000:].decode(errors="replace")
        return report


def _prelude_table() -> dict[str, tuple[str, str | None]]:
    """Prelude name -> (module, attribute or None for the module itself)."""
    table: dict[str, tuple[str, str | None]] = {}
    for name in PRELUDE_STAR:
        module = importlib.import_module(name)
        public = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
        table.update({attr: (name, attr) for attr in public})
    table.update({name: (name, None) for name in PRELUDE_MODULES})
    return table


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
