"""`or1 eval` end to end with a real tiny model, real parquet files and the real verifiers, on CPU.

Outputs are read back and checked against each other: pass.csv and metrics.json must be what the samples
file says. Resume: a run cut short (a problem limit, then a half-written line) and continued must end with
the same samples as an uninterrupted run.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eval.eval_cli import or1_eval
from or1.eval.records import SampleRecord, group_by_problem, read_records
from or1.stats import pass_at_k

FIELDS = {"problem_id", "row", "sample", "response", "extracted", "correct", "status", "length", "truncated"}


def _pass_csv(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "pass.csv", newline="") as f:
        return {row["dataset"]: row for row in csv.DictReader(f)}


def _check_row_against_samples(row: dict[str, str], records: list[SampleRecord], k: int) -> None:
    groups = group_by_problem(records)
    counts = [sum(r.correct for r in g) for g in groups.values()]
    assert float(row["pass@1"]) == pytest.approx(sum(g[0].correct for g in groups.values()) / len(groups))
    assert float(row[f"avg@{k}"]) == pytest.approx(sum(counts) / (k * len(groups)))
    assert float(row[f"pass@{k}"]) == pytest.approx(sum(c > 0 for c in counts) / len(groups))
    for j in (1, 2, k):
        assert float(row[f"unbiased_pass@{j}"]) == pytest.approx(sum(pass_at_k(k, c, j) for c in counts) / len(counts))
    lo, hi = float(row[f"avg@{k}_ci95_low"]), float(row[f"avg@{k}_ci95_high"])
    assert lo <= float(row[f"avg@{k}"]) <= hi
    assert int(row["problems"]) == len(groups)


def test_aime24_and_code_tiny_write_every_output(tmp_path, raw_model_dir):
    out = tmp_path / "out"
    assert or1_eval("--model", raw_model_dir, "--data", "aime24", "--data", "code_tiny", "--k", "4",
                    "--max-response-length", "8", "--out", out) == 0
    for name in ("pass.csv", "summary.md", "metrics.json", "eval.json", "pass_at_k.png", "accuracy_vs_length.png"):
        assert (out / name).stat().st_size > 0, name
    for png in ("pass_at_k.png", "accuracy_vs_length.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = _pass_csv(out)
    assert set(rows) == {"aime24.parquet", "code_tiny.parquet"}
    assert list(next(iter(rows.values())))[:6] == ["model_path", "dataset", "ex_name", "pass@1", "avg@4", "pass@4"]
    for name, n_problems in (("aime24", 30), ("code_tiny", 21)):
        lines = (out / "samples" / f"{name}.jsonl").read_text().splitlines()
        assert len(lines) == n_problems * 4
        assert all(set(json.loads(line)) == FIELDS for line in lines)
        records = read_records(out / "samples" / f"{name}.jsonl")
        assert all(r.length <= 8 for r in records) and {r.sample for r in records} == {0, 1, 2, 3}
        _check_row_against_samples(rows[f"{name}.parquet"], records, 4)
    metrics = {m["name"]: m for m in json.loads((out / "metrics.json").read_text())}
    assert metrics["aime24"]["problems"] == 30 and set(metrics["code_tiny"]["pass_at_k"]) == {"1", "2", "4"}
    summary = (out / "summary.md").read_text()
    assert "| aime24 | 30 |" in summary and "| code_tiny | 21 |" in summary and "pass_at_k.png" in summary


def _sorted_lines(path: Path) -> list[str]:
    return sorted(path.read_text().splitlines())


def test_interrupted_run_resumes_to_the_same_samples(tmp_path, raw_model_dir, easy_task):
    common = ("--model", raw_model_dir, "--data", easy_task["test"], "--k", "4", "--max-response-length", "16",
              "--chunk-problems", "5", "--temperature", "1.0")
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert or1_eval(*common, "--out", full) == 0
    samples = full / "samples" / "test.jsonl"
    assert len({r.response for r in read_records(samples)}) > 32  # sampled, not constant

    # Interrupted: only the first 7 problems (a chunk and a half), then a crash mid-write of the next chunk.
    assert or1_eval(*common, "--out", cut, "--max-problems", "7") == 0
    cut_samples = cut / "samples" / "test.jsonl"
    assert len(cut_samples.read_text().splitlines()) == 7 * 4
    # Before continuing, the summaries describe exactly the 7 problems on disk.
    assert int(_pass_csv(cut)["test.parquet"]["problems"]) == 7
    text = cut_samples.read_text()
    cut_samples.write_text(text + text.splitlines()[0][:40])  # a record cut off mid-line

    assert or1_eval(*common, "--out", cut) == 0
    assert _sorted_lines(cut_samples) == _sorted_lines(samples)
    assert _pass_csv(cut)["test.parquet"] == {**_pass_csv(full)["test.parquet"], "ex_name": "cut"}


def test_sigkill_then_resume_gives_the_samples_of_an_uninterrupted_run(tmp_path, raw_model_dir):
    common = ["--model", str(raw_model_dir), "--data", "aime24", "--k", "2", "--max-response-length", "6",
              "--chunk-problems", "2", "--max-problems", "12", "--workers", "1", "--no-progress"]
    killed, full = tmp_path / "killed", tmp_path / "full"
    proc = subprocess.Popen([sys.executable, "-m", "or1.cli", "eval", *common, "--out", str(killed)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = killed / "samples" / "aime24.jsonl"
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline and not (samples.is_file() and samples.stat().st_size):
        time.sleep(0.02)
    proc.kill()  # SIGKILL, right after the first chunk reached the disk
    proc.wait()
    written = len(samples.read_text().splitlines())
    assert proc.returncode == -9 and 0 < written < 12 * 2
    assert not (killed / "pass.csv").exists()

    assert or1_eval(*common[:-3], "--out", killed) == 0
    assert or1_eval(*common[:-3], "--out", full) == 0
    assert _sorted_lines(samples) == _sorted_lines(full / "samples" / "aime24.jsonl")


def test_other_settings_in_the_same_folder_are_refused(tmp_path, raw_model_dir, easy_task, capsys):
    out = tmp_path / "out"
    args = ("--model", raw_model_dir, "--data", easy_task["test"], "--max-response-length", "8", "--out", out)
    assert or1_eval(*args, "--k", "2") == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert or1_eval(*args, "--k", "3") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "k=2, not 3" in err[0] and "another --out" in err[0]
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
