"""Host side of the code sandbox: hand one isolated program run to the launcher, watch it, end it.

Each run is a fresh process tree forked by the sandbox launcher (launcher.py, started once per
`Sandbox`; see harness.py and jail.py for what happens inside). This module gives each run a uid
of its own and, where the machine allows, a cgroup bounding its total memory (cgroup.py), ships
its job in a memfd, enforces the wall-clock limits, reads its result frames, and always ends it: closing
the run's lifeline makes its init kill the run's process group and exit, and the host waits until the
result pipe reaches end of file. Thread-safe: concurrent runs come from threads.
"""

from __future__ import annotations

import fcntl
import itertools
import marshal
import os
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

from or1.config import VerifyConfig
from or1.rewards.code.cgroup import PREFIX, CgroupParent, RunCgroup, find_parent, sweep
from or1.rewards.code.frames import Frame, FrameReader
from or1.rewards.code.launcher_host import Launcher, LauncherError

__all__ = ["Frame", "RunReport", "Sandbox", "SandboxLimits"]

UID_BASE = 2_000_000_000  # far above login users and the usual subuid ranges; see docs/sandbox.md
UID_COUNT = 256
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
_run_ids = itertools.count()  # next() is atomic: no lock needed


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one sandbox run.

    Attributes:
        time_limit_s: wall-clock limit per test (the first test also pays for the program's top level).
        memory_mb: address-space limit per process (RLIMIT_AS).
        run_memory_mb: memory of the whole run, all its processes, memfds, tmpfs and SysV shared memory
            included (a cgroup's memory limit, where the machine offers cgroups; docs/sandbox.md).
        nproc: processes + threads of the sandbox uid (RLIMIT_NPROC); bounds a fork bomb.
        output_mb: largest file the program may write, its stdout per test included (RLIMIT_FSIZE).
        nofile: open file descriptors per process (RLIMIT_NOFILE).
        tmp_mb: size of the private /tmp (and /dev/shm) tmpfs.
        startup_s: wall-clock allowance to set up the run's jail before the first test's clock starts.
        recursion_limit: Python recursion limit set before the program runs.
    """

    time_limit_s: float = VerifyConfig.code_time_limit_s
    memory_mb: int = 1024
    run_memory_mb: int = 2048
    nproc: int = 8
    output_mb: int = 16
    nofile: int = 64
    tmp_mb: int = 64
    startup_s: float = 10.0
    recursion_limit: int = 10_000


@dataclass
class RunReport:
    """How a run ended: "done" (all frames read), "stopped" (caller stopped early), "timeout",
    "exited" (the process ended before reporting every test), or "error" (protocol/harness failure).

    `tests_reported` counts the test frames read. `frames` keeps them only for a run without an `on_frame`
    callback: with one, each frame is handed over and dropped, so host memory holds one test's output at a
    time. `oom_killed`: the kernel killed a process of the run at the run's cgroup memory limit.
    """

    ended: str
    frames: list[Frame] = field(default_factory=list)
    tests_reported: int = 0
    exit_code: int | None = None
    seconds: float = 0.0
    error: str = ""
    oom_killed: bool = False


class Sandbox:
    """Runs programs in isolated processes; one instance may serve many threads.

    The launcher process starts on the first run (once, a few tens of ms) and stops when the instance is
    closed or garbage-collected.

    Args:
        base_dir: where the jail mount point and uid lock files live (default: `<tmp>/or1-sandbox-<euid>`).
        cgroups: give each run a cgroup bounding its total memory and tasks where the machine allows it
            (`memory_bound` says whether it does); False keeps the rlimits as the only bound.

    Raises:
        PermissionError: not root (namespaces and the uid switch need it), or the base dir is not ours.
    """

    def __init__(self, base_dir: str | None = None, cgroups: bool = True) -> None:
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
        self.cgroup_parent: CgroupParent | None = find_parent() if cgroups else None
        if self.cgroup_parent is not None:
            sweep(self.cgroup_parent)
        self._stale: list[RunCgroup] = []  # run cgroups whose removal must be retried
        self._stale_lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _shutdown, self.launcher, self._stale, self._stale_lock)

    @property
    def memory_bound(self) -> str:
        """Which bound on a run's total memory is in force: a cgroup, or the per-process rlimits only."""
        parent = self.cgroup_parent
        return parent.describe() if parent else "rlimits only (no writable memory cgroup here)"

    def close(self) -> None:
        """Stop the launcher (a later run starts a new one) and remove leftover run cgroups."""
        _shutdown(self.launcher, self._stale, self._stale_lock)

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
            try:
                group = self._cgroup(uid, limits)
            except OSError as exc:  # never run with less isolation than `memory_bound` promises
                return RunReport(ended="error", error=f"sandbox cgroup: {exc}")
            job = _job(uid, program, inputs, fn_name, limits, group.procs if group else [])
            report = self._run(job, len(inputs), limits, on_frame)
            if group is not None:
                report.oom_killed = group.oom_killed()
                # The run's tasks finish exiting in the kernel a few ms after its result pipe closed; rather
                # than wait for that here, a cgroup still busy is removed after a later run or at close().
                if not group.remove(timeout_s=0.0):
                    with self._stale_lock:
                        self._stale.append(group)
        _remove_stale(self._stale, self._stale_lock, timeout_s=0.0)
        report.seconds = time.perf_counter() - start
        return report

    def _cgroup(self, uid: int, limits: SandboxLimits) -> RunCgroup | None:
        """A fresh cgroup for one run (None without cgroups). Raises OSError if it cannot be made."""
        if self.cgroup_parent is None:
            return None
        name = f"{PREFIX}-{uid}-{os.getpid()}-{next(_run_ids)}"
        # The run's init counts as one task beside the worker's `nproc` processes and threads.
        return RunCgroup.create(self.cgroup_parent, name, limits.run_memory_mb << 20, limits.nproc + 1)

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
        reader = FrameReader(result_r, (limits.output_mb << 20) + (1 << 16))
        try:
            return _read_frames(reader, n_tests, limits, on_frame)
        finally:
            # The run's init sees end of file on its lifeline, kills the run's process group and exits.
            os.close(life_w)
            # Init holds the pipe until it exits, and its exit makes the kernel kill whatever is left in
            # its PID namespace: at end of file the run is over.
            reader.drain(time.monotonic() + 10.0)
            os.close(result_r)


def _remove_stale(stale: list[RunCgroup], lock: threading.Lock, timeout_s: float) -> None:
    with lock:
        stale[:] = [g for g in stale if not g.remove(timeout_s)]


def _shutdown(launcher: Launcher, stale: list[RunCgroup], lock: threading.Lock) -> None:
    """Stop the launcher and remove the run cgroups still left (from `close` or at garbage collection)."""
    launcher.close()
    _remove_stale(stale, lock, timeout_s=2.0)


def _job(
    uid: int, program: str, inputs: list[bytes], fn_name: str | None, limits: SandboxLimits, cgroup: list[str]
) -> bytes:
    """The marshal bytes of one run's job (the launcher adds its fixed settings inside); `cgroup` lists the
    `cgroup.procs` files the run's init moves itself into."""
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
            "cgroup_procs": cgroup,
        }
    )


def _read_frames(
    reader: FrameReader, n_tests: int, limits: SandboxLimits, on_frame: Callable[[Frame], bool] | None
) -> RunReport:
    """Read frames until every test reported, the caller stops, a deadline passes, or the run ends."""
    report = RunReport(ended="done")
    deadline = time.monotonic() + limits.startup_s
    ready = False
    while report.tests_reported < n_tests:
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
        if frame.index != report.tests_reported or not ready:
            report.ended, report.error = "error", f"frame {frame.index} out of order"
            return report
        report.tests_reported += 1
        if on_frame is None:
            report.frames.append(frame)
        elif not on_frame(frame):
            report.ended = "stopped"
            return report
        frame = None  # dropped before the next one is read: one test's output in memory at a time
    return report
