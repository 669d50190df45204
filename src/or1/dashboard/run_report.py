"""The dashboard of one training run: PNG panels and a `report.md`, read from the run's out_dir alone.

What it reads (all written by `or1 train`): `config.yaml` (the resolved config), `metrics.jsonl` (one row
per step; a torn last line of a run being written is skipped), `checkpoints/step_*`, and, when the run
logs responses, `samples/step_*.jsonl`. It works on a run in progress (it draws what is there) and on a
resumed one (a step logged again replaces the first, `panels.series`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from or1.atomic import write_text_atomic
from or1.dashboard.plot import plot_grid, plot_panels
from or1.trainer.metrics_log import read_metrics

__all__ = ["latest_samples", "write_run_report"]

# The numbers report.md lists for the first and the latest step (when logged).
HEADLINE = ("reward/mean", "filter/kept_frac", "entropy/estimate", "entropy/alpha", "rollout/len_mean",
            "rollout/truncated_frac", "clip/frac", "grad/norm", "perf/step_s")
SAMPLES_SHOWN = 4  # responses quoted in report.md
TEXT_CHARS = 600  # of each quoted prompt / response


def write_run_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the panels (`PANELS`), `training.png` (all panels) and `report.md` into `out` (default
    RUN_DIR/report); returns the path of report.md.

    Raises:
        FileNotFoundError: `run_dir` has no metrics.jsonl (not a training run's out_dir).
    """
    run = Path(run_dir)
    metrics = run / "metrics.jsonl"
    if not metrics.is_file():
        raise FileNotFoundError(f"{run}: no metrics.jsonl, so not the out_dir of an `or1 train` run (it is "
                                "written from the first step on)")
    dest = Path(out) if out is not None else run / "report"
    rows = read_metrics(metrics)
    cfg = _config(run)
    panels = plot_panels(rows, dest)
    grid = plot_grid(rows, dest / "training.png", f"or1 run {run.name}")
    text = [f"# Run `{run}`", "", *_progress(rows, cfg, run), "", *_settings(cfg), "", *_headline(rows), ""]
    if grid is not None:
        text += ["## Metrics", "", "![all panels](training.png)", "",
                 *(f"- [{p.stem}]({p.name})" for p in panels), ""]
    text += _samples_section(run)
    return write_text_atomic(dest / "report.md", "\n".join(text) + "\n")


def _config(run: Path) -> dict[str, Any]:
    path = run / "config.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text())
    return data if isinstance(data, dict) else {}


def _progress(rows: list[dict[str, Any]], cfg: dict[str, Any], run: Path) -> list[str]:
    total = sum(int(s.get("steps", 0)) for s in cfg.get("stages") or [])
    last = max((int(r["step"]) for r in rows), default=0)
    ckpts = sorted(p.name for p in (run / "checkpoints").glob("step_*") if p.is_dir())
    state = "finished" if total and last >= total else "in progress or stopped"
    return [f"- Steps logged: {last}" + (f" of {total} ({state})" if total else ""),
            f"- Checkpoints: {len(ckpts)}" + (f", newest `{ckpts[-1]}`" if ckpts else "")]


def _settings(cfg: dict[str, Any]) -> list[str]:
    if not cfg:
        return ["(no config.yaml in the run folder)"]
    model, algo, ent, flt = (cfg.get(k) or {} for k in ("model", "algo", "entropy", "filter"))
    lines = ["## Settings", "", f"- Policy: `{model.get('path') or 'the tiny CPU model'}` ({model.get('dtype', '?')})",
             f"- lr {algo.get('lr')}, clip ε {algo.get('clip_low')}/{algo.get('clip_high')}, entropy target "
             f"{ent.get('target')} ({'adaptive' if ent.get('adaptive') else 'fixed coefficient'}), online filter "
             f"{'on' if flt.get('online') else 'off'}, offline filter {'on' if flt.get('offline') else 'off'}",
             "", "| stage | steps | max response tokens | prompts × group | temperature |", "|---|---|---|---|---|"]
    for i, s in enumerate(cfg.get("stages") or []):
        lines.append(f"| {i} | {s.get('steps')} | {s.get('max_response_length')} | {s.get('batch_size')} × "
                     f"{s.get('group_size')} | {s.get('temperature')} |")
    return lines


def _headline(rows: list[dict[str, Any]]) -> list[str]:
    train = [r for r in rows if int(r["step"]) > 0 and any(k in r for k in HEADLINE)]
    if not train:
        return ["No training step logged yet."]
    first, last = train[0], train[-1]
    keys = [k for k in HEADLINE if k in first or k in last]
    lines = [f"| metric | step {first['step']} | step {last['step']} |", "|---|---|---|"]
    lines += [f"| {k} | {_fmt(first.get(k))} | {_fmt(last.get(k))} |" for k in keys]
    vals = sorted({k for r in rows for k in r if k.startswith("val/")})
    for k in vals:
        pts = [(r["step"], r[k]) for r in rows if k in r]
        lines.append(f"| {k} | {_fmt(pts[0][1])} (step {pts[0][0]}) | {_fmt(pts[-1][1])} (step {pts[-1][0]}) |")
    return lines


def _fmt(v: Any) -> str:
    return "" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)


def latest_samples(run_dir: str | Path) -> tuple[Path | None, list[dict[str, Any]]]:
    """The newest `samples/step_N.jsonl` of a run and its rows (a torn last line skipped); (None, []) if none."""
    files = sorted((Path(run_dir) / "samples").glob("step_*.jsonl"), key=lambda p: _step_of(p.stem))
    if not files:
        return None, []
    rows = []
    for line in files[-1].read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line being written
    return files[-1], rows


def _step_of(stem: str) -> int:
    tail = stem.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else -1


def _samples_section(run: Path) -> list[str]:
    path, rows = latest_samples(run)
    if path is None:
        return ["## Samples", "", "No responses logged (`logging.sample_every`)."]
    lines = ["## Latest samples", "", f"From `{path.relative_to(run)}` ({len(rows)} responses).", ""]
    for r in rows[:SAMPLES_SHOWN]:
        head = ", ".join(f"{k} {_fmt(r[k])}" for k in ("status", "reward", "length", "advantage") if k in r)
        lines += [f"**{r.get('uid', '?')}** ({head})", "", "```text", _clip(str(r.get("prompt", ""))), "---",
                  _clip(str(r.get("response", ""))), "```", ""]
    return lines


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS // 2] + " … " + text[-TEXT_CHARS // 2 :]
