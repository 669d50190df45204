"""Accuracy and throughput of or1's math verifier against plain math-verify, on the same cases.

The cases are the hand-checked tables of tests/rewards/test_math_*.py (forms, near misses, the AIME
golds, hostile inputs), where math-verify runs as it is usually wired into RL reward code: gold and
prediction each wrapped in \\boxed{}, parsed with its default configs and its own (SIGALRM) timeouts,
one case after another; and math-verify's own default-setting test tables
(tests/rewards/data/math_verify_cases.jsonl, category "mv/..."), given to both as they are written.
or1 runs `MathVerifier.score_batch` on the whole batch with its worker pool
already started and its cache off ("cold cache": pairs repeated within the batch are still checked
once per batch, as the batch API does).

Usage: python benchmarks/verify_math.py [--workers 2] [--timeout 5] [--no-hostile]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import sys
import time
from pathlib import Path
from types import ModuleType

from or1.rewards.math.verifier import MathVerifier

TESTS = Path(__file__).resolve().parents[1] / "tests" / "rewards"
SOURCES = {"forms": "test_math_forms.py", "near": "test_math_near_misses.py", "aime": "test_math_aime.py"}
LIMIT_S = 5.0  # the bound on one verification

Case = tuple[str, str, str, bool]  # (category, prediction, gold, expected)
MV_TABLES = TESTS / "data" / "math_verify_cases.jsonl"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_cases(hostile: bool) -> list[Case]:
    """Every (category, prediction, gold, expected) of the test tables."""
    cases: list[Case] = []
    for prefix, name in SOURCES.items():
        for category, rows in _load(TESTS / name).CASES.items():
            cases += [(f"{prefix}/{category}", p, g, e) for p, g, e in rows]
    if hostile:
        rows = _load(TESTS / "test_math_robustness.py").HOSTILE
        cases += [("hostile", p, g, False) for p, g in rows]
    for line in MV_TABLES.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["default_settings"]:
            test = row["source"].split("::")[0].removeprefix("tests/").removesuffix(".py")
            cases.append((f"mv/{test}", row["prediction"], row["gold"], bool(row["expected"])))
    return cases


def run_math_verify(cases: list[Case]) -> tuple[list[bool], list[float]]:
    """Plain math-verify, one case at a time; a crash or a timeout counts as "not equal"."""
    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    verdicts, seconds = [], []
    for category, pred, gold, _ in cases:
        start = time.perf_counter()
        if not category.startswith("mv/"):  # or1's tables hold bare answers: box them, as reward code does
            gold, pred = f"\\boxed{{{gold}}}", f"\\boxed{{{pred}}}"
        try:
            ok = bool(verify(parse(gold), parse(pred)))
        except Exception:
            ok = False
        seconds.append(time.perf_counter() - start)
        verdicts.append(ok)
    return verdicts, seconds


def run_or1(cases: list[Case], workers: int, timeout_s: float) -> tuple[list[bool], list[float], float, dict]:
    """or1's batch verifier: (verdicts, per-case seconds, wall seconds, verifier stats)."""
    # cache_size=0: no verdict is reused, not even for a case repeated within the batch.
    with MathVerifier(workers=workers, timeout_s=timeout_s, cache_size=0) as verifier:
        verifier.start()
        verifier.score_batch(["\\sqrt{2}"], ["2^{1/2}"], mode="answer")  # wait until workers are up
        verifier.stats = dict.fromkeys(verifier.stats, 0)
        start = time.perf_counter()
        results = verifier.score_batch([c[1] for c in cases], [c[2] for c in cases], mode="answer")
        wall = time.perf_counter() - start
        stats = dict(verifier.stats)
    return [r.correct for r in results], [r.seconds for r in results], wall, stats


def _accuracy(cases: list[Case], verdicts: list[bool], category: str | None) -> tuple[int, int]:
    picked = [v == c[3] for c, v in zip(cases, verdicts, strict=True) if category in (None, c[0])]
    return sum(picked), len(picked)


def report(cases: list[Case], or1: list[bool], mv: list[bool]) -> None:
    """Accuracy per category and overall, with the ratio or1 / math-verify."""
    print(f"{'category':32} {'n':>4} {'or1':>8} {'math-verify':>12} {'ratio':>7}")
    for category in dict.fromkeys(c[0] for c in cases):
        (a, n), (b, _) = _accuracy(cases, or1, category), _accuracy(cases, mv, category)
        flag = "" if a >= b else "  <-- below math-verify"
        print(f"{category:32} {n:4d} {a / n:8.1%} {b / n:12.1%} {a / max(b, 1):7.2f}{flag}")
    (a, n), (b, _) = _accuracy(cases, or1, None), _accuracy(cases, mv, None)
    print(f"{'overall':32} {n:4d} {a / n:8.1%} {b / n:12.1%} {a / max(b, 1):7.2f}")


def _table_throughput(cases: list[Case], mv_s: list[float], workers: int, timeout_s: float) -> None:
    """Throughput on math-verify's tables alone, with a pool that has been running: its workers first
    score or1's own tables (a training run's pool lives for the whole run; a fresh worker's LaTeX
    parser is several times slower on its first inputs), then time the tables, verdict cache off."""
    picked = [c for c in cases if c[0].startswith("mv/")]
    others = [c for c in cases if not c[0].startswith("mv/")]
    with MathVerifier(workers=workers, timeout_s=timeout_s, cache_size=0) as verifier:
        verifier.score_batch([c[1] for c in others], [c[2] for c in others], mode="answer")
        start = time.perf_counter()
        verifier.score_batch([c[1] for c in picked], [c[2] for c in picked], mode="answer")
        wall = time.perf_counter() - start
    mv_wall = sum(s for c, s in zip(cases, mv_s, strict=True) if c[0].startswith("mv/"))
    print(f"  math-verify's tables alone ({len(picked)} cases, pool already running): "
          f"or1 {len(picked) / wall:.1f} cases/s, math-verify {len(picked) / mv_wall:.1f} cases/s, "
          f"ratio {mv_wall / wall:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=LIMIT_S)
    parser.add_argument("--no-hostile", action="store_true", help="skip the hostile inputs")
    args = parser.parse_args()
    cases = load_cases(hostile=not args.no_hostile)
    or1, or1_s, or1_wall, stats = run_or1(cases, args.workers, args.timeout)
    mv, mv_s = run_math_verify(cases)
    report(cases, or1, mv)
    mv_wall = sum(mv_s)
    print(f"\nthroughput on {len(cases)} cases, cold cache, {args.workers} workers:")
    print(f"  or1          {len(cases) / or1_wall:9.1f} cases/s  ({or1_wall:.2f} s wall)")
    print(f"  math-verify  {len(cases) / mv_wall:9.1f} cases/s  ({mv_wall:.2f} s)")
    print(f"  ratio        {mv_wall / or1_wall:9.2f}x")
    _table_throughput(cases, mv_s, args.workers, args.timeout)
    print(
        f"  or1 path: {stats['fast']} settled without sympy, {stats['pool']} distinct pairs in the pool, "
        f"{stats['timeouts']} timeouts, {stats['errors']} errors"
    )
    for name, secs in (("or1", or1_s), ("math-verify", mv_s)):
        over = sum(s > LIMIT_S for s in secs)
        print(f"  {name:12} slowest case {max(secs):6.2f} s, cases over {LIMIT_S:g} s: {over}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
