"""`or1 eval compare A B`: is B better than A? Paired over the problems both evaluated.

Per data set: Avg@K of each, the difference B - A with a paired bootstrap interval (problems resampled
together, see `metrics.paired_bootstrap_ci`), and a per-problem table of correct samples out of K.
K and temperature may differ between the folders; per-problem accuracies are compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from or1.eval.records import load_complete
from or1.stats import paired_bootstrap_ci

__all__ = ["Comparison", "compare_dirs", "comparison_markdown", "load_run"]


@dataclass(frozen=True)
class Comparison:
    """One data set evaluated in both folders.

    Attributes:
        rows: (problem id, correct in A, correct in B) for the problems both hold, in A's order.
        only_one: problems evaluated in one folder only (left out of every number).
    """

    dataset: str
    k_a: int
    k_b: int
    avg_a: float
    avg_b: float
    diff: float
    ci_low: float
    ci_high: float
    rows: list[tuple[str, int, int]]
    only_one: int


def load_run(folder: str | Path) -> tuple[dict, dict[str, dict[str, int]]]:
    """A folder's settings and, per data set, correct samples per whole problem.

    Raises:
        FileNotFoundError: the folder holds no `eval.json` (not an `or1 eval` output).
    """
    folder = Path(folder)
    manifest_path = folder / "eval.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{folder} is not an `or1 eval` output folder (no eval.json)")
    manifest = json.loads(manifest_path.read_text())
    k = manifest["k"]
    per_set = {}
    for name in manifest["datasets"]:
        groups = load_complete(folder / "samples" / f"{name}.jsonl", k)
        per_set[name] = {pid: sum(r.correct for r in g) for pid, g in groups.items()}
    return manifest, per_set


def compare_dirs(a: str | Path, b: str | Path, seed: int = 0) -> list[Comparison]:
    """Compare every data set present in both folders.

    Raises:
        ValueError: the folders share no data set with evaluated problems in common.
    """
    (man_a, sets_a), (man_b, sets_b) = load_run(a), load_run(b)
    k_a, k_b = man_a["k"], man_b["k"]
    out = []
    for name, per_a in sets_a.items():
        per_b = sets_b.get(name, {})
        common = [pid for pid in per_a if pid in per_b]
        if not common:
            continue
        acc_a = [per_a[p] / k_a for p in common]
        acc_b = [per_b[p] / k_b for p in common]
        diff, lo, hi = paired_bootstrap_ci(acc_a, acc_b, seed=seed)
        only_one = len(set(per_a) ^ set(per_b))
        out.append(Comparison(name, k_a, k_b, sum(acc_a) / len(common), sum(acc_b) / len(common), diff, lo, hi,
                              [(p, per_a[p], per_b[p]) for p in common], only_one))
    if not out:
        raise ValueError(f"{a} and {b} have no evaluated problems of a common data set")
    return out


def comparison_markdown(results: list[Comparison], a: str | Path, b: str | Path) -> str:
    """A summary table (one row per data set) and a per-problem table for each data set."""
    lines = ["# Comparison: B - A", "", f"A = `{a}`  ", f"B = `{b}`", "",
             "| data set | problems | Avg A | Avg B | B - A [95% paired CI] |", "|---|---|---|---|---|"]
    for c in results:
        lines.append(f"| {c.dataset} | {len(c.rows)} | {100 * c.avg_a:.1f} (K={c.k_a}) | {100 * c.avg_b:.1f} "
                     f"(K={c.k_b}) | {100 * c.diff:+.1f} [{100 * c.ci_low:+.1f}, {100 * c.ci_high:+.1f}] |")
    lines += ["", "Percentages; the interval resamples problems, the same ones for A and B."]
    for c in results:
        lines += ["", f"## {c.dataset}", ""]
        if c.only_one:
            lines += [f"{c.only_one} problem(s) evaluated in only one folder are left out.", ""]
        lines += [f"| problem | A correct / {c.k_a} | B correct / {c.k_b} | B - A |", "|---|---|---|---|"]
        lines += [f"| {p} | {x} | {y} | {100 * (y / c.k_b - x / c.k_a):+.1f} |" for p, x, y in c.rows]
    return "\n".join(lines) + "\n"
