"""Which metrics go on which panel of a run's dashboard, and the per-step series behind each line.

A panel lists metric keys; a key ending in `/` stands for every logged key under that prefix (so
`val/` draws one line per data source and temperature, and metrics added later appear without an
edit here). Keys on `right` share the panel on a second y axis (a fraction next to a count).

    >>> rows = [{"step": 1, "val/aime/avg@4_t0.6": 0.1}, {"step": 2, "loss/policy": 0.3},
    ...         {"step": 2, "val/aime/avg@4_t0.6": 0.2}]
    >>> series(rows, "val/aime/avg@4_t0.6")
    ([1, 2], [0.1, 0.2])
    >>> sorted(panel_series(rows, Panel("v.png", "validation", "Avg@n", ("val/",)))[0])
    ['val/aime/avg@4_t0.6']
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["PANELS", "Panel", "expand_keys", "panel_series", "series"]

Series = tuple[list[int], list[float]]


@dataclass(frozen=True)
class Panel:
    """One PNG: `left` keys on the left axis, `right` keys (another unit) on a second axis."""

    file: str
    title: str
    ylabel: str
    left: tuple[str, ...]
    right: tuple[str, ...] = ()
    right_label: str = ""


PANELS: tuple[Panel, ...] = (
    Panel("reward.png", "reward: mean, and rollouts by verifier status", "reward / fraction of rollouts",
          ("reward/mean", "reward/status/")),
    Panel("entropy.png", "entropy of the policy and the adaptive coefficient α", "entropy (nats/token)",
          ("entropy/estimate", "entropy/policy"), ("entropy/alpha", "entropy/coef"), "α"),
    Panel("filter.png", "online filter: kept groups, batches sampled, groups trained",
          "kept-group fraction", ("filter/kept_frac", "filter/empty_step"), ("filter/tries", "filter/groups",
                                                                 "filter/empty_steps"), "count"),
    Panel("length.png", "response length and truncation", "tokens", ("rollout/len_mean", "rollout/len_max"),
          ("rollout/truncated_frac",), "truncated fraction"),
    Panel("clip.png", "PPO clipping and the importance ratio", "clipped fraction of tokens", ("clip/",),
          ("ratio/mean",), "mean ratio π_θ/π_old"),
    Panel("importance.png", "truncated importance weights min(π_old/π_β, C) (algo.tis_cap)", "weight / fraction",
          ("tis/weight_mean", "tis/clipped_frac"), ("tis/kl_behaviour",), "KL(π_β ‖ π_old)"),
    Panel("loss.png", "loss and gradient norm", "loss", ("loss/",), ("grad/norm",), "gradient norm"),
    Panel("validation.png", "validation Avg@n per data source and temperature", "Avg@n", ("val/",)),
    Panel("time.png", "step time by phase", "seconds", ("perf/rollout_s", "perf/update_s", "perf/step_s")),
    Panel("async.png", "asynchronous rollouts: the trainer's and the worker's waits, staleness (rollout.mode=async)",
          "seconds", ("async/trainer_wait_s", "async/rollout_wait_s", "async/rollout_s"),
          ("async/staleness", "async/worker_restarts"), "steps behind / restarts"),
    Panel("verifier.png", "verifier timeouts, errors and worker restarts", "count per step",
          ("reward/timeouts", "reward/errors", "reward/worker_restarts")),
)


def expand_keys(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[str]:
    """The logged keys a panel names, in the panel's order (prefixes expanded, sorted)."""
    logged = sorted({k for r in rows for k in r if k != "step"})
    out: list[str] = []
    for key in keys:
        found = [k for k in logged if k.startswith(key)] if key.endswith("/") else [key] * (key in logged)
        out += [k for k in found if k not in out]
    return out


def series(rows: list[dict[str, Any]], key: str) -> Series:
    """(steps, values) of one metric: each step once, its last logged value wins (a step logged again after a
    resume replaces the first); non-numeric and non-finite values are left out."""
    by_step: dict[int, float] = {}
    for r in rows:
        v = r.get(key)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            continue
        by_step[int(r["step"])] = float(v)
    steps = sorted(by_step)
    return steps, [by_step[s] for s in steps]


def panel_series(rows: list[dict[str, Any]], panel: Panel) -> tuple[dict[str, Series], dict[str, Series]]:
    """The panel's lines with data: ({key: series} on the left axis, {key: series} on the right)."""
    def lines(keys: tuple[str, ...]) -> dict[str, Series]:
        return {k: s for k in expand_keys(rows, keys) if (s := series(rows, k))[0]}

    return lines(panel.left), lines(panel.right)
