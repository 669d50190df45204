"""The worker pool: results in order, errors as data, a real hanging task killed and its worker replaced.

Tasks are standard-library callables, so the spawned workers need nothing from the test tree.
"""

import contextlib
import os
import random
import signal
import threading
import time
from dataclasses import replace

import pytest

from or1.rewards.pool import PoolStartError, TaskResult, WorkerPool
from or1.rewards.pool_policy import default_policy

BUSY_LOOP = ("while True:\n    pass",)  # exec() of this never returns: a real hang, not a sleep


@pytest.fixture(scope="module")
def pool():
    with WorkerPool(pow, workers=2, timeout_s=1.0) as p:
        yield p


def test_results_come_back_in_order(pool: WorkerPool) -> None:
    results = pool.map([(2, k) for k in range(50)])
    assert [r.value for r in results] == [2**k for k in range(50)]
    assert all(r.status == "ok" and r.seconds >= 0 for r in results)


def test_an_exception_is_an_error_result_and_the_rest_still_run(pool: WorkerPool) -> None:
    results = pool.map([(2, 3), (0, -1), (3, 2)])  # 0 ** -1 raises ZeroDivisionError
    assert [r.status for r in results] == ["ok", "error", "ok"]
    assert "ZeroDivisionError" in results[1].message
    assert (results[0].value, results[2].value) == (8, 9)


def test_empty_batch(pool: WorkerPool) -> None:
    assert pool.map([]) == []


def test_hanging_task_is_killed_and_the_worker_replaced() -> None:
    with WorkerPool(exec, workers=2, timeout_s=0.5) as p:
        p.map([("x = 1",)])  # workers are up
        pids = {w.proc.pid for w in p._pool}
        start = time.monotonic()
        results = p.map([("x = 1",), BUSY_LOOP, ("y = 2",), BUSY_LOOP, ("z = 3",)])
        elapsed = time.monotonic() - start
        assert [r.status for r in results] == ["ok", "timeout", "ok", "timeout", "ok"]
        assert results[1].seconds >= 0.5 and results[1].message
        assert elapsed < 5.0
        assert p.timeouts == 2 and p.restarts == 2
        dead = pids - {w.proc.pid for w in p._pool}
        assert dead, "a killed worker must have been replaced by a new process"
        for pid in dead:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
        assert [r.status for r in p.map([("a = 1",)] * 4)] == ["ok"] * 4  # the pool still works
        procs = [w.proc for w in p._pool]
    assert not any(proc.is_alive() for proc in procs)


# The task stops the pool's process (the parent of its worker), runs past the limit, and returns; a
# helper wakes the parent only after the result is in the pipe, so the parent finds the late result
# waiting before it can see the deadline pass, as a parent starved of CPU on a loaded machine does.
_LATE = ("""
import os, signal, subprocess, time
parent = os.getppid()
os.kill(parent, signal.SIGSTOP)
try:
    time.sleep(0.6)
    subprocess.Popen(['sh', '-c', f'sleep 0.4; kill -CONT {parent}'])
except BaseException:
    os.kill(parent, signal.SIGCONT)  # never leave the test process stopped
    raise
""",)


def test_a_result_that_comes_after_the_limit_is_a_timeout() -> None:
    with WorkerPool(exec, workers=1, timeout_s=0.2) as p:
        assert p.map([("pass",)])[0].status == "ok"  # the worker is up
        late, after = p.map([_LATE, ("pass",)])
    assert late.status == "timeout" and late.value is None and late.seconds >= 0.6, late
    assert after.status == "ok"
    assert p.timeouts == 1


def test_a_task_that_kills_its_worker_is_retried_then_an_error() -> None:
    with WorkerPool(os._exit, workers=1, timeout_s=2.0, policy=replace(default_policy(), task_retries=1)) as p:
        results = p.map([(3,), (4,)])
        assert [r.status for r in results] == ["error", "error"]
        assert results[0].message == "its worker died under it 2 times"
        assert p.restarts == 4 and p.deaths == 4  # two tries of each task, a fresh worker after each


def test_unpicklable_result_is_an_error() -> None:
    with WorkerPool(threading.Lock, workers=1, timeout_s=2.0) as p:
        [result] = p.map([()])
    assert result.status == "error" and "unpicklable" in result.message


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="timeout_s"):
        WorkerPool(pow, workers=1, timeout_s=0)


def test_task_result_defaults() -> None:
    assert TaskResult("timeout").value is None


SLOW_SUM = (range(1_500_000),)  # sum() of it takes ~10-50 ms: kills land mid-task


def _storm(pool: WorkerPool, every_s: float, only_starting: bool = False, for_s: float = 3600.0
           ) -> tuple[threading.Event, set[int]]:
    """Start a thread that SIGKILLs one of the pool's live workers every `every_s` (only unready ones if
    asked) for `for_s` seconds; returns its stop event and the pids it killed."""
    stop, killed = threading.Event(), set()
    end = time.monotonic() + for_s

    def kill() -> None:
        rng = random.Random(0)
        while not stop.wait(every_s) and time.monotonic() < end:
            pids = [w.proc.pid for w in list(pool._pool) if not (only_starting and w.ready)]
            pids = [pid for pid in pids if pid not in killed]
            if pids:
                pid = rng.choice(pids)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)

    threading.Thread(target=kill, daemon=True).start()
    return stop, killed


def _run_storm(seconds: float) -> None:
    expected = [sum(range(k, k + SLOW_SUM[0].stop)) for k in range(40)]
    with WorkerPool(sum, workers=2, timeout_s=30.0) as p:
        stop, kills = _storm(p, 0.2, for_s=seconds)  # a storm that lasts `seconds`, whatever the pool does
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            results = p.map([(range(k, k + SLOW_SUM[0].stop),) for k in range(40)])
            assert [r.status for r in results] == ["ok"] * 40, {r.message for r in results}
            assert [r.value for r in results] == expected
        stop.set()
        assert len(kills) >= seconds and p.deaths >= len(kills) - 2 and p.restarts >= p.deaths  # >= 1 kill/s loaded


def test_a_worker_kill_storm_changes_no_result() -> None:
    _run_storm(3.0)


@pytest.mark.slow
def test_a_30_s_worker_kill_storm_changes_no_result() -> None:
    _run_storm(30.0)


def test_workers_killed_while_starting_are_restarted_with_backoff() -> None:
    with WorkerPool(sum, workers=2, timeout_s=30.0) as p:
        p.start()
        _, kills = _storm(p, 0.01, only_starting=True, for_s=1.5)
        results = p.map([SLOW_SUM] * 6)  # waits out the storm: workers come up once it ends
        assert [r.status for r in results] == ["ok"] * 6
        assert len(kills) >= 4 and p.deaths == len(kills)  # every death was at start and was restarted


def test_a_pool_that_cannot_start_fails_with_what_its_workers_printed() -> None:
    start = time.monotonic()
    with pytest.raises(PoolStartError) as e, WorkerPool(pow, workers=2, timeout_s=1.0, initializer=int.from_bytes,
                                                        policy=replace(default_policy(), start_timeout_s=1.0)) as p:
        p.map([(2, 3)])
    assert time.monotonic() - start < 30
    msg = str(e.value)
    assert msg.startswith("no worker of the pool for pow could start for ")
    assert "the last one exited with code 1 and printed:\nTraceback" in msg
    assert "TypeError: from_bytes() missing required argument" in msg
