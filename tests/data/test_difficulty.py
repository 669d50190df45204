"""Difficulty: the tiny fine-tuned model sampled N times per problem; values stored; resume is exact."""

from __future__ import annotations

import copy
import json

import pyarrow.parquet as pq
import pytest
from planted import write_random_model

from or1.config import DifficultyOptions
from or1.data.difficulty import difficulty_rows, progress_path
from or1.data.pipeline import run_data_step
from or1.problems.schema import write_rows

N = 4


@pytest.fixture(scope="module")
def random_model_dir(tmp_path_factory):
    return write_random_model(tmp_path_factory.mktemp("random") / "model")


@pytest.fixture
def rated_input(tmp_path, easy_task):
    """Six easy problems, two with an unreachable gold (never solved), one already rated."""
    rows = pq.read_table(easy_task["test"]).to_pylist()[:8]
    for r in rows[6:]:
        r["reward_model"]["ground_truth"] = "987654321"
    rows[5]["extra_info"]["model_difficulty"] = {"warm": 2}
    return write_rows(rows, tmp_path / "in.parquet")


def _opts(model_dir, **kw) -> DifficultyOptions:
    return DifficultyOptions(**{"model": str(model_dir), "model_name": "warm", "samples": N, "max_tokens": 32,
                                "chunk": 3, "workers": 1, **kw})


def _check_values(rows: list[dict]) -> None:
    for r in rows[:5] + rows[6:]:
        stats = r["extra_info"]["difficulty_stats"]["warm"]
        assert stats["n"] == N and len(stats["statuses"]) == len(stats["lengths"]) == N
        assert r["extra_info"]["model_difficulty"]["warm"] == stats["failures"] == sum(
            s != "ok" for s in stats["statuses"])
    assert [r["extra_info"]["model_difficulty"]["warm"] for r in rows[6:]] == [N, N]  # never solved
    assert rows[5]["extra_info"]["model_difficulty"]["warm"] == 2  # reused, not re-sampled


def test_values_stats_and_exact_resume(tmp_path, rated_input, random_model_dir):
    out = tmp_path / "rated.parquet"
    report = run_data_step("difficulty", rated_input, out, _opts(random_model_dir))
    rows = pq.read_table(out).to_pylist()
    assert report["removed"] == 0 and report["count_out"] == 8
    assert report["stats"]["sampled"] == 7 and report["stats"]["reused"] == 1 and report["stats"]["chunks"] == 3
    _check_values(rows)

    # Interrupted after the first chunk, with a torn write at the end: the rerun redoes only chunks 1-2.
    prog = progress_path(out)
    lines = prog.read_text().splitlines()
    prog.write_text("\n".join(lines[:2]) + '\n{"chunk": 1, "ke')
    out2 = tmp_path / "rated2.parquet"
    resumed = run_data_step("difficulty", rated_input, out2, _opts(random_model_dir, progress=str(prog)))
    assert resumed["stats"]["resumed_chunks"] == 1
    assert pq.read_table(out2).to_pylist() == rows  # same values as the uninterrupted run
    again = run_data_step("difficulty", rated_input, out2, _opts(random_model_dir, progress=str(prog)))
    assert again["stats"]["resumed_chunks"] == 3  # all done: nothing sampled


@pytest.mark.slow  # the fine-tuned fixture costs about a minute of SFT when no other test built it
def test_fine_tuned_model_gets_intermediate_values(tmp_path, rated_input, warm_model_dir):
    run_data_step("difficulty", rated_input, tmp_path / "r.parquet", _opts(warm_model_dir, samples=8))
    rows = pq.read_table(tmp_path / "r.parquet").to_pylist()
    values = [r["extra_info"]["model_difficulty"]["warm"] for r in rows[:5]]
    assert sum(values) < 5 * 8 and any(0 < v < 8 for v in values)  # solves some, sometimes


def test_progress_from_other_settings_is_refused(tmp_path, rated_input, random_model_dir):
    prog = tmp_path / "p.jsonl"
    prog.write_text(json.dumps({"fingerprint": {"samples": 99}}) + "\n")
    rows = pq.read_table(rated_input).to_pylist()
    with pytest.raises(ValueError, match="other difficulty settings"):
        difficulty_rows(copy.deepcopy(rows), _opts(random_model_dir, progress=str(prog)))


def test_options_are_checked():
    with pytest.raises(ValueError, match=r"difficulty\.model"):
        DifficultyOptions()
    with pytest.raises(ValueError, match="samples"):
        DifficultyOptions(model="m", samples=0)
    assert DifficultyOptions(model="/x/DeepSeek-R1-Distill-Qwen-7B").key == "DeepSeek-R1-Distill-Qwen-7B"
