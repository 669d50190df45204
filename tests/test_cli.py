"""The `or1` command line, run as a real subprocess: help texts, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import write_config
from or1.tiny.task import make_rows


def or1(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "or1.cli", *args], input=stdin, capture_output=True, text=True,
                          timeout=300)


COMMANDS = [[], ["train"], ["export"], ["demo"], ["verify"], ["config"], ["eval"], ["eval", "compare"], ["data"],
            ["study"],
            *[["data", a] for a in ("ingest", "clean", "dedup", "decontaminate", "difficulty", "select", "judge",
                                    "pipeline")]]


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_explains_itself(cmd):
    r = or1(*cmd, "--help")
    assert r.returncode == 0
    assert "usage: or1" in r.stdout and len(r.stdout.splitlines()) > 5


def test_bad_usage_exits_2():
    assert or1("frobnicate").returncode == 2
    assert or1("verify", "chemistry", "x.jsonl").returncode == 2


def _one_line_error(r: subprocess.CompletedProcess, *needles: str) -> None:
    assert r.returncode == 1, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if "error:" in ln]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_unknown_config_key(tmp_path):
    cfg = write_config(tmp_path / "c.yaml", data={"train_files": ["t.parquet"]}, algo={"cliphigh": 0.3})
    _one_line_error(or1("train", str(cfg)), "unknown config key 'algo.cliphigh'", "did you mean 'algo.clip_high'")
    _one_line_error(or1("config", "validate", str(cfg)), "algo.cliphigh")


def test_malformed_parquet_row_names_the_row_and_writes_nothing(tmp_path):
    rows = make_rows(6, 0, "train")
    rows[4]["reward_model"] = {"style": "rule", "ground_truth": " "}
    data = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pylist(rows), data)
    cfg = write_config(tmp_path / "c.yaml", data={"train_files": [str(data)]}, out_dir=str(tmp_path / "run"))
    _one_line_error(or1("train", str(cfg)), "row 4", "ground_truth")
    assert not (tmp_path / "run").exists()


def test_missing_model_path(tmp_path):
    data = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pylist(make_rows(4, 0, "train")), data)
    cfg = write_config(tmp_path / "c.yaml", data={"train_files": [str(data)]}, model={"path": str(tmp_path / "nope")})
    _one_line_error(or1("train", str(cfg)), "model.path=", "no such directory")


def test_config_show_prints_defaults(tmp_path):
    cfg = write_config(tmp_path / "c.yaml", data={"train_files": ["t.parquet"]})
    r = or1("config", "show", str(cfg), "algo.clip_high=0.26")
    assert r.returncode == 0 and "clip_high: 0.26" in r.stdout and "coef_max: 0.005" in r.stdout


def test_overrides_may_follow_options(tmp_path):
    cfg = write_config(tmp_path / "c.yaml", data={"train_files": ["t.parquet"]})
    r = or1("train", str(cfg), "--no-progress", "algo.cliphigh=0.3")  # parsed as an override, then refused
    _one_line_error(r, "unknown config key 'algo.cliphigh'")
    assert or1("train", str(cfg), "--no-progress", "--bogus").returncode == 2


def test_verify_math_from_stdin():
    rows = [{"prediction": "025", "gold": "25"}, {"prediction": "x</think>\\boxed{7}", "gold": ["6", "7"],
            "mode": "response"}, {"prediction": "\\boxed{7}", "gold": "7", "mode": "response"}, {"gold": "1"}]
    r = or1("verify", "math", "-", "--workers", "1", stdin="\n".join(json.dumps(x) for x in rows))
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["correct"] for o in out] == [True, True, False, False]
    assert [o["status"] for o in out] == ["ok", "ok", "unfinished", "error"]
    assert r.returncode == 1  # a malformed row is reported and the run goes on


def test_verify_code_from_file(tmp_path):
    gt = {"inputs": ["3\n"], "outputs": ["9\n"]}
    rows = [{"program": "print(int(input())**2)", "ground_truth": gt},
            {"program": "print(int(input())*2)", "ground_truth": json.dumps(gt)}]
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in rows))
    r = or1("verify", "code", str(path), "--workers", "1")
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert r.returncode == 0, r.stderr
    assert [(o["passed"], o["status"]) for o in out] == [(True, "ok"), (False, "wrong_answer")]
