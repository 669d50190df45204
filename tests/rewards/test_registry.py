"""The reward registry routes rows to the real math and code verifiers and keeps request order."""

from __future__ import annotations

import json

import pytest

from or1.rewards.registry import RewardRegistry, ScoreRequest, default_registry
from or1.rewards.types import RewardResult


def test_mixed_batch_routes_by_ability_and_keeps_order():
    tests = json.dumps({"inputs": ["2 3\n"], "outputs": ["5\n"]})
    good_code = "</think>\n```python\na, b = map(int, input().split())\nprint(a + b)\n```"
    bad_code = "</think>\n```python\nprint(6)\n```"
    reqs = [
        ScoreRequest("x</think> so \\boxed{025}", "math", "aime", "25"),
        ScoreRequest(good_code, "code", "lcb", tests),
        ScoreRequest("\\boxed{25} but never closed the thinking", "math", "aime", "25"),
        ScoreRequest(bad_code, "code", "lcb", tests),
        ScoreRequest("</think>\\boxed{\\frac{1}{2}}", "math", "m", ["0.5", "1/3"]),
    ]
    with default_registry(workers=1) as reg:
        out = reg.score(reqs)
    assert [r.reward for r in out] == [1.0, 1.0, 0.0, 0.0, 1.0]
    assert out[2].status == "unfinished"
    assert out[3].status == "wrong_answer"


class _Const:
    def __init__(self, value: float, log: list[str], name: str):
        self.value, self.log, self.name = value, log, name

    def score_batch(self, responses, ground_truths, mode="response"):
        self.log.append(f"{self.name}:{len(responses)}")
        return [RewardResult(self.value, "ok") for _ in responses]

    def close(self):
        self.log.append(f"{self.name}:closed")


def test_data_source_overrides_ability_and_scorers_are_lazy():
    log: list[str] = []
    reg = RewardRegistry({"math": lambda: _Const(1.0, log, "math"), "judge": lambda: _Const(0.5, log, "judge")},
                         by_source={"special": "judge"})
    out = reg.score([ScoreRequest("r", "math", "special", "g"), ScoreRequest("r", "math", "plain", "g")])
    assert [r.reward for r in out] == [0.5, 1.0]
    assert sorted(log) == ["judge:1", "math:1"]  # one batched call per family
    reg.close()
    assert "math:closed" in log and "judge:closed" in log


def test_unknown_family_names_it():
    reg = RewardRegistry({"math": lambda: _Const(1.0, [], "m")})
    with pytest.raises(KeyError, match="no verifier for ability/data_source 'chemistry'"):
        reg.score([ScoreRequest("r", "chemistry", "src", "g")])
