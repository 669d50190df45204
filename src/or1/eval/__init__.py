"""Evaluation (DESIGN.md §4): Avg@K, unbiased pass@k, bootstrap intervals, pass.csv, plots, comparisons.

Names are imported on first use: `or1.eval.cli` is loaded by every `or1` command and must stay light.
The Avg@K function itself is `or1.eval.metrics.avg_at_k` (`or1.eval.avg_at_k` is the module of `evaluate`).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "AvgAtK", "EvalSpec", "bootstrap_ci", "compare_dirs", "evaluate", "k_values",
    "paired_bootstrap_ci", "pass_at_k", "pass_at_k_curve", "run_eval", "sample_and_score",
]

_WHERE = {
    "AvgAtK": "avg_at_k", "evaluate": "avg_at_k", "EvalSpec": "run", "run_eval": "run", "compare_dirs": "compare",
    "sample_and_score": "sample", "bootstrap_ci": "metrics", "k_values": "metrics",
    "paired_bootstrap_ci": "metrics", "pass_at_k": "metrics", "pass_at_k_curve": "metrics",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'or1.eval' has no attribute {name!r}")
    return getattr(importlib.import_module(f"or1.eval.{_WHERE[name]}"), name)
