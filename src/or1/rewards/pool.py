"""A persistent pool of worker processes with a hard wall-clock limit per task.

Why not `multiprocessing.Pool` or `concurrent.futures`: neither can stop one running task. Here each
worker owns a pipe; the parent sends it a small chunk of tasks, the worker answers task by task, and a
task that runs past `timeout_s` is stopped by SIGKILL of its worker, which a fresh worker replaces.
No signal ever fires in the caller, so the pool works from any thread (DESIGN.md §2: a timeout is
reward 0 and counted, never a hung run). Workers are spawned, not forked: they start from a clean
interpreter (no torch, no CUDA state, no copied memory) and can take a memory rlimit.

The task function and its arguments must be picklable (a module-level function, plain data).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import sys
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Literal

__all__ = ["TaskResult", "WorkerPool"]

_MAX_START_FAILURES = 3  # workers dying before they are ready: a broken task module, give up


@dataclass(frozen=True)
class TaskResult:
    """The outcome of one task.

    Attributes:
        status: "ok" (value holds the return value), "error" (the task raised, or its worker died),
            "timeout" (the task ran past the limit and its worker was killed).
        value: the task's return value when status is "ok", else None.
        seconds: wall-clock time of the task (the limit, for a timeout).
        message: the exception or the reason, for "error" and "timeout".
    """

    status: Literal["ok", "error", "timeout"]
    value: Any = None
    seconds: float = 0.0
    message: str = ""


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the parent dies, so no worker outlives a crashed run."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def _worker_main(
    conn: Connection, fn: Callable[..., Any], initializer: Callable[[], None] | None, memory_mb: int | None
) -> None:
    """Worker loop: receive chunks of (task_id, args), answer one (id, status, value, s, msg) each."""
    _die_with_parent()
    if memory_mb:
        import resource

        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if initializer is not None:
        initializer()
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


@dataclass
class _Worker:
    proc: Any  # multiprocessing.Process of the spawn context
    conn: Connection
    ready: bool = False
    tasks: deque[tuple[int, tuple[Any, ...]]] = field(default_factory=deque)
    task_start: float = 0.0  # when the task at the head of `tasks` started


def _stop(procs: list[Any]) -> None:
    for proc in procs:
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=5)


class WorkerPool:
    """Persistent worker processes running `fn(*args)` with a per-task wall-clock limit.

    Args:
        fn: a picklable (module-level) function.
        workers: number of processes; default os.cpu_count().
        timeout_s: hard limit per task, in seconds of wall-clock time.
        initializer: picklable function each worker runs once before its first task (warm imports).
        memory_mb: address-space limit per worker (RLIMIT_AS), or None.
        chunk_size: most tasks sent to a worker at once; small chunks keep the load balanced.

    Raises:
        ValueError: on a non-positive worker count or timeout.

    Not thread-safe: one `map` at a time. Use as a context manager or call `close()`; workers are also
    killed when the pool is garbage-collected or the interpreter exits.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        workers: int | None = None,
        timeout_s: float = 5.0,
        initializer: Callable[[], None] | None = None,
        memory_mb: int | None = None,
        chunk_size: int = 16,
    ) -> None:
        self.workers = workers or os.cpu_count() or 1
        if self.workers < 1 or timeout_s <= 0:
            raise ValueError(f"workers={self.workers} and timeout_s={timeout_s} must be positive")
        self._fn, self._init, self._memory_mb = fn, initializer, memory_mb
        self.timeout_s, self.chunk_size = timeout_s, chunk_size
        self._ctx = mp.get_context("spawn")
        self._pool: list[_Worker] = []
        self._procs: list[Any] = []  # every process started and not yet reaped, for the finalizer
        self.timeouts = 0  # tasks killed for running past the limit, over the pool's life
        self.restarts = 0  # workers replaced after a timeout or a crash
        self._finalizer = weakref.finalize(self, _stop, self._procs)

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(
            target=_worker_main, args=(child, self._fn, self._init, self._memory_mb), daemon=True
        )
        proc.start()
        child.close()  # keep only the worker's copy, so its death reads as EOF here
        self._procs.append(proc)
        return _Worker(proc, parent)

    def start(self) -> None:
        """Start the missing workers now (otherwise the first `map` does); does not wait for them."""
        while len(self._pool) < self.workers:
            self._pool.append(self._spawn())

    def _replace(self, w: _Worker) -> None:
        if w.proc.is_alive():
            w.proc.kill()
        w.proc.join(timeout=5)
        w.conn.close()
        self._procs.remove(w.proc)
        self._pool[self._pool.index(w)] = self._spawn()
        self.restarts += 1

    def _dispatch(self, pending: deque[tuple[int, tuple[Any, ...]]]) -> None:
        idle = [w for w in self._pool if w.ready and not w.tasks]
        for w in idle:
            if not pending:
                return
            size = max(1, min(self.chunk_size, -(-len(pending) // len(self._pool))))
            chunk = [pending.popleft() for _ in range(min(size, len(pending)))]
            w.tasks.extend(chunk)
            w.task_start = time.monotonic()
            w.conn.send(chunk)

    def _receive(self, w: _Worker, results: list[TaskResult | None], start_failures: list[int]) -> None:
        try:
            msg = w.conn.recv()
        except (EOFError, OSError):
            msg = None
        if msg is None:  # the worker died: its running task failed, the rest go elsewhere
            if not w.ready:
                start_failures[0] += 1
                if start_failures[0] >= _MAX_START_FAILURES:
                    raise RuntimeError(f"pool workers for {self._fn!r} die at start")
            elif w.tasks:
                task_id, _ = w.tasks.popleft()
                results[task_id] = TaskResult("error", None, time.monotonic() - w.task_start, "worker died")
            self._requeue(w)
            return
        if msg == ("ready",):
            w.ready = True
            return
        task_id, status, value, seconds, message = msg
        results[task_id] = TaskResult(status, value, seconds, message)
        w.tasks.popleft()
        w.task_start = time.monotonic()

    def _requeue(self, w: _Worker) -> None:
        self._pending.extendleft(reversed(w.tasks))
        w.tasks.clear()
        self._replace(w)

    def _kill_overdue(self, results: list[TaskResult | None]) -> None:
        now = time.monotonic()
        for w in list(self._pool):
            if w.tasks and now - w.task_start > self.timeout_s:
                task_id, _ = w.tasks.popleft()
                results[task_id] = TaskResult("timeout", None, now - w.task_start, f"over {self.timeout_s} s")
                self.timeouts += 1
                self._requeue(w)

    def map(self, args_list: Sequence[tuple[Any, ...]]) -> list[TaskResult]:
        """Run `fn(*args)` for each args tuple; results come back in input order.

        Args:
            args_list: one tuple of positional arguments per task.

        Returns:
            One TaskResult per task. A task over the limit is "timeout" and its worker is replaced; a
            task that raises is "error" with the exception text. `map` itself does not raise for them.
        """
        results: list[TaskResult | None] = [None] * len(args_list)
        self._pending = deque(enumerate(tuple(a) for a in args_list))
        self.start()
        start_failures = [0]
        while self._pending or any(w.tasks for w in self._pool):
            self._dispatch(self._pending)
            busy = [w.task_start + self.timeout_s for w in self._pool if w.tasks]
            wait_s = max(0.0, min(busy) - time.monotonic()) if busy else 1.0
            by_conn = {w.conn: w for w in self._pool}
            for conn in wait(list(by_conn), timeout=wait_s):
                self._receive(by_conn[conn], results, start_failures)  # type: ignore[index]
            self._kill_overdue(results)
        return [r if r is not None else TaskResult("error", message="lost") for r in results]

    def close(self) -> None:
        """Stop every worker (politely, then by SIGKILL); the pool cannot be used afterwards."""
        for w in self._pool:
            with contextlib.suppress(OSError, ValueError):
                w.conn.send(None)
        deadline = time.monotonic() + 2.0
        for w in self._pool:
            w.proc.join(timeout=max(0.0, deadline - time.monotonic()))
            w.conn.close()
        self._pool.clear()
        self._finalizer()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
