"""How worker pools survive their workers' deaths, and a process-wide count of restarts.

The verifiers build their pools themselves; the trainer sets the process's default policy from
`reward.*` before they do, and reads `total_restarts()` for the step metrics (`reward/worker_restarts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from or1.config import RewardConfig

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

    start_timeout_s: float
    task_retries: int
    backoff_s: float
    backoff_max_s: float

    @classmethod
    def from_config(cls, cfg: RewardConfig) -> PoolPolicy:
        """The policy of `reward.*` (its defaults: `RewardConfig()`)."""
        return cls(start_timeout_s=cfg.pool_start_timeout_s, task_retries=cfg.task_retries,
                   backoff_s=cfg.restart_backoff_s, backoff_max_s=cfg.restart_backoff_max_s)


@dataclass
class _ProcessState:
    policy: PoolPolicy = field(default_factory=lambda: PoolPolicy.from_config(RewardConfig()))  # pools without one
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
