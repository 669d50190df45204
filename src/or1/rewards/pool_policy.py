"""How worker pools survive their workers' deaths, and a process-wide count of restarts.

The verifiers build their pools themselves; the trainer sets the process's default policy from
`reward.*` before they do, and reads `total_restarts()` for the step metrics (`reward/worker_restarts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PoolPolicy", "count_restart", "default_policy", "set_default_policy", "total_restarts"]


@dataclass(frozen=True)
class PoolPolicy:
    """How a pool survives its workers' deaths (a run's values come from `reward.*` in the config).

    Attributes:
        start_timeout_s: a pool in which no worker has been able to start for this long fails.
        task_retries: re-runs of a task whose worker died under it; a timeout is never re-run.
        backoff_s: delay before restarting a worker that died at start, doubled per failure in a row.
        backoff_max_s: the largest such delay.
    """

    start_timeout_s: float = 120.0
    task_retries: int = 5
    backoff_s: float = 0.1
    backoff_max_s: float = 5.0


@dataclass
class _ProcessState:
    policy: PoolPolicy = field(default_factory=PoolPolicy)  # for pools created without one
    restarts: int = 0  # by every pool of this process


_process = _ProcessState()


def set_default_policy(policy: PoolPolicy) -> None:
    """The policy of pools created afterwards without one (the trainer sets it from `reward.*`)."""
    _process.policy = policy


def default_policy() -> PoolPolicy:
    return _process.policy


def count_restart() -> None:
    _process.restarts += 1


def total_restarts() -> int:
    """Workers restarted (after a timeout, a crash or a kill) by every pool of this process so far."""
    return _process.restarts
