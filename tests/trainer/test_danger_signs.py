"""Danger-sign lines: each sign warns when it appears, once while it lasts, again after it went away."""

from __future__ import annotations

import pytest

from or1.trainer.danger_signs import SIGNS, DangerWatch


@pytest.mark.parametrize(("metrics", "sign"), [
    ({"entropy/estimate": 0.079}, "entropy collapse"),  # start 0.8: below 0.08
    ({"rollout/truncated_frac": 0.51}, "truncation"),
    ({"reward/status/unfinished": 0.6}, "unfinished responses"),
])
def test_each_sign_warns_once_while_it_lasts_and_again_after_it_went_away(metrics, sign):
    watch = DangerWatch(first_entropy=0.8)
    calm = {"entropy/estimate": 0.5, "rollout/truncated_frac": 0.1, "reward/status/unfinished": 0.1}
    assert watch.check(1, calm) == []
    lines = watch.check(2, calm | metrics)
    assert len(lines) == 1 and lines[0].startswith(f"step 2: {sign}: ")
    assert watch.check(3, calm | metrics) == []
    assert watch.check(4, calm) == []
    assert watch.check(5, calm | metrics)[0].startswith(f"step 5: {sign}")


def test_the_boundaries_do_not_warn():
    watch = DangerWatch(first_entropy=0.8)
    assert watch.check(1, {"entropy/estimate": 0.08, "rollout/truncated_frac": 0.5,
                           "reward/status/unfinished": 0.5}) == []


def test_first_entropy_is_taken_from_the_first_step_that_logs_one():
    watch = DangerWatch()
    assert watch.check(1, {"rollout/len_mean": 3.0}) == [] and watch.first_entropy is None
    watch.check(2, {"entropy/estimate": 1.0})
    assert watch.first_entropy == 1.0 and "0.0900" in watch.check(3, {"entropy/estimate": 0.09})[0]
    assert set(SIGNS) == {"entropy collapse", "truncation", "unfinished responses"}
