"""The worker side of `WorkerPool`: a loop that runs tasks from a pipe, answering one message per task.

Until a worker reports ready, whatever it prints (an import error's traceback, a crash message from C)
goes to a log file its parent reads if the worker dies before it is ready: a pool that cannot start
can then say why. The task function travels pickled and is unpickled here, after the redirect, so a
task module that fails to import is reported the same way.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["worker_main"]


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the parent dies, so no worker outlives a crashed run."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


@contextlib.contextmanager
def _output_to(log_path: str) -> Iterator[None]:
    """Send this process's stdout and stderr (file descriptors 1 and 2) to `log_path` inside the block."""
    saved = [os.dup(1), os.dup(2)]
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for target, fd in zip((1, 2), saved, strict=True):
            os.dup2(fd, target)
            os.close(fd)


def _start(fn_bytes: bytes, init_bytes: bytes | None, memory_mb: int | None) -> Callable[..., Any]:
    """Limit memory, unpickle the task function, run the initializer; exit 1 (traceback printed) on failure."""
    try:
        if memory_mb:
            import resource

            limit = memory_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        fn = pickle.loads(fn_bytes)
        if init_bytes is not None:
            pickle.loads(init_bytes)()
        return fn
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)


def worker_main(conn: Connection, fn_bytes: bytes, init_bytes: bytes | None, memory_mb: int | None,
                log_path: str) -> None:
    """Worker loop: receive chunks of (task_id, args), answer one (id, status, value, s, msg) each."""
    _die_with_parent()
    with _output_to(log_path):
        fn = _start(fn_bytes, init_bytes, memory_mb)
    conn.send(("ready",))
    while True:
        try:
            chunk = conn.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        for task_id, args in chunk:
            start = time.perf_counter()
            try:
                out = (task_id, "ok", fn(*args), time.perf_counter() - start, "")
            except BaseException as exc:  # the task's failure is data for the caller, never ours
                message = f"{type(exc).__name__}: {exc}"[:500]
                out = (task_id, "error", None, time.perf_counter() - start, message)
            try:
                conn.send(out)
            except Exception as exc:  # unpicklable return value
                conn.send((task_id, "error", None, out[3], f"unpicklable result: {exc}"[:500]))
