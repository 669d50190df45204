"""The planted-set benchmark (benchmarks/data_quality.py) as a regression test: every reason at recall
>= 0.98 and no good problem removed, on a smaller synthetic share (a few seconds)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "data_quality.py"


def test_planted_set_recall_and_no_good_problem_removed():
    spec = importlib.util.spec_from_file_location("data_quality", BENCH)
    assert spec and spec.loader
    dq = importlib.util.module_from_spec(spec)
    sys.modules["data_quality"] = dq
    spec.loader.exec_module(dq)
    rows, jaccards = dq.build(n_synthetic=40)
    text, ok = dq.table(rows, dq.run(rows))
    assert ok, text
    assert sum(j <= 0.15 for j in jaccards) >= 15  # most paraphrases share few word 5-grams with the original
