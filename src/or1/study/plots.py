"""PNG plots of a study: one quantity per figure, one line per arm (mean over seeds) with a min-max seed band."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers
import matplotlib.pyplot as plt
import numpy as np

from or1.dashboard.plot import save_figure
from or1.study.results import ArmResult, val_key

__all__ = ["PLOTS", "plot_study"]

# file name -> (metrics key or "val", y label, scale, smoothing window in steps)
PLOTS: dict[str, tuple[str, str, float, int]] = {
    "accuracy.png": ("val", "validation Avg@n at τ 0.6 (%)", 100.0, 1),
    "entropy.png": ("entropy/estimate", "entropy estimate (nats/token)", 1.0, 5),
    "alpha.png": ("entropy/alpha", "entropy coefficient α", 1.0, 1),
    "length.png": ("rollout/len_mean", "mean rollout response length (tokens)", 1.0, 5),
}


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average (the first points average what is there)."""
    if window <= 1:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    idx = np.arange(1, len(y) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def _arm_curves(arm: ArmResult, key: str, scale: float, window: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(steps, (seeds, steps) values) over the steps every seed logged."""
    curves = []
    for run in arm.runs:
        k = val_key(run.rows) if key == "val" else key
        steps, vals = run.series(k)
        if len(steps) == 0:
            return None
        curves.append(dict(zip(steps.tolist(), (_smooth(vals, window) * scale).tolist(), strict=True)))
    common = sorted(set.intersection(*(set(c) for c in curves)))
    return np.array(common), np.array([[c[s] for s in common] for c in curves])


def plot_study(arms: list[ArmResult], out_dir: Path, title: str) -> list[Path]:
    """Write PLOTS into `out_dir`; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (key, ylabel, scale, window) in PLOTS.items():
        fig, ax = plt.subplots(figsize=(6.4, 4))
        for arm in arms:
            curves = _arm_curves(arm, key, scale, window)
            if curves is None:
                continue
            steps, vals = curves
            line = ax.plot(steps, vals.mean(0), label=f"{arm.label} ({len(arm.runs)} seeds)",
                           marker="o" if key == "val" else None, markersize=3)[0]
            if len(arm.runs) > 1:
                ax.fill_between(steps, vals.min(0), vals.max(0), color=line.get_color(), alpha=0.2, linewidth=0)
        smooth = f", {window}-step moving average" if window > 1 else ""
        ax.set(xlabel="training step", ylabel=ylabel, title=f"{title}\n(mean over seeds, band = min-max{smooth})")
        ax.title.set_fontsize(9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        paths.append(save_figure(fig, out_dir / name))
    return paths
