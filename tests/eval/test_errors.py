"""Bad input to `or1 eval`: one readable error line naming the problem, and no half-written output."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eval.eval_cli import or1_eval
from or1.tiny.task import make_rows


def _error_line(capsys) -> str:
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and "Traceback" not in err[0], err
    assert err[0].startswith("or1 eval: error: ")
    return err[0]


def _snapshot(folder) -> dict:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} if folder.exists() else {}


@pytest.fixture
def good_run(tmp_path, raw_model_dir, easy_task):
    """An output folder holding a finished evaluation, to check that failed runs leave it untouched."""
    out = tmp_path / "out"
    assert or1_eval("--model", raw_model_dir, "--data", easy_task["test"], "--k", "2", "--max-response-length", "4",
                    "--out", out) == 0
    return out


def test_parquet_without_needed_columns(tmp_path, raw_model_dir, good_run, capsys):
    rows = [{"data_source": "x", "prompt": [{"role": "user", "content": "1+1"}], "ability": "math"}]
    bad = tmp_path / "nocol.parquet"
    pq.write_table(pa.Table.from_pylist(rows), bad)
    before = _snapshot(good_run)
    capsys.readouterr()
    assert or1_eval("--model", raw_model_dir, "--data", bad, "--k", "2", "--max-response-length", "4",
                    "--out", good_run) == 1
    line = _error_line(capsys)
    assert "nocol.parquet" in line and "missing required column(s) reward_model" in line
    assert _snapshot(good_run) == before


def test_row_with_empty_ground_truth(tmp_path, raw_model_dir, capsys):
    rows = make_rows(6, 0, "test", low=1, high=9)
    rows[3]["reward_model"] = {"style": "rule", "ground_truth": ""}
    bad = tmp_path / "empty_gt.parquet"
    pq.write_table(pa.Table.from_pylist(rows), bad)
    out = tmp_path / "new"
    assert or1_eval("--model", raw_model_dir, "--data", bad, "--k", "2", "--out", out) == 1
    line = _error_line(capsys)
    assert "empty_gt.parquet: row 3: 'reward_model.ground_truth' is missing or empty" in line
    assert not out.exists()  # nothing written before the input is known to be good


def test_row_without_a_verifier(tmp_path, raw_model_dir, capsys):
    rows = make_rows(4, 0, "test", low=1, high=9)
    rows[2]["ability"] = "chemistry"
    bad = tmp_path / "chem.parquet"
    pq.write_table(pa.Table.from_pylist(rows), bad)
    assert or1_eval("--model", raw_model_dir, "--data", bad, "--k", "2", "--out", tmp_path / "o") == 1
    line = _error_line(capsys)
    assert "chem.parquet: row 2: no verifier for ability/data_source 'chemistry'" in line
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("k", ["0", "-3"])
def test_k_below_one_is_bad_usage(tmp_path, raw_model_dir, easy_task, capsys, k):
    with pytest.raises(SystemExit) as e:
        or1_eval("--model", raw_model_dir, "--data", easy_task["test"], "--k", k, "--out", tmp_path / "o")
    assert e.value.code == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if "error:" in ln]
    assert err == [f"or1 eval: error: --k={k} must be >= 1"]
    assert not (tmp_path / "o").exists()


def test_k_below_one_from_python():
    from or1.config import ConfigError, EvalConfig

    with pytest.raises(ConfigError, match=r"eval\.k=0 must be >= 1"):
        EvalConfig(k=0)


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--top-p", "0", "--top-p=0.0 must be in (0, 1]"),
    ("--math-timeout", "-1", "--math-timeout=-1.0 must be > 0"),
    ("--code-time-limit", "0", "--code-time-limit=0.0 must be > 0"),
    ("--temperature", "0", "--temperature=0 is greedy: all --k=32 samples would be equal"),
    ("--k", "two", "argument --k: invalid int value: 'two'"),
])
def test_bad_settings_name_their_flag(tmp_path, raw_model_dir, easy_task, capsys, flag, value, message):
    """Every setting is checked once, in config.py, with its dotted key; the CLI names the flag instead."""
    with pytest.raises(SystemExit) as e:
        or1_eval("--model", raw_model_dir, "--data", easy_task["test"], flag, value, "--out", tmp_path / "o")
    assert e.value.code == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if "error:" in ln]
    assert err == [f"or1 eval: error: {message}"]
    assert not (tmp_path / "o").exists()


def test_model_path_that_does_not_exist(tmp_path, easy_task, capsys):
    out = tmp_path / "o"
    assert or1_eval("--model", tmp_path / "nope", "--data", easy_task["test"], "--out", out) == 1
    assert "--model" in (line := _error_line(capsys)) and "nope: no such file or directory" in line
    assert not out.exists()


def test_model_path_that_is_not_a_model(tmp_path, easy_task, capsys):
    (tmp_path / "empty").mkdir()
    assert or1_eval("--model", tmp_path / "empty", "--data", easy_task["test"], "--out", tmp_path / "o") == 1
    assert "neither a Hugging Face model directory" in _error_line(capsys)


def test_missing_data_file(tmp_path, raw_model_dir, capsys):
    assert or1_eval("--model", raw_model_dir, "--data", tmp_path / "gone.parquet", "--out", tmp_path / "o") == 1
    assert "gone.parquet: no such data file" in _error_line(capsys)


def test_compare_of_a_folder_that_is_not_an_evaluation(tmp_path, capsys):
    from or1.cli import main

    assert main(["eval", "compare", str(tmp_path), str(tmp_path)]) == 1
    assert "is not an `or1 eval` output folder" in _error_line(capsys)
