"""The pipeline funnel: rows left after each step, as a markdown table and a PNG bar chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["funnel_markdown", "funnel_png"]


def _reasons(report: dict[str, Any]) -> str:
    text = ", ".join(f"{k} {v}" for k, v in sorted(report["reasons"].items(), key=lambda kv: -kv[1])) or "-"
    # Rows a step looked at twice but kept (clean's inline figures) are counted too.
    flagged = (report.get("stats") or {}).get("flagged") or {}
    return text + "".join(f"; seen {k} {v}" for k, v in sorted(flagged.items()) if v)


def funnel_markdown(reports: list[dict[str, Any]]) -> str:
    """One row per step: rows in, rows out, removed and the reasons with their counts."""
    lines = ["| # | step | rows in | rows out | removed | reasons |", "|---|---|---:|---:|---:|---|"]
    for k, r in enumerate(reports, 1):
        lines.append(f"| {k} | {r['step']} | {r['count_in']} | {r['count_out']} | {r['removed']} | {_reasons(r)} |")
    if reports:
        first, last = reports[0]["count_in"], reports[-1]["count_out"]
        kept = f"{100 * last / first:.1f}%" if first else "-"
        lines.append(f"| | **total** | {first} | {last} | {first - last} | kept {kept} |")
    return "\n".join(lines) + "\n"


def funnel_png(reports: list[dict[str, Any]], path: str | Path) -> Path:
    """Horizontal bars: the input rows, then the rows left after each step, removed rows stacked in grey."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["input"] + [f"{k}. {r['step']}" for k, r in enumerate(reports, 1)]
    left = [reports[0]["count_in"] if reports else 0] + [r["count_out"] for r in reports]
    gone = [0] + [r["removed"] for r in reports]
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(labels) + 1.2))
    y = list(range(len(labels)))[::-1]
    ax.barh(y, left, color="#3b7dd8", label="rows kept")
    ax.barh(y, gone, left=left, color="#c8c8c8", label="removed by this step")
    for yi, n, g in zip(y, left, gone, strict=True):
        ax.text(n + g, yi, f" {n}" + (f" (-{g})" if g else ""), va="center", fontsize=9)
    ax.set_yticks(y, labels)
    ax.set_xlabel("rows")
    ax.set_title("Data pipeline funnel")
    ax.set_xlim(0, max(n + g for n, g in zip(left, gone, strict=True)) * 1.25 + 1)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
