"""The markdown report of a study: settings, the table of final held-out Avg@K per arm, each finding's verdict."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from or1.atomic import write_text_atomic
from or1.config_load import apply_overrides
from or1.stats import bootstrap_ci
from or1.study.plots import PLOTS, plot_study
from or1.study.results import ArmResult, FindingResult, arm_results, finding_result, study_dir_runs, val_key
from or1.study.runner import warm_eval_path
from or1.study.studies import METRICS, QUICK_OVERRIDES, Study, base_config

__all__ = ["WARM_LABEL", "write_report"]

WARM_LABEL = "warm start (before RL)"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _fmt(metric: str, x: float) -> str:
    if np.isnan(x):
        return "n/a"
    return f"{x:.3f}" if metric == "entropy_late" else _pct(x)


def _warm_row(warm: dict, temps: list[str]) -> str:
    """The warm start's row: problems resampled only (one model, no seeds)."""
    cells = []
    for t in temps:
        per_problem = [c / warm["k"] for c in warm["by_temperature"][t]["correct"]]
        lo, hi = bootstrap_ci(per_problem)
        cells.append(f"{_pct(float(np.mean(per_problem)))} [{_pct(lo)}, {_pct(hi)}]")
    length = warm["by_temperature"][temps[0]]["mean_length"]
    return f"| {WARM_LABEL} | – | " + " | ".join(cells) + f" | – | – | – | {length:.1f} |"


def _arm_table(arms: list[ArmResult], warm: dict | None) -> list[str]:
    temps = list(arms[0].avg)
    k, n = arms[0].runs[0].final["k"], arms[0].runs[0].final["problems"]
    head = ["arm", "seeds", *(f"Avg@{k} τ{t} (%) [95% CI]" for t in temps), f"per seed, τ{temps[0]} (%)",
            "late entropy", "final α", "response length"]
    lines = [f"Held-out test set: {n} problems × K = {k} samples per temperature. CIs resample seeds and problems.",
             "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    if warm is not None:
        lines.append(_warm_row(warm, temps))
    for a in arms:
        cells = [f"{_pct(m)} [{_pct(lo)}, {_pct(hi)}]" for m, lo, hi in (a.avg[t] for t in temps)]
        seeds = ", ".join(_pct(v) for v in a.values("test_avg"))
        ent = float(np.mean(a.values("entropy_late")))
        alpha = float(np.mean([r.series("entropy/alpha")[1][-1] for r in a.runs]))
        length = float(np.mean([r.final["by_temperature"][temps[0]]["mean_length"] for r in a.runs]))
        lines.append(f"| {a.label} | {len(a.runs)} | " + " | ".join(cells) +
                     f" | {seeds} | {_fmt('entropy_late', ent)} | {alpha:.4f} | {length:.1f} |")
    return lines


def _start_line(runs: list) -> str:
    """The warm start's accuracy: every run validates at step 0, before any update."""
    key = val_key(runs[0].rows)
    start = [r.rows[0][key] for r in runs if r.rows and r.rows[0]["step"] == 0 and key in r.rows[0]]
    if not start:
        return ""
    return (f"Starting point (the warm start's validation Avg@n at τ 0.6, step 0, before any update): "
            f"{_pct(float(np.mean(start)))}% on the dev problems.")


def _finding_lines(results: list[FindingResult], arms: list[ArmResult]) -> list[str]:
    label = {a.name: a.label for a in arms}
    lines = []
    for i, r in enumerate(results, 1):
        f, m = r.finding, r.finding.metric
        unit = "" if m == "entropy_late" else " points"
        lines += [f"{i}. **Paper: {f.claim}.** Metric: {METRICS[m]}.",
                  f"   Measured: {label[f.better]} {_fmt(m, r.better)} vs {label[f.worse]} {_fmt(m, r.worse)}; "
                  f"difference {_fmt(m, r.diff)}{unit} [95% CI {_fmt(m, r.ci[0])}, {_fmt(m, r.ci[1])}].",
                  f"   **Verdict: {r.verdict}.**", ""]
    return lines


def _settings(study: Study, seeds: int, quick: bool) -> list[str]:
    shared = apply_overrides(base_config(), [*study.overrides, *(QUICK_OVERRIDES if quick else ())])
    s, e, a, v = shared["stages"][0], shared["entropy"], shared["algo"], shared["validation"]
    lines = [f"- Base recipe (arms override some of it): the same SFT warm start and data; {s['steps']} steps of "
             f"{s['batch_size']} prompts × {s['group_size']} samples (mini-batch {s['mini_batch_size']} prompts), "
             f"context {s['max_response_length']} tokens, τ {s['temperature']}, lr {a['lr']:g}, ε_low {a['clip_low']}, "
             f"ε_high {a['clip_high']}, online filter {shared['filter']['online']} (≤ "
             f"{shared['filter']['max_refills']} refills), adaptive entropy {e['adaptive']} (target {e['target']}, "
             f"Δ {e['delta']:g}, α_max {e['coef_max']:g}), truncation mask {a.get('mask_truncated', False)}; "
             f"{seeds} seeds (the RL run's seed: prompt order and sampling); validation every {v['every']} steps "
             f"(Avg@{v['n']} at τ 0.6 on {v['max_problems']} dev problems).",
             f"- This study's settings on top of the base recipe: "
             f"{', '.join(f'`{o}`' for o in study.overrides) or 'none'}."]
    if study.settings_note:
        lines.append(f"- Notes on the miniature: {study.settings_note}")
    lines.append("- Arms: " + "; ".join(f"**{a.label}** ({', '.join(f'`{o}`' for o in a.overrides)})"
                                       for a in study.arms) + ".")
    if quick:
        lines.append("- **--quick**: a few tiny steps to check the machinery; the numbers mean nothing.")
    return lines


def write_report(study: Study, out: Path, seeds: int, quick: bool, wall_seconds: float | None = None) -> Path:
    """Collect the finished runs of `study` in `out`, write report.md, results.json and the plots.

    `wall_seconds` (the invocation that ran the runs) is kept in OUT/timing.json for later --report-only calls.
    """
    timing = out / "timing.json"
    if wall_seconds is not None:
        write_text_atomic(timing, json.dumps({"wall_seconds": wall_seconds}))
    elif timing.is_file():
        wall_seconds = json.loads(timing.read_text())["wall_seconds"]
    runs = study_dir_runs(out, study, seeds)
    if not runs:
        raise RuntimeError(f"{out} holds no finished run of study {study.name}")
    arms = arm_results(study, runs)
    first = json.loads((out / "runs" / runs[0].arm / f"seed{runs[0].seed}" / "run.json").read_text())
    warm_path = warm_eval_path(first["config"]["model"]["path"], first["eval"]["k"], first["eval"]["max_tokens"])
    warm = json.loads(warm_path.read_text()) if warm_path.is_file() else None
    findings = [r for r in (finding_result(f, arms) for f in study.findings) if r is not None]
    plot_study(arms, out / "plots", study.title)
    train_s = sum(r.final.get("seconds", {}).get("train", 0.0) + r.final.get("seconds", {}).get("eval", 0.0)
                  for r in runs)
    n_runs = len(study.arms) * seeds
    lines = [f"# Study `{study.name}`: {study.title}", "", f"**What the Skywork-OR1 report found.** {study.paper}", "",
             "## Settings (the miniature)", *_settings(study, seeds, quick), "",
             f"Finished runs: {len(runs)} of {n_runs}. Run time summed over runs: {train_s / 60:.1f} min"
             + (f"; study wall time of the last invocation: {wall_seconds / 60:.1f} min." if wall_seconds else "."),
             "", "## Final held-out accuracy", *_arm_table(arms, warm), "", _start_line(runs), "",
             "## Findings", *_finding_lines(findings, arms),
             f"Reproduced in direction: {sum(r.reproduced for r in findings)} of {len(findings)} findings.", "",
             "## Plots", *(f"![{name}](plots/{name})" for name in PLOTS), "",
             f"Per-run TensorBoard logs: `tensorboard --logdir {out / 'runs'}`; metrics in "
             "`runs/<arm>/seed<k>/metrics.jsonl`, held-out samples' counts in `final_eval.json`.", ""]
    results = {"study": study.name, "seeds": seeds, "quick": quick, "wall_seconds": wall_seconds,
               "arms": [{"name": a.name, "label": a.label, "avg": a.avg, "test_avg": a.values("test_avg"),
                         "entropy_late": a.values("entropy_late"), "val_mean": a.values("val_mean")} for a in arms],
               "findings": [{"claim": r.finding.claim, "metric": r.finding.metric, "better": r.better,
                             "worse": r.worse, "diff": r.diff, "ci": r.ci, "verdict": r.verdict} for r in findings]}
    write_text_atomic(out / "results.json", json.dumps(results, indent=2))
    return write_text_atomic(out / "report.md", "\n".join(lines))
