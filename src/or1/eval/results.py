"""The metrics of one evaluated data set, recomputed from its sample records (records.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from or1.eval.records import SampleRecord
from or1.stats import avg_at_k, bootstrap_ci, k_values, pass_at_k_curve

__all__ = ["DatasetResult", "summarize_dataset"]


@dataclass(frozen=True)
class DatasetResult:
    """Metrics of one data set (DESIGN.md §4).

    Attributes:
        first_pass: the original script's "pass@1": accuracy of sample 0 only (high variance).
        avg: Avg@K, the mean accuracy over all K samples = the unbiased pass@1 from K samples.
        ci_low, ci_high: 95% percentile bootstrap interval of Avg@K, resampling problems.
        pass_at_k: unbiased pass@k (Chen et al. 2021) for k = 1, 2, 4, …, K; pass@K equals the
            original's "any of K correct".
        per_problem: problem id -> correct samples out of K.
        points: (length, correct, truncated) of every sample, for the length plot.
    """

    name: str
    file: str
    k: int
    temperature: float
    problems: int
    first_pass: float
    avg: float
    ci_low: float
    ci_high: float
    pass_at_k: dict[int, float]
    mean_length: float
    truncated_frac: float
    statuses: dict[str, int]
    per_problem: dict[str, int] = field(repr=False)
    points: list[tuple[int, bool, bool]] = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The JSON-friendly metrics (no per-sample points)."""
        d = {key: getattr(self, key) for key in self.__dataclass_fields__ if key != "points"}
        d["pass_at_k"] = {str(k): v for k, v in self.pass_at_k.items()}
        return d


def summarize_dataset(name: str, file: str, groups: dict[str, list[SampleRecord]], k: int,
                      temperature: float) -> DatasetResult:
    """Metrics of the whole problems of one set (each with exactly K records, sample 0 first)."""
    correct = [[r.correct for r in g] for g in groups.values()]
    per_problem = [sum(c) / k for c in correct]
    lo, hi = bootstrap_ci(per_problem)
    flat = [r for g in groups.values() for r in g]
    return DatasetResult(
        name=name, file=file, k=k, temperature=temperature, problems=len(groups),
        first_pass=sum(c[0] for c in correct) / len(correct),
        avg=avg_at_k(correct), ci_low=lo, ci_high=hi,
        pass_at_k=pass_at_k_curve([(k, sum(c)) for c in correct], k_values(k)),
        mean_length=sum(r.length for r in flat) / len(flat),
        truncated_frac=sum(r.truncated for r in flat) / len(flat),
        statuses=dict(Counter(r.status for r in flat).most_common()),
        per_problem={pid: sum(r.correct for r in g) for pid, g in groups.items()},
        points=[(r.length, r.correct, r.truncated) for r in flat],
    )
