"""The trainer's proxies of engine and verifiers: watchdog phases around the calls, reward counts per step."""

from __future__ import annotations

from pathlib import Path

from or1.config import RewardConfig, WatchdogConfig
from or1.rewards.pool_policy import PoolPolicy, count_restart, default_policy, set_default_policy
from or1.rewards.registry import ScoreRequest
from or1.rewards.types import RewardResult
from or1.trainer.guards import GuardedScorer
from or1.trainer.setup import build_scorer
from or1.trainer.watchdog import Watchdog


class _Registry:
    def __init__(self, statuses: list[str]) -> None:
        self.statuses, self.closed = statuses, False

    def score(self, requests):
        return [RewardResult(1.0 if s == "ok" else 0.0, s) for s in self.statuses[: len(requests)]]

    def close(self) -> None:
        self.closed = True


def test_scoring_counts_timeouts_errors_and_restarts_per_take(tmp_path: Path) -> None:
    wd = Watchdog(WatchdogConfig(enabled=False), tmp_path)
    scorer = GuardedScorer(_Registry(["ok", "timeout", "error", "wrong", "timeout"]), wd)
    req = [ScoreRequest("r", "math", "s", "1")] * 5
    scorer.score(req)
    scorer.score(req[:3])
    count_restart()
    count_restart()
    assert scorer.take_counts() == {"reward/timeouts": 3.0, "reward/errors": 2.0, "reward/worker_restarts": 2.0}
    assert scorer.take_counts() == {"reward/timeouts": 0.0, "reward/errors": 0.0, "reward/worker_restarts": 0.0}
    scorer.close()
    assert scorer.registry.closed


def test_the_reward_config_sets_the_pools_restart_policy() -> None:
    before = default_policy()
    try:
        build_scorer(RewardConfig(workers=1, pool_start_timeout_s=7.0, task_retries=1, restart_backoff_s=0.5,
                                  restart_backoff_max_s=2.0)).close()
        assert default_policy() == PoolPolicy(start_timeout_s=7.0, task_retries=1, backoff_s=0.5, backoff_max_s=2.0)
    finally:
        set_default_policy(before)


def test_bad_pool_settings_name_their_key():
    import pytest

    from or1.config import ConfigError

    with pytest.raises(ConfigError, match=r"reward\.task_retries=-1 must be >= 0"):
        RewardConfig(task_retries=-1)
    with pytest.raises(ConfigError, match=r"reward\.restart_backoff_s=9 must be in \[0, reward\.restart_backoff_max"):
        RewardConfig(restart_backoff_s=9)
