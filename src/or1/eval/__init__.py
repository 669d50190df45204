"""Evaluation (DESIGN.md §4): Avg@K runs over evaluation sets, pass.csv, plots, comparisons.

Names are imported on first use: `or1.eval.cli` is loaded by every `or1` command and must stay light.
The estimators (Avg@K, unbiased pass@k, bootstrap intervals) are `or1.stats`; sampling and scoring is
`or1.sampling`. `or1.eval.avg_at_k` is the module of `evaluate`.
"""

from __future__ import annotations

from or1.lazy import lazy_exports

__all__ = ["AvgAtK", "EvalSpec", "compare_dirs", "evaluate", "run_eval"]

_WHERE = {"AvgAtK": "avg_at_k", "evaluate": "avg_at_k", "EvalSpec": "run", "run_eval": "run", "compare_dirs": "compare"}

__getattr__ = lazy_exports(__name__, _WHERE)
