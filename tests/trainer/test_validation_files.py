"""Validation files and the sampling bars: `validation.max_problems` applies to each file, and validation
and the offline filter each draw a bar under the train display."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from conftest import write_config
from or1.config_load import load_config
from or1.problems.schema import read_table, write_rows
from or1.tiny.task import write_task_files
from or1.trainer.loop import validate
from or1.trainer.progress import progress as _progress
from or1.trainer.run import _load_datasets, setup


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A small train split and two validation files of different sources (aime24 / aime25 stand-ins)."""
    root = tmp_path_factory.mktemp("val")
    task = write_task_files(root, 12, 10, seed=0, low=1, high=9)
    rows = read_table(task["test"]).to_pylist()
    for name in ("aime24", "aime25"):
        write_rows([{**r, "data_source": name} for r in rows], root / f"{name}.parquet")
    return {"train": task["train"], "val": [root / "aime24.parquet", root / "aime25.parquet"]}


def _cfg(tmp_path, files, **sections):
    return load_config(write_config(
        tmp_path / "c.yaml", out_dir=str(tmp_path / "run"),
        data={"train_files": [str(files["train"])], "val_files": [str(f) for f in files["val"]]},
        stages=[{"steps": 1, "max_response_length": 4, "batch_size": 2, "mini_batch_size": 2, "group_size": 2},
                {"steps": 1, "max_response_length": 4, "batch_size": 2, "mini_batch_size": 2, "group_size": 2}],
        filter={"offline": True, "offline_samples": 2}, threads=1, **sections))


def test_max_problems_applies_to_each_validation_file(tmp_path, files):
    from or1.tiny.tokenizer import build_tokenizer

    cfg = _cfg(tmp_path, files, validation={"every": 1, "n": 1, "max_problems": 3})
    val = _load_datasets(cfg, build_tokenizer())[2]
    # 3 of each file; a cut of the concatenation would hold 3 aime24 rows and no aime25 row
    assert [p.data_source for p in val] == ["aime24"] * 3 + ["aime25"] * 3


def _bar():
    out = io.StringIO()
    bar = _progress(True)
    bar.live.console = Console(file=out, force_terminal=True, width=150)
    return bar, out


def test_validation_and_offline_filter_draw_bars(tmp_path, files):
    run = setup(_cfg(tmp_path, files, validation={"every": 1, "n": 1, "temperatures": [0.6, 1.0], "max_problems": 4}))
    try:
        bar, out = _bar()
        with bar:
            metrics = validate(run, 0, bar)
            run.rollouts.maybe_offline_filter(run.state, run.schedule.at(1), bar)
        text = out.getvalue()
        assert "validate τ=0.6" in text and "validate τ=1" in text and "8/8" in text  # 4 problems × 2 files
        assert "offline filter (stage 1)" in text and "12/12" in text
        assert not bar.tasks  # each bar is removed when its pass ends
        assert set(metrics) == {f"val/{s}/avg@1_t{t}" for s in ("aime24", "aime25") for t in ("0.6", "1")}
        assert run.state.filtered_stage == 1
    finally:
        run.scorer.close()
        run.watchdog.close()
