"""PNG drawings of a run's metrics: one file per panel (`panels.PANELS`), and all panels on one grid."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from or1.atomic import write_bytes_atomic
from or1.dashboard.panels import PANELS, Panel, panel_series

__all__ = ["draw_panel", "plot_grid", "plot_panels", "save_figure"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on servers
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: Path, dpi: int = 110) -> Path:
    """Write a matplotlib figure as PNG atomically (a dashboard read while a run writes it is never torn)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    _pyplot().close(fig)
    return write_bytes_atomic(path, buf.getvalue())


def draw_panel(ax: Any, rows: list[dict[str, Any]], panel: Panel) -> bool:
    """Draw `panel` on `ax` (a second axis for its right-hand keys); False when nothing of it was logged."""
    left, right = panel_series(rows, panel)
    if not left and not right:
        return False
    marker = "o" if panel.left == ("val/",) else None  # validation is sparse: show its points
    for key, (steps, vals) in left.items():
        ax.plot(steps, vals, label=key, marker=marker, markersize=3, linewidth=1.2)
    if right:
        ax2 = ax.twinx()
        for j, (key, (steps, vals)) in enumerate(right.items()):  # dashed, in colours the left axis does not use
            ax2.plot(steps, vals, label=key, linestyle="--", linewidth=1.0, color=f"C{(len(left) + j) % 10}")
        ax2.set_ylabel(panel.right_label, fontsize=8)
        ax2.legend(fontsize=7, loc="upper right")
    ax.set_title(panel.title, fontsize=9)
    ax.set_xlabel("training step")
    ax.xaxis.set_major_locator(_integer_ticks())
    ax.set_ylabel(panel.ylabel, fontsize=8)
    ax.grid(alpha=0.3)
    if left:
        ax.legend(fontsize=7, loc="upper left")
    return True


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def plot_panels(rows: list[dict[str, Any]], out_dir: Path, panels: tuple[Panel, ...] = PANELS) -> list[Path]:
    """One PNG per panel with data into `out_dir`; returns their paths (panels with no data are skipped)."""
    plt = _pyplot()
    paths = []
    for panel in panels:
        fig, ax = plt.subplots(figsize=(6.4, 4))
        if draw_panel(ax, rows, panel):
            fig.tight_layout()
            paths.append(save_figure(fig, out_dir / panel.file))
        else:
            plt.close(fig)
    return paths


def plot_grid(rows: list[dict[str, Any]], path: Path, title: str, panels: tuple[Panel, ...] = PANELS) -> Path | None:
    """Every panel with data on one figure (three columns); None when nothing was logged yet."""
    shown = [p for p in panels if any(panel_series(rows, p))]
    if not shown:
        return None
    plt = _pyplot()
    n_rows = math.ceil(len(shown) / 3)
    fig, axes = plt.subplots(n_rows, 3, figsize=(15, 3.6 * n_rows), squeeze=False)
    for ax, panel in zip(axes.flat, shown, strict=False):
        draw_panel(ax, rows, panel)
    for ax in list(axes.flat)[len(shown):]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
