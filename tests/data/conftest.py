"""Data-pipeline fixtures (the data they build lives in planted.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from planted import released_rows

from or1.data.schema import write_rows
from or1.data.synthetic import synthetic_rows


@pytest.fixture
def syn_parquet(tmp_path) -> Path:
    """60 synthetic math problems as schema rows (no planted defects)."""
    rows = [{"data_source": "syn", "prompt": [{"role": "user", "content": r["problem"]}], "ability": "math",
             "reward_model": {"style": "rule", "ground_truth": r["answer"]},
             "extra_info": {"index": i, "split": "train"}} for i, r in enumerate(synthetic_rows(60, seed=3))]
    return write_rows(rows, tmp_path / "syn.parquet")


@pytest.fixture
def released_dir(tmp_path) -> Path:
    """A `data/` folder as the release ships it: one parquet file per split."""
    out = tmp_path / "Skywork-OR1-RL-Data" / "data"
    for split, rows in released_rows().items():
        write_rows(rows, out / f"{split}-00000-of-00001.parquet")
    return out
