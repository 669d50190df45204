"""From scored samples to numbers: records, summaries and `or1 eval compare`, on hand-computed values.

Verdicts come from the real math verifier on written responses, so records carry real statuses and
extracted answers; compare runs on output folders written record by record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from or1.cli import main
from or1.eval.compare import compare_dirs
from or1.eval.records import SampleRecord, append_records, load_complete, read_records, to_record
from or1.eval.results import summarize_dataset
from or1.problems.schema import Problem
from or1.rewards.registry import ScoreRequest, default_registry
from or1.sampling import Sample


def _problem(i: int, gold: str) -> Problem:
    return Problem(f"toy/{i}", "toy", ({"role": "user", "content": f"q{i}"},), "math", gold)


def test_records_and_summary_from_real_verdicts(tmp_path):
    # Problem 0 (gold 7): samples right, wrong, unfinished, right -> 2/4. Problem 1 (gold 025): 0/4 but sample 0
    # of problem 0 is right, so pass@1 (sample 0) = 1/2 and Avg@4 = (2/4 + 0/4) / 2 = 0.25.
    problems = [_problem(0, "7"), _problem(1, "025")]
    texts = [["</think> \\boxed{7}", "</think> \\boxed{8}", "thinking...", "so </think>\\boxed{7.0}"],
             ["</think> \\boxed{24}", "</think> no box", "</think> \\boxed{26}", "..."]]
    with default_registry(workers=1) as registry:
        results = registry.score([ScoreRequest(t, "math", "toy", p.ground_truth)
                                  for p, ts in zip(problems, texts, strict=True) for t in ts])
    samples = [Sample(p, j, t, results[4 * i + j], len(t), j == 3)
               for i, (p, ts) in enumerate(zip(problems, texts, strict=True)) for j, t in enumerate(ts)]
    path = tmp_path / "toy.jsonl"
    append_records(path, [to_record(s, s.index // 4) for s in samples])
    records = read_records(path)
    assert [r.correct for r in records] == [True, False, False, True, False, False, False, False]
    assert [r.status for r in records[:3]] == ["ok", "wrong", "unfinished"]
    assert records[0].extracted == "7" and records[2].extracted is None
    r = summarize_dataset("toy", "toy.parquet", load_complete(path, 4), 4, 0.6)
    assert (r.problems, r.first_pass, r.avg) == (2, 0.5, 0.25)
    # pass@2 = (1 - C(2,2)/C(4,2) + 0) / 2 = (1 - 1/6) / 2; pass@4 = 1/2
    assert r.pass_at_k == pytest.approx({1: 0.25, 2: 5 / 12, 4: 0.5})
    assert r.truncated_frac == 0.25 and r.per_problem == {"toy/0": 2, "toy/1": 0}


def _write_run(folder: Path, k: int, correct: dict[str, list[bool]]) -> Path:
    (folder / "samples").mkdir(parents=True)
    (folder / "eval.json").write_text(json.dumps({"k": k, "datasets": {"toy": "toy.parquet"}}))
    append_records(folder / "samples" / "toy.jsonl",
                   [SampleRecord(pid, row, j, "r", None, c, "ok" if c else "wrong", 5, False)
                    for row, (pid, cs) in enumerate(correct.items()) for j, c in enumerate(cs)])
    return folder


def test_compare_is_paired_per_problem(tmp_path):
    # Per-problem accuracy A: 0, 1/2, 1, 1/2 (K=2); B: 1/4, 1/2, 1, 1 (K=4) -> B - A = (1/4 + 0 + 0 + 1/2) / 4.
    a = _write_run(tmp_path / "a", 2, {"p0": [False, False], "p1": [True, False], "p2": [True, True],
                                       "p3": [False, True], "only_a": [True, True]})
    b = _write_run(tmp_path / "b", 4, {"p0": [True, False, False, False], "p1": [True, True, False, False],
                                       "p2": [True] * 4, "p3": [True] * 4})
    [c] = compare_dirs(a, b)
    assert (c.dataset, c.k_a, c.k_b, len(c.rows), c.only_one) == ("toy", 2, 4, 4, 1)
    assert c.diff == pytest.approx(0.1875) and c.ci_low <= c.diff <= c.ci_high
    assert c.avg_a == pytest.approx(0.5) and c.avg_b == pytest.approx(0.6875)
    assert c.rows[0] == ("p0", 0, 1)


def test_compare_cli_prints_the_tables(tmp_path, capsys):
    a = _write_run(tmp_path / "a", 2, {"p0": [False, True], "p1": [True, True]})
    assert main(["eval", "compare", str(a), str(a)]) == 0
    out = capsys.readouterr().out
    assert "| toy | 2 | 75.0 (K=2) | 75.0 (K=2) | +0.0 [+0.0, +0.0] |" in out
    assert "| p0 | 1 | 1 | +0.0 |" in out and "| p1 | 2 | 2 | +0.0 |" in out
