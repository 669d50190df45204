"""`or1 study NAME --quick` for every study: report files exist and hold the runs' own numbers; resume skips.

The expected numbers are recomputed here from each run's metrics.jsonl and final_eval.json, not copied
from the report code's output.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from or1.study.studies import STUDIES
from or1.trainer.metrics_log import read_metrics

SEEDS = {"filtering": 2}  # one study with seed bands; the others with one seed, to keep the test short


def _study(name: str, out: Path, cache: Path, seeds: int) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "or1.cli", "study", name, "--quick", "--seeds", str(seeds), "--jobs", "2",
           "--out", str(out), "--cache", str(cache), "--no-progress"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


def _expected(run_dir: Path) -> dict[str, float]:
    final = json.loads((run_dir / "final_eval.json").read_text())
    rows = read_metrics(run_dir / "metrics.jsonl")
    steps = max(r["step"] for r in rows)
    late = [r["entropy/estimate"] for r in rows if "entropy/estimate" in r and r["step"] > 0.75 * steps]
    t = final["by_temperature"]
    return {"avg06": sum(t["0.6"]["correct"]) / (final["k"] * final["problems"]),
            "avg10": sum(t["1"]["correct"]) / (final["k"] * final["problems"]),
            "length": t["0.6"]["mean_length"], "entropy": float(np.mean(late)) if late else float("nan"),
            "alpha": rows[-1]["entropy/alpha"], "steps": steps}


def _table_row(report: str, label: str) -> list[str]:
    rows = [line for line in report.splitlines() if line.startswith(f"| {label} |")]
    assert len(rows) == 1, label
    return [c.strip() for c in rows[0].strip("|").split("|")]


# Every study with --quick (about 1.5 min for all five on 2 idle cores, the shared warm start included).
@pytest.mark.parametrize("name", STUDIES)
def test_quick_study_report_holds_the_runs_numbers(name, tmp_path_factory):
    cache = tmp_path_factory.getbasetemp() / "study_warm"  # one quick warm start for all studies
    out = tmp_path_factory.mktemp(name) / "study"
    seeds = SEEDS.get(name, 1)
    r = _study(name, out, cache, seeds)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"report: {out / 'report.md'}" in r.stdout
    report = (out / "report.md").read_text()
    for f in ("report.md", "results.json", "plots/accuracy.png", "plots/entropy.png", "plots/alpha.png",
              "plots/length.png"):
        assert (out / f).is_file(), f
    study = STUDIES[name]
    for arm in study.arms:
        runs = [out / "runs" / arm.name / f"seed{s}" for s in range(seeds)]
        exp = [_expected(d) for d in runs]
        assert all(e["steps"] == 4 for e in exp)  # --quick: 4 steps
        assert all(any((d / "tensorboard").glob("events.out.tfevents.*")) for d in runs)
        cells = _table_row(report, arm.label)
        assert cells[1] == str(seeds)
        assert cells[2].startswith(f"{100 * np.mean([e['avg06'] for e in exp]):.1f} [")
        assert cells[3].startswith(f"{100 * np.mean([e['avg10'] for e in exp]):.1f} [")
        assert cells[4] == ", ".join(f"{100 * e['avg06']:.1f}" for e in exp)
        ent = np.mean([e["entropy"] for e in exp])
        assert cells[5] == ("n/a" if np.isnan(ent) else f"{ent:.3f}")
        assert cells[6] == f"{np.mean([e['alpha'] for e in exp]):.4f}"
        assert cells[7] == f"{np.mean([e['length'] for e in exp]):.1f}"
    warm = json.loads((cache / "quick_seed0" / f"warm_eval_k2_len{study.eval_max_tokens}.json").read_text())
    cells = _table_row(report, "warm start (before RL)")
    assert cells[2].startswith(f"{100 * sum(warm['by_temperature']['0.6']['correct']) / (2 * warm['problems']):.1f} [")
    results = json.loads((out / "results.json").read_text())
    assert len(results["findings"]) == len(study.findings)
    for f in results["findings"]:
        assert f"Paper: {f['claim']}." in report and f"Verdict: {f['verdict']}." in report
    if name == "filtering":
        _check_resume(out, cache, seeds)


def _check_resume(out: Path, cache: Path, seeds: int) -> None:
    """A rerun skips finished runs; a run without final_eval.json continues from its checkpoint; a run
    stopped before its first checkpoint (logs, no checkpoint) starts over."""
    done = out / "runs" / "filter_on" / "seed0"
    kept_mtime = (done / "final_eval.json").stat().st_mtime_ns
    unfinished = out / "runs" / "filter_off" / "seed1"
    (unfinished / "final_eval.json").unlink()
    rows_before = read_metrics(unfinished / "metrics.jsonl")
    early = out / "runs" / "filter_on" / "seed1"
    (early / "final_eval.json").unlink()
    shutil.rmtree(early / "checkpoints")
    r = _study("filtering", out, cache, seeds)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "4 runs, 2 finished, 2 to run" in r.stderr
    assert (early / "final_eval.json").is_file()
    assert (done / "final_eval.json").stat().st_mtime_ns == kept_mtime
    assert (unfinished / "final_eval.json").is_file()
    assert "resuming from" in (unfinished / "log.txt").read_text()
    assert read_metrics(unfinished / "metrics.jsonl") == rows_before  # no step was trained again
