"""Numbers of a study read back from its runs: per-run metrics, per-arm summaries with bootstrap CIs, verdicts.

Uncertainty has two sources here, seeds and held-out problems, so the intervals of the final Avg@K resample
both: each bootstrap draw picks seeds (with replacement) within each arm and problems (with replacement,
the same problems for both arms of a comparison). Scalar per-run metrics (entropy, mean validation
accuracy) resample seeds only. With 3 seeds such intervals are rough; the report prints every seed's value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from or1.study.runner import RunSpec, plan_runs
from or1.study.studies import Finding, Study
from or1.trainer.metrics_log import read_metrics

__all__ = ["ArmResult", "FindingResult", "RunResult", "arm_results", "finding_result", "finished_runs", "load_run",
           "study_dir_runs", "val_key"]

RESAMPLES = 2000
EVAL_TEMPERATURE = "0.6"  # the headline evaluation temperature (7B setting); the table also shows 1.0


@dataclass(frozen=True)
class RunResult:
    """One finished run: its metrics rows and its final held-out evaluation."""

    arm: str
    seed: int
    rows: list[dict]
    final: dict

    def per_problem(self, temp: str = EVAL_TEMPERATURE) -> np.ndarray:
        """Accuracy of each held-out problem over its K samples.  Shape (P,)."""
        return np.asarray(self.final["by_temperature"][temp]["correct"], dtype=float) / self.final["k"]

    def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) of every metrics row holding `key`."""
        pts = [(r["step"], r[key]) for r in self.rows if key in r]
        return np.array([p[0] for p in pts]), np.array([p[1] for p in pts], dtype=float)

    def metric(self, name: str) -> float:
        """A scalar of this run: test_avg, val_mean or entropy_late (see studies.METRICS)."""
        if name == "test_avg":
            return float(self.per_problem().mean())
        if name == "val_mean":
            steps, vals = self.series(val_key(self.rows))
            vals = vals[steps > 0]
        elif name == "entropy_late":  # steps without an informative group log no entropy estimate
            steps, vals = self.series("entropy/estimate")
            vals = vals[steps > 0.75 * steps.max()] if len(steps) else vals
        else:
            raise KeyError(f"unknown metric {name!r}")
        return float(vals.mean()) if len(vals) else float("nan")


def val_key(rows: list[dict], temp: str = EVAL_TEMPERATURE) -> str:
    """The metrics key of validation accuracy at `temp` (`val/<source>/avg@<n>_t<τ>`)."""
    keys = sorted({k for r in rows for k in r if k.startswith("val/") and k.endswith(f"_t{temp}")})
    if len(keys) != 1:
        raise ValueError(f"expected one validation key at τ {temp}, found {keys}")
    return keys[0]


def load_run(spec: RunSpec) -> RunResult:
    """Read a finished run's metrics.jsonl and final_eval.json."""
    return RunResult(spec.arm, spec.seed, read_metrics(spec.dir / "metrics.jsonl"),
                     json.loads((spec.dir / "final_eval.json").read_text()))


def _two_level(mats: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Per draw and matrix (seeds, problems): mean over resampled seeds × shared resampled problems."""
    p = mats[0].shape[1]
    probs = rng.integers(0, p, size=(RESAMPLES, p))
    out = []
    for m in mats:
        seeds = rng.integers(0, m.shape[0], size=(RESAMPLES, m.shape[0]))
        per_seed = np.stack([m[:, idx].mean(1) for idx in probs])  # (R, S): each seed's mean on the draw
        out.append(np.take_along_axis(per_seed, seeds, 1).mean(1))
    return np.stack(out)  # (len(mats), R)


def _ci(draws: np.ndarray) -> tuple[float, float]:
    lo, hi = np.quantile(draws, [0.025, 0.975])
    return float(lo), float(hi)


@dataclass(frozen=True)
class ArmResult:
    """An arm over its seeds: final held-out Avg@K (τ 0.6 and 1.0) with CIs and per-seed metrics."""

    name: str
    label: str
    runs: list[RunResult]
    avg: dict[str, tuple[float, float, float]]  # τ -> (Avg@K, CI low, CI high)

    def values(self, metric: str) -> list[float]:
        return [r.metric(metric) for r in self.runs]


def arm_results(study: Study, runs: list[RunResult], seed: int = 0) -> list[ArmResult]:
    """One ArmResult per arm of the study that has finished runs, in the study's order."""
    rng = np.random.default_rng(seed)
    out = []
    for arm in study.arms:
        mine = [r for r in runs if r.arm == arm.name]
        if not mine:
            continue
        avg = {}
        for temp in mine[0].final["by_temperature"]:
            mat = np.stack([r.per_problem(temp) for r in mine])
            avg[temp] = (float(mat.mean()), *_ci(_two_level([mat], rng)[0]))
        out.append(ArmResult(arm.name, arm.label, mine, avg))
    return out


@dataclass(frozen=True)
class FindingResult:
    """A finding measured: better − worse on its metric, a 95% bootstrap CI of that difference, a verdict."""

    finding: Finding
    better: float
    worse: float
    diff: float
    ci: tuple[float, float]
    verdict: str
    reproduced: bool  # direction reproduced (diff > 0)


def finding_result(f: Finding, arms: list[ArmResult], seed: int = 0) -> FindingResult | None:
    """Measure finding `f`; None when one of its arms has no finished run."""
    by_name = {a.name: a for a in arms}
    if f.better not in by_name or f.worse not in by_name:
        return None
    b, w = by_name[f.better], by_name[f.worse]
    rng = np.random.default_rng(seed)
    if f.metric == "test_avg":
        mats = [np.stack([r.per_problem() for r in a.runs]) for a in (b, w)]
        draws = _two_level(mats, rng)
        diffs = draws[0] - draws[1]
    else:
        vb, vw = np.array(b.values(f.metric)), np.array(w.values(f.metric))
        diffs = (vb[rng.integers(0, len(vb), (RESAMPLES, len(vb)))].mean(1)
                 - vw[rng.integers(0, len(vw), (RESAMPLES, len(vw)))].mean(1))
    better, worse = float(np.mean(b.values(f.metric))), float(np.mean(w.values(f.metric)))
    diff = better - worse
    if np.isnan(diff):
        return FindingResult(f, better, worse, diff, (diff, diff), "not measured: a run logged no value", False)
    ci = _ci(diffs)
    if diff > 0 and ci[0] > 0:
        verdict = "reproduced"
    elif diff > 0:
        verdict = "direction reproduced, but the 95% CI of the difference includes 0 (not conclusive)"
    elif ci[1] < 0:
        verdict = "NOT reproduced: the opposite direction was measured, and its CI excludes 0"
    else:
        verdict = "NOT reproduced: the difference goes the other way or is zero (CI includes 0)"
    return FindingResult(f, better, worse, diff, ci, verdict, diff > 0)


def finished_runs(specs: list[RunSpec]) -> list[RunResult]:
    """The finished runs among `specs`, loaded."""
    return [load_run(s) for s in specs if s.done]


def study_dir_runs(out: Path, study: Study, seeds: int) -> list[RunResult]:
    """The finished runs of `study` in folder `out`, for `seeds` seeds per arm."""
    return finished_runs(plan_runs(study, out, seeds))
