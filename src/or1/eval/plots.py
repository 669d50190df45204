"""PNG plots of an evaluation: pass@k against k, and accuracy against response length."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers
import matplotlib.pyplot as plt
import numpy as np

from or1.atomic import atomic_file
from or1.eval.results import DatasetResult

__all__ = ["length_bins", "plot_accuracy_vs_length", "plot_pass_at_k"]


def _save(fig: plt.Figure, path: Path) -> None:
    with atomic_file(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)


def plot_pass_at_k(results: list[DatasetResult], path: Path) -> None:
    """Unbiased pass@k for k = 1, 2, 4, …, K, one line per data set, k on a log2 axis."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in results:
        ks = list(r.pass_at_k)
        ax.plot(ks, [100 * r.pass_at_k[k] for k in ks], marker="o", label=f"{r.name} ({r.problems} problems)")
    ks = list(results[0].pass_at_k)
    ax.set_xscale("log", base=2)
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.set(xlabel="k", ylabel="pass@k (%)", ylim=(0, 100), title=f"pass@k from K = {results[0].k} samples")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    _save(fig, path)


def length_bins(points: list[tuple[int, bool, bool]], max_length: int, bins: int = 10
                ) -> list[tuple[float, float, int]]:
    """Accuracy per equal-width response-length bin over [0, max_length].

    Returns:
        (bin centre, accuracy, samples) for every non-empty bin, in length order.
    """
    edges = np.linspace(0, max_length, bins + 1)
    lengths = np.array([p[0] for p in points], dtype=float)
    correct = np.array([p[1] for p in points], dtype=float)
    idx = np.clip(np.searchsorted(edges, lengths, side="right") - 1, 0, bins - 1)
    out = []
    for b in range(bins):
        sel = idx == b
        if sel.any():
            out.append((float((edges[b] + edges[b + 1]) / 2), float(correct[sel].mean()), int(sel.sum())))
    return out


def plot_accuracy_vs_length(results: list[DatasetResult], max_length: int, path: Path) -> None:
    """Accuracy of samples binned by response length; marker area grows with the bin's sample count."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in results:
        rows = length_bins(r.points, max_length)
        sizes = [20 + 200 * n / len(r.points) for _, _, n in rows]
        line = ax.plot([x for x, _, _ in rows], [100 * a for _, a, _ in rows], label=r.name)[0]
        ax.scatter([x for x, _, _ in rows], [100 * a for _, a, _ in rows], s=sizes, color=line.get_color())
    ax.axvline(max_length, color="grey", linestyle="--", linewidth=1, label="length limit (truncated)")
    ax.set(xlabel="response length (tokens)", ylabel="accuracy (%)", ylim=(-2, 102), xlim=(0, max_length * 1.03),
           title="accuracy vs response length")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    _save(fig, path)
