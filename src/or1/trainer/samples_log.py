"""Sampled responses in the run's log: a few prompts' groups every `logging.sample_every` steps.

Reward hacking and format drift show in the responses before they show in any curve, so the trainer keeps
some: `OUT/samples/step_N.jsonl` (training rollouts, the first try of the step, which measures the policy)
and `OUT/val_samples/step_N.jsonl` (validation), one JSON row per response:

    {"step": 40, "uid": "aime/3", "data_source": "aime", "ability": "math", "group": 0, "sample": 2,
     "prompt": "...", "response": "...", "status": "wrong", "reward": 0.0, "length": 812,
     "truncated": false, "advantage": -0.87, "extracted": "17"}

`advantage` is the GRPO group advantage of the response (`algo.advantage.group_advantages`); validation rows
have none. Texts keep their head and tail (`logging.sample_chars`); the files of a run stop once they hold
`logging.samples_max_mb` together (a warning says so), so a weeks-long run cannot fill the disk.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from or1.algo.advantage import group_advantages
from or1.config import LoggingConfig
from or1.problems.schema import Problem
from or1.rewards.types import RewardResult

__all__ = ["SampleLog", "ScoredRollouts", "clip_text", "prompt_text", "rollout_rows", "sample_due", "validation_rows"]

log = logging.getLogger(__name__)

DIRS = ("samples", "val_samples")


@dataclass(frozen=True)
class ScoredRollouts:
    """One rollout batch as scored: prompt `idx[p]` has responses p·G .. p·G + G - 1."""

    idx: list[int]
    texts: list[str]
    results: list[RewardResult]
    lengths: list[int]
    truncated: list[bool]
    group_size: int


def clip_text(text: str, chars: int) -> str:
    """`text` itself, or its first and last chars/2 characters around a marker naming what was cut."""
    if len(text) <= chars:
        return text
    half = chars // 2
    return f"{text[:half]} […{len(text) - 2 * half} characters…] {text[-half:]}"


def prompt_text(problem: Problem) -> str:
    """The user's message (the last one), as the policy read it before the chat template."""
    users = [m["content"] for m in problem.prompt if m.get("role") == "user"]
    return users[-1] if users else str(problem.prompt)


def rollout_rows(step: int, scored: ScoredRollouts, problems: Sequence[Problem], groups: int, chars: int
                 ) -> list[dict[str, Any]]:
    """The rows of the first `groups` prompts' groups of a training rollout batch."""
    g = scored.group_size
    rewards = torch.tensor([r.reward for r in scored.results], dtype=torch.float32)
    adv = group_advantages(rewards, g).tolist()
    rows = []
    for p, i in enumerate(scored.idx[:groups]):
        prob = problems[i]
        for k in range(g):
            n = p * g + k
            rows.append(_row(step, prob, p, k, scored.texts[n], scored.results[n], scored.lengths[n],
                             scored.truncated[n], chars) | {"advantage": round(adv[n], 6)})
    return rows


def validation_rows(step: int, samples: Sequence[Sequence[Any]], groups: int, chars: int, temperature: float
                    ) -> list[dict[str, Any]]:
    """The rows of the first `groups` problems of a validation pass (`eval.sample.Sample` groups)."""
    return [_row(step, s.problem, p, s.index, s.response, s.result, s.length, s.truncated, chars)
            | {"temperature": temperature} for p, group in enumerate(samples[:groups]) for s in group]


def _row(step: int, prob: Problem, group: int, sample: int, text: str, result: RewardResult, length: int,
         truncated: bool, chars: int) -> dict[str, Any]:
    return {"step": step, "uid": prob.uid, "data_source": prob.data_source, "ability": prob.ability,
            "group": group, "sample": sample, "prompt": clip_text(prompt_text(prob), chars),
            "response": clip_text(text, chars), "status": result.status, "reward": result.reward,
            "length": int(length), "truncated": bool(truncated),
            "extracted": None if result.extracted is None else clip_text(str(result.extracted), 200)}


def sample_due(cfg: LoggingConfig, step: int) -> bool:
    """Whether step `step` (1-based) keeps its responses: every `sample_every` steps, and step 1 (the
    rollout worker asks this without the run's size cap)."""
    e = cfg.sample_every
    return e > 0 and (step == 1 or step % e == 0)


class SampleLog:
    """When a step's responses are kept, and the size cap over all of the run's samples files."""

    def __init__(self, cfg: LoggingConfig, out_dir: Path) -> None:
        self.cfg = cfg
        self.cap = int(cfg.samples_max_mb * 2**20)
        # Files of earlier sessions of this run count (a resumed run rewrites its own later steps anyway).
        self.used = sum(f.stat().st_size for d in DIRS for f in (out_dir / d).glob("step_*.jsonl"))
        self._warned = False

    def due(self, step: int) -> bool:
        """Whether step `step` (1-based) keeps its responses (`sample_due`), the cap not reached yet."""
        return sample_due(self.cfg, step) and not self._warned

    def admit(self, rows: list[dict[str, Any]]) -> bool:
        """Count the rows against the cap; False (and one warning) once the cap is reached."""
        import json

        size = sum(len(json.dumps(r)) + 1 for r in rows)
        if self.used + size > self.cap:
            if not self._warned:
                log.warning("samples files hold %.1f MB: no more responses are logged this run "
                            "(logging.samples_max_mb=%g)", self.used / 2**20, self.cfg.samples_max_mb)
                self._warned = True
            return False
        self.used += size
        return True
