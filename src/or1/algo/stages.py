"""The multi-stage schedule: context length, batch and group size by training step (DESIGN.md §1)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

__all__ = ["Stage", "StageSchedule"]


@dataclass(frozen=True)
class Stage:
    """One stage of training.

    Attributes:
        index: 0-based stage number.
        start: first step of the stage (0-based, inclusive); end: first step after it.
        max_response_length: T, tokens a response may take.
        batch_size: prompts per step (groups of the policy update).
        mini_batch_size: prompts per optimiser update; N_SGD = batch_size / mini_batch_size.
        group_size: G, responses per prompt.
        temperature: sampling temperature τ (1.0 in the recipe).
    """

    index: int
    start: int
    end: int
    max_response_length: int
    batch_size: int
    mini_batch_size: int
    group_size: int
    temperature: float

    @property
    def updates_per_step(self) -> int:
        return self.batch_size // self.mini_batch_size


class StageSchedule:
    """Stages laid end to end; `at(step)` is a pure lookup.

    Args:
        stages: per stage, a mapping or object with `steps` and the `Stage` fields other than
            index/start/end (e.g. `config.StageConfig`).
    """

    def __init__(self, stages: Sequence) -> None:
        if not stages:
            raise ValueError("a schedule needs at least one stage")
        self.stages: list[Stage] = []
        start = 0
        for i, s in enumerate(stages):
            get: Callable[[str], Any] = s.get if isinstance(s, dict) else partial(getattr, s)
            steps = int(get("steps"))
            if steps < 1:
                raise ValueError(f"stage {i}: steps must be >= 1, got {steps}")
            self.stages.append(Stage(i, start, start + steps, int(get("max_response_length")),
                                     int(get("batch_size")), int(get("mini_batch_size")),
                                     int(get("group_size")), float(get("temperature"))))
            start += steps
        self._starts = [s.start for s in self.stages]

    @property
    def total_steps(self) -> int:
        return self.stages[-1].end

    def at(self, step: int) -> Stage:
        """The stage containing 0-based `step`; steps past the end raise."""
        if not 0 <= step < self.total_steps:
            raise IndexError(f"step {step} is outside the schedule [0, {self.total_steps})")
        return self.stages[bisect_right(self._starts, step) - 1]
