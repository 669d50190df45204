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
import pickle
import tempfile
import time
import weakref
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Literal

from or1.rewards.pool_policy import PoolPolicy, count_restart, default_policy, set_default_policy, total_restarts
from or1.rewards.pool_worker import worker_main

__all__ = ["PoolPolicy", "PoolStartError", "TaskResult", "WorkerPool", "set_default_policy", "total_restarts"]


class PoolStartError(RuntimeError):
    """No worker could start for `start_timeout_s`; the message holds what the last one printed."""


@dataclass(frozen=True)
class TaskResult:
    """The outcome of one task.

    Attributes:
        status: "ok" (value holds the return value), "error" (the task raised, or its worker died under it
            more than `task_retries` times), "timeout" (the task ran past the limit and its worker was killed).
        value: the task's return value when status is "ok", else None.
        seconds: wall-clock time of the task (the limit, for a timeout).
        message: the exception or the reason, for "error" and "timeout".
    """

    status: Literal["ok", "error", "timeout"]
    value: Any = None
    seconds: float = 0.0
    message: str = ""


@dataclass
class _Worker:
    proc: Any  # multiprocessing.Process of the spawn context
    conn: Connection
    log_path: str  # what the worker prints until it is ready
    started: float
    ready: bool = False
    tasks: deque[tuple[int, tuple[Any, ...]]] = field(default_factory=deque)
    task_start: float = 0.0  # when the task at the head of `tasks` started


def _stop(procs: list[Any]) -> None:
    for proc in procs:
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=5)


def _exit_text(proc: Any) -> str:
    code = proc.exitcode
    return f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"


class WorkerPool:
    """Persistent worker processes running `fn(*args)` with a per-task wall-clock limit.

    A worker that dies is replaced: at once if it had started, after a doubling backoff if it died at
    start. A task whose worker died under it is re-run (up to `policy.task_retries` times), so a killed
    worker costs time, never a result. Only a pool where no worker could start for
    `policy.start_timeout_s` fails, with `PoolStartError` quoting what the last worker printed.

    Args:
        fn: a picklable (module-level) function.
        workers: number of processes; default os.cpu_count().
        timeout_s: hard limit per task, in seconds of wall-clock time.
        initializer: picklable function each worker runs once before its first task (warm imports).
        memory_mb: address-space limit per worker (RLIMIT_AS), or None.
        chunk_size: most tasks sent to a worker at once; small chunks keep the load balanced.
        policy: restart and retry rules; default the process's (`set_default_policy`).

    Raises:
        ValueError: on a non-positive worker count or timeout.

    Not thread-safe: one `map` at a time. Use as a context manager or call `close()`; workers are also
    killed when the pool is garbage-collected or the interpreter exits.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        workers: int | None,
        timeout_s: float,
        initializer: Callable[[], None] | None = None,
        memory_mb: int | None = None,
        chunk_size: int = 16,
        policy: PoolPolicy | None = None,
    ) -> None:
        self.workers = workers or os.cpu_count() or 1
        if self.workers < 1 or timeout_s <= 0:
            raise ValueError(f"workers={self.workers} and timeout_s={timeout_s} must be positive")
        self._name = getattr(fn, "__qualname__", repr(fn))
        self._fn_bytes = pickle.dumps(fn)
        self._init_bytes = pickle.dumps(initializer) if initializer is not None else None
        self._memory_mb, self.policy = memory_mb, policy or default_policy()
        self.timeout_s, self.chunk_size = timeout_s, chunk_size
        self._ctx = mp.get_context("spawn")
        self._pool: list[_Worker] = []
        self._respawn_at: list[float] = []  # empty slots: when each gets a new worker
        self._procs: list[Any] = []  # every process started and not yet reaped, for the finalizer
        self._start_failures = 0  # workers in a row that died before they were ready
        self._failing_since: float | None = None  # first of those failures
        self._last_start_output = ""
        self.timeouts = 0  # tasks killed for running past the limit, over the pool's life
        self.restarts = 0  # workers replaced after a timeout, a crash or a kill
        self.deaths = 0  # workers that died on their own (crash, kill) rather than by our timeout
        self._finalizer = weakref.finalize(self, _stop, self._procs)

    def _spawn(self) -> _Worker:
        fd, log_path = tempfile.mkstemp(prefix="or1-worker-", suffix=".log")
        os.close(fd)
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=worker_main, daemon=True,
                                 args=(child, self._fn_bytes, self._init_bytes, self._memory_mb, log_path))
        proc.start()
        child.close()  # keep only the worker's copy, so its death reads as EOF here
        self._procs.append(proc)
        return _Worker(proc, parent, log_path, time.monotonic())

    def start(self) -> None:
        """Start the missing workers now (otherwise the first `map` does); does not wait for them."""
        while len(self._pool) + len(self._respawn_at) < self.workers:
            self._pool.append(self._spawn())

    def _discard(self, w: _Worker, delay: float) -> None:
        """Remove `w` (killing it if alive) and schedule its slot's new worker in `delay` seconds."""
        if w.proc.is_alive():
            w.proc.kill()
        w.proc.join(timeout=5)
        w.conn.close()
        self._procs.remove(w.proc)
        with contextlib.suppress(OSError):
            os.unlink(w.log_path)
        self._pool.remove(w)
        self._respawn_at.append(time.monotonic() + delay)
        self.restarts += 1
        count_restart()

    def _respawn_due(self) -> None:
        now = time.monotonic()
        due = [t for t in self._respawn_at if t <= now]
        for t in due:
            self._respawn_at.remove(t)
            self._pool.append(self._spawn())

    def _dispatch(self, pending: deque[tuple[int, tuple[Any, ...]]]) -> None:
        idle = [w for w in self._pool if w.ready and not w.tasks]
        for w in idle:
            if not pending:
                return
            size = max(1, min(self.chunk_size, -(-len(pending) // self.workers)))
            chunk = [pending.popleft() for _ in range(min(size, len(pending)))]
            w.tasks.extend(chunk)
            w.task_start = time.monotonic()
            w.conn.send(chunk)

    def _died_at_start(self, w: _Worker) -> None:
        """Back off before the slot's next worker; remember what this one printed."""
        w.proc.join(timeout=5)
        with contextlib.suppress(OSError):
            with open(w.log_path, errors="replace") as f:
                printed = f.read()[-2000:].strip()
            self._last_start_output = f"{_exit_text(w.proc)} and printed:\n{printed or '(nothing)'}"
        self._start_failures += 1
        self._failing_since = self._failing_since or time.monotonic()
        p = self.policy
        self._discard(w, min(p.backoff_max_s, p.backoff_s * 2 ** (self._start_failures - 1)))

    def _died_running(self, w: _Worker, results: list[TaskResult | None]) -> None:
        """Re-run the task its worker died under (up to `task_retries` times); requeue the rest of its chunk."""
        if w.tasks:
            task_id, args = w.tasks.popleft()
            self._attempts[task_id] += 1
            if self._attempts[task_id] > self.policy.task_retries:
                n = self._attempts[task_id]
                results[task_id] = TaskResult("error", None, time.monotonic() - w.task_start,
                                              f"its worker died under it {n} time{'s' if n > 1 else ''}")
            else:
                w.tasks.appendleft((task_id, args))
        self._pending.extendleft(reversed(w.tasks))
        w.tasks.clear()
        self._discard(w, 0.0)

    def _receive(self, w: _Worker, results: list[TaskResult | None]) -> None:
        try:
            msg = w.conn.recv()
        except (EOFError, OSError):
            msg = None
        if msg is None:  # the worker died (crashed, or was killed by someone else)
            self.deaths += 1
            if w.ready:
                self._died_running(w, results)
            else:
                self._died_at_start(w)
            return
        if msg == ("ready",):
            w.ready, self._start_failures, self._failing_since = True, 0, None
            with contextlib.suppress(OSError):
                os.unlink(w.log_path)
            return
        task_id, status, value, seconds, message = msg
        if seconds > self.timeout_s:
            # Finished past the limit before this process got to kill it (a loaded machine): the
            # limit holds all the same, so the verdict does not depend on when the parent woke up.
            status, value, message = "timeout", None, f"over {self.timeout_s} s ({seconds:.2f} s in the worker)"
            self.timeouts += 1
        results[task_id] = TaskResult(status, value, seconds, message)
        w.tasks.popleft()
        w.task_start = time.monotonic()

    def _kill_overdue(self, results: list[TaskResult | None]) -> None:
        now = time.monotonic()
        for w in list(self._pool):
            if w.tasks and now - w.task_start > self.timeout_s:
                task_id, _ = w.tasks.popleft()
                results[task_id] = TaskResult("timeout", None, now - w.task_start, f"over {self.timeout_s} s")
                self.timeouts += 1
                self._pending.extendleft(reversed(w.tasks))
                w.tasks.clear()
                self._discard(w, 0.0)
            elif not w.ready and now - w.started > self.policy.start_timeout_s:  # hangs while starting
                w.proc.kill()
                self._died_at_start(w)

    def _check_start_deadline(self) -> None:
        since = self._failing_since
        if since is None or any(w.ready for w in self._pool):
            return
        waited = time.monotonic() - since
        if waited > self.policy.start_timeout_s:
            raise PoolStartError(
                f"no worker of the pool for {self._name} could start for {waited:.0f} s "
                f"({self._start_failures} tries in a row); the last one {self._last_start_output}")

    def _wait_s(self) -> float:
        busy = [w.task_start + self.timeout_s for w in self._pool if w.tasks]
        starting = [w.started + self.policy.start_timeout_s for w in self._pool if not w.ready]
        soonest = min([*busy, *starting, *self._respawn_at], default=time.monotonic() + 1.0)
        return min(1.0, max(0.0, soonest - time.monotonic()))

    def map(self, args_list: Sequence[tuple[Any, ...]]) -> list[TaskResult]:
        """Run `fn(*args)` for each args tuple; results come back in input order.

        Args:
            args_list: one tuple of positional arguments per task.

        Returns:
            One TaskResult per task. A task over the limit is "timeout" and its worker is replaced; a
            task that raises is "error" with the exception text. `map` itself does not raise for them.

        Raises:
            PoolStartError: no worker could start for `policy.start_timeout_s`.
        """
        results: list[TaskResult | None] = [None] * len(args_list)
        self._pending = deque(enumerate(tuple(a) for a in args_list))
        self._attempts: defaultdict[int, int] = defaultdict(int)
        self.start()
        while self._pending or any(w.tasks for w in self._pool):
            self._respawn_due()
            self._dispatch(self._pending)
            by_conn = {w.conn: w for w in self._pool}
            wait_s = self._wait_s()
            if not by_conn:  # every slot waits out a restart backoff
                time.sleep(wait_s)
            for conn in wait(list(by_conn), timeout=wait_s) if by_conn else []:
                self._receive(by_conn[conn], results)  # type: ignore[index]
            self._kill_overdue(results)
            self._check_start_deadline()
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
            with contextlib.suppress(OSError):
                os.unlink(w.log_path)  # a worker that never became ready leaves its start log
        self._pool.clear()
        self._respawn_at.clear()
        self._finalizer()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
