"""The demo's report: a markdown page and PNG plots of training and of accuracy before/after RL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from or1.config import TrainConfig
from or1.dashboard.plot import plot_grid, save_figure
from or1.trainer.metrics_log import read_metrics

__all__ = ["plot_training", "write_report"]

def plot_training(rows: list[dict[str, Any]], sft_losses: list[float], path: Path) -> Path | None:
    """The run dashboard's panels (`or1 report`, `dashboard.plot_grid`) on one figure, the SFT warm start in
    its title."""
    title = (f"or1 demo: GRPO + MAGIC on the tiny model (SFT warm start: {len(sft_losses)} steps, final SFT loss "
             f"{sft_losses[-1]:.3f})" if sft_losses else "or1 demo")
    return plot_grid(rows, path, title)


def plot_accuracy(summary: dict[str, Any], path: Path) -> Path:
    """Bars of held-out Avg@K before and after RL with 95% bootstrap intervals, per temperature."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    width = 0.38
    for j, (name, res) in enumerate((("SFT start", summary["before"]), ("after RL", summary["after"]))):
        xs = [i + (j - 0.5) * width for i in range(len(res))]
        ys = [100 * r["avg"] for r in res]
        err = [[100 * (r["avg"] - r["ci_low"]) for r in res], [100 * (r["ci_high"] - r["avg"]) for r in res]]
        ax.bar(xs, ys, width, yerr=err, capsize=4, label=name)
    ax.set_xticks(range(len(summary["before"])), [f"τ = {r['temperature']:g}" for r in summary["before"]])
    ax.set_ylabel(f"held-out Avg@{summary['before'][0]['k']} (%)")
    ax.set_ylim(0, 100)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)


def _pct(r: dict[str, Any]) -> str:
    return f"{100 * r['avg']:.1f} [{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}]"


def _table(summary: dict[str, Any]) -> list[str]:
    lines = ["| τ | SFT start Avg@K [95% CI] | after RL Avg@K [95% CI] | change (points) | pass@K before → after |",
             "|---|---|---|---|---|"]
    for b, a in zip(summary["before"], summary["after"], strict=True):
        change = 100 * (a["avg"] - b["avg"])
        passes = f"{100 * b['pass_at_k']:.1f} → {100 * a['pass_at_k']:.1f}"
        lines.append(f"| {b['temperature']:g} | {_pct(b)} | {_pct(a)} | {change:+.1f} | {passes} |")
    return lines


def write_report(out: Path, cfg: TrainConfig, summary: dict[str, Any], sft_losses: list[float]) -> Path:
    """Write report.md, training.png and accuracy.png into `out`; returns the report path."""
    rows = read_metrics(Path(cfg.out_dir) / "metrics.jsonl")
    plot_training(rows, sft_losses, out / "training.png")
    plot_accuracy(summary, out / "accuracy.png")
    b = summary["before"][0]
    stages = "; ".join(f"stage {i}: {s.steps} steps, {s.max_response_length} tokens, {s.batch_size} prompts × "
                       f"{s.group_size}" for i, s in enumerate(cfg.stages))
    secs = summary["seconds"]
    text = [
        "# or1 demo report", "",
        f"Tiny Qwen2 policy on `a+b-c` (two-digit numbers). Held-out test set: {b['problems']} problems, "
        f"K = {b['k']} samples each, at most {summary['eval_max_tokens']} response tokens.",
        "", "## Held-out accuracy", "", *_table(summary), "", "![accuracy](accuracy.png)", "",
        "## Training", "",
        f"- SFT warm start on the traces of an imperfect teacher ({100 * summary['sft']['teacher_slip_rate']:.0f}% "
        "of them slip in the first step and box a wrong answer, as a distilled model inherits its teacher's "
        f"mistakes): {summary['sft']['steps']} steps, greedy dev accuracy "
        f"{100 * summary['sft']['checks'][-1]['dev_greedy_acc']:.1f}% ("
        + ("stopped at the target of" if summary["sft"]["reached_target"] else "step cap reached before the target of")
        + f" {100 * summary['sft']['target']:.0f}%).",
        f"- RL: {stages}; lr {cfg.algo.lr:g}, ε {cfg.algo.clip_low:g}/{cfg.algo.clip_high:g}, adaptive entropy "
        f"target {cfg.entropy.target:g}, online filter {'on' if cfg.filter.online else 'off'}, offline filter "
        f"{'on' if cfg.filter.offline else 'off'}.",
        f"- Wall clock: SFT {secs['sft']:.0f} s, RL with evaluations {secs['rl']:.0f} s, total {secs['total']:.0f} s.",
        f"- Metrics per step: `{Path(cfg.out_dir) / 'metrics.jsonl'}` and TensorBoard "
        f"(`tensorboard --logdir {Path(cfg.out_dir) / 'tensorboard'}`).",
        f"- Final checkpoint: `{summary['final_checkpoint']}` (export with `or1 export`).", "",
        "![training](training.png)", "",
    ]
    path = out / "report.md"
    path.write_text("\n".join(text))
    return path
