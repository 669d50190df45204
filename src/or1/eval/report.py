"""The files that show an evaluation's numbers (results.py): pass.csv, summary.md, metrics.json, plots.

Everything here is recomputed from the sample records (records.py), so a resumed or re-summarised run
reports exactly what its samples file holds.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from or1.atomic import write_text_atomic
from or1.eval.plots import plot_accuracy_vs_length, plot_pass_at_k
from or1.eval.results import DatasetResult
from or1.stats import k_values

__all__ = ["pass_csv_rows", "write_outputs"]


def pass_csv_rows(results: list[DatasetResult], model_path: str, ex_name: str,
                  max_response_length: int) -> list[dict[str, Any]]:
    """pass.csv rows: the original's columns first (model_path, dataset, ex_name, pass@1 of the first
    sample, avg@K, pass@K), then the 95% CI of avg@K, unbiased pass@k for k = 1, 2, 4, …, K, and context."""
    rows = []
    for r in results:
        row: dict[str, Any] = {"model_path": model_path, "dataset": Path(r.file).name, "ex_name": ex_name,
                               "pass@1": r.first_pass, f"avg@{r.k}": r.avg, f"pass@{r.k}": r.pass_at_k[r.k],
                               f"avg@{r.k}_ci95_low": r.ci_low, f"avg@{r.k}_ci95_high": r.ci_high}
        row.update({f"unbiased_pass@{k}": v for k, v in r.pass_at_k.items()})
        row.update({"k": r.k, "temperature": r.temperature, "max_response_length": max_response_length,
                    "problems": r.problems, "mean_length": r.mean_length, "truncated_frac": r.truncated_frac})
        rows.append(row)
    return rows


def _markdown(results: list[DatasetResult], model_path: str, ex_name: str, max_len: int) -> str:
    k = results[0].k
    lines = [f"# Evaluation: {ex_name}", "",
             f"Model `{model_path}`, K = {k} samples per problem at temperature {results[0].temperature:g}, "
             f"max response length {max_len} tokens.", "",
             f"| data set | problems | Avg@{k} [95% CI] | pass@1 (sample 0) | "
             + " | ".join(f"pass@{j}" for j in k_values(k)) + " | mean length | truncated |",
             "|---|---|---|---|" + "---|" * len(k_values(k)) + "---|---|"]
    for r in results:
        curve = " | ".join(f"{100 * v:.1f}" for v in r.pass_at_k.values())
        lines.append(f"| {r.name} | {r.problems} | {100 * r.avg:.1f} [{100 * r.ci_low:.1f}, {100 * r.ci_high:.1f}]"
                     f" | {100 * r.first_pass:.1f} | {curve} | {r.mean_length:.0f} | {100 * r.truncated_frac:.1f}% |")
    lines += ["", "Percentages. pass@k is the unbiased estimator of Chen et al. (2021) from the K samples; "
              "pass@1 (sample 0) is the original script's first-sample accuracy. The interval resamples problems.",
              "", "Verifier statuses per sample:", ""]
    lines += [f"- {r.name}: " + ", ".join(f"{s} {n}" for s, n in r.statuses.items()) for r in results]
    lines += ["", "![pass@k](pass_at_k.png)", "", "![accuracy vs length](accuracy_vs_length.png)", ""]
    return "\n".join(lines)


def write_outputs(out: Path, results: list[DatasetResult], model_path: str, ex_name: str,
                  max_response_length: int) -> None:
    """Write pass.csv, metrics.json, summary.md and the two plots into `out` (each replaced atomically)."""

    if not results:
        return
    rows = pass_csv_rows(results, model_path, ex_name, max_response_length)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(out / "pass.csv", buf.getvalue())
    write_text_atomic(out / "metrics.json", json.dumps([r.as_dict() for r in results], indent=2) + "\n")
    write_text_atomic(out / "summary.md", _markdown(results, model_path, ex_name, max_response_length))
    plot_pass_at_k(results, out / "pass_at_k.png")
    plot_accuracy_vs_length(results, max_response_length, out / "accuracy_vs_length.png")
