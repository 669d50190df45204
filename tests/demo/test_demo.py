"""`or1 demo --quick` runs every part of the demo and writes a report that holds the run's numbers."""

from __future__ import annotations

import json
import subprocess
import sys

from or1.trainer.metrics_log import read_metrics


def test_quick_demo_writes_a_consistent_report(tmp_path):
    out = tmp_path / "demo"
    r = subprocess.run([sys.executable, "-m", "or1.cli", "demo", "--quick", "--out", str(out), "--no-progress"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"report: {out / 'report.md'}" in r.stdout
    for name in ("report.md", "training.png", "accuracy.png", "summary.json", "sft_model/config.json"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    report = (out / "report.md").read_text()
    for before, after in zip(summary["before"], summary["after"], strict=True):
        assert f"{100 * before['avg']:.1f} [" in report and f"{100 * after['avg']:.1f} [" in report
        assert before["k"] == 2 and before["problems"] == 8
    rows = read_metrics(out / "rl" / "metrics.jsonl")
    assert [r["step"] for r in rows] == [0, 1, 2, 3, 4]
    assert {r["stage/index"] for r in rows[1:]} == {0, 1}
    assert (out / "rl" / "checkpoints" / "step_000004" / "model" / "model.safetensors").is_file()
    again = subprocess.run([sys.executable, "-m", "or1.cli", "demo", "--quick", "--out", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "holds an earlier demo run" in again.stderr
