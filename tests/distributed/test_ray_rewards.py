"""Reward actors on a local Ray cluster: a killed actor's chunk is retried and every reward comes back,
identical to the in-process registry's.

`ray_rewards_run.py` runs in a loopback-only network namespace (ray_netns.py): it scores a batch of real
math and code responses through 2 actors, SIGKILLs actor 0 while a program of its chunk runs in its code
sandbox, and pickles what came back. This process scores the same requests with `default_registry`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from or1.rewards.registry import default_registry
from or1.rewards.types import RewardResult

from .ray_netns import netns_report

SCRIPT = Path(__file__).with_name("ray_rewards_run.py")

def _same(r: RewardResult) -> RewardResult:
    """A result without its wall-clock time, the one field a re-run may change."""
    return replace(r, seconds=0.0)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    return netns_report(tmp_path_factory, SCRIPT, "ray_rewards")


@pytest.fixture(scope="module")
def in_process(run) -> list[RewardResult]:
    with default_registry(workers=1, math_timeout_s=5.0, code_time_limit_s=6.0) as reg:
        return reg.score(run["requests"])


def test_the_kill_landed_mid_batch_and_the_chunk_was_retried(run):
    assert run["sandbox_running_at_kill"], "actor 0 was not running a program of its chunk when killed"
    assert "error" not in run, run.get("error")
    assert run["retries"] == 1
    assert run["pids_after"][0] != run["killed_pid"]  # a fresh actor took over chunk 0


def test_every_reward_identical_to_in_process(run, in_process):
    assert len(run["results"]) == len(run["requests"]) == 23
    assert [_same(r) for r in run["results"]] == [_same(r) for r in in_process]
    assert [_same(r) for r in run["undisturbed"]] == [_same(r) for r in in_process]


def test_batch_mixes_right_and_wrong_math_and_code(in_process, run):
    by = {(q.ability, r.correct) for q, r in zip(run["requests"], in_process, strict=True)}
    assert by == {("math", True), ("math", False), ("code", True), ("code", False)}
    statuses = {r.status for r in in_process}
    assert {"ok", "wrong", "unfinished", "wrong_answer", "runtime_error"} <= statuses


def test_a_death_past_max_retries_raises_a_clear_error(run):
    ex = run["exhausted"]
    assert ex["sandbox_running_at_kill"]
    assert "results" not in ex
    assert "its actor died 1 times (ray.max_retries=0)" in ex["error"]
