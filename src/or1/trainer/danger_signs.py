"""Danger signs of a run, read off each step's metrics: a warning line when one appears.

| sign                 | when                                                         | usual cause                 |
|----------------------|--------------------------------------------------------------|-----------------------------|
| entropy collapse     | entropy/estimate < 1/10 of the run's first                   | α too small, lr too high    |
| truncation           | rollout/truncated_frac > 0.5                                 | max_response_length too low |
| unfinished responses | reward/status/unfinished > 0.5                               | no `</think>` in responses  |

(A step with no informative group is warned about where it happens, `loop._empty_step`.) A sign is warned
about when it appears and again only after it has gone away, so a run that stays truncated for a thousand
steps says so once, not a thousand times.

    >>> watch = DangerWatch()
    >>> watch.check(1, {"entropy/estimate": 0.8, "rollout/truncated_frac": 0.1})
    []
    >>> watch.check(2, {"entropy/estimate": 0.05, "rollout/truncated_frac": 0.7})[0][:33]
    'step 2: entropy collapse: entropy'
    >>> watch.check(3, {"entropy/estimate": 0.05, "rollout/truncated_frac": 0.7})
    []
"""

from __future__ import annotations

import logging
from collections.abc import Callable

__all__ = ["SIGNS", "DangerWatch"]

log = logging.getLogger(__name__)

# name -> (test on (metrics, first entropy), what the line says)
SIGNS: dict[str, tuple[Callable[[dict[str, float], float | None], bool], str]] = {
    "entropy collapse": (
        lambda m, h0: h0 is not None and "entropy/estimate" in m and m["entropy/estimate"] < h0 / 10,
        "entropy {entropy/estimate:.4f} is below a tenth of its start {h0:.4f}: exploration is gone (raise "
        "entropy.target or entropy.coef_max, or lower algo.lr)"),
    "truncation": (
        lambda m, h0: m.get("rollout/truncated_frac", 0.0) > 0.5,
        "{rollout/truncated_frac:.0%} of responses hit the stage's max_response_length: they earn 0 (or are "
        "masked with algo.mask_truncated); raise the stage's max_response_length or move to the next stage sooner"),
    "unfinished responses": (
        lambda m, h0: m.get("reward/status/unfinished", 0.0) > 0.5,
        "{reward/status/unfinished:.0%} of responses never close </think>, so they cannot earn reward: check "
        "the chat template and samples/ (or the stage is too short for the model's reasoning)"),
}


class DangerWatch:
    """Remembers the run's first entropy and which signs are showing; `check` returns the new warning lines."""

    def __init__(self, first_entropy: float | None = None) -> None:
        self.first_entropy = first_entropy
        self.showing: set[str] = set()

    def check(self, step: int, metrics: dict[str, float]) -> list[str]:
        if self.first_entropy is None and metrics.get("entropy/estimate", 0.0) > 0:
            self.first_entropy = metrics["entropy/estimate"]
        lines = []
        for name, (test, text) in SIGNS.items():
            if test(metrics, self.first_entropy):
                if name not in self.showing:
                    values = dict(metrics) | {"h0": self.first_entropy or 0.0}
                    lines.append(f"step {step}: {name}: " + text.format_map(values))
                self.showing.add(name)
            else:
                self.showing.discard(name)
        return lines
