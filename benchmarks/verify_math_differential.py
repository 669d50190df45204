"""Differential test of or1's math verifier against math-verify, on math-verify's own test tables
and on generated pairs; lists every disagreement by category.

math-verify runs with its default settings (parse with its default extraction configs, verify with
float rounding 6 and strict comparison) on the texts as its tests give them (golds already wrapped
in $...$); or1 runs `MathVerifier.score_batch` in answer mode on the same texts. A disagreement where
math-verify agrees with the label is an or1 bug; one where or1 agrees with the label is listed with
the reason in docs/math_verifier.md.

Generated pairs (benchmarks/math_pairs.py: integers, fractions, radicals, polynomials, tuples, sets,
junk boxes, each labelled by construction) are given to math-verify as `$gold$` and `\\boxed{pred}`,
and to or1 as a response `</think>\\boxed{pred}`, as each is wired into reward code.

Usage: python benchmarks/verify_math_differential.py [--all-settings] [--generated N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from math_pairs import generate

from or1.rewards.math.verifier import MathVerifier

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "tests" / "rewards" / "data" / "math_verify_cases.jsonl"


def load_tables(default_only: bool = True) -> list[dict]:
    rows = [json.loads(line) for line in TABLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["default_settings"] or not default_only]


def generated_rows(n: int, seed: int) -> list[dict]:
    """Generated pairs as rows: math-verify reads `$gold$` and a boxed prediction, or1 a response."""
    return [
        {"source": f"generated::{cat}", "gold": f"${gold}$", "prediction": f"\\boxed{{{pred}}}", "expected": exp,
         "or1_gold": gold, "or1_prediction": f"<think>r</think>\\boxed{{{pred}}}"}
        for cat, gold, pred, exp in generate(n, seed)
    ]


def math_verify_verdicts(rows: list[dict]) -> tuple[list[bool], float]:
    """math-verify with its defaults, one row at a time; an exception counts as "not equal"."""
    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    out, start = [], time.perf_counter()
    for r in rows:
        try:
            out.append(bool(verify(parse(r["gold"]), parse(r["prediction"]))))
        except Exception:
            out.append(False)
    return out, time.perf_counter() - start


def or1_verdicts(rows: list[dict], workers: int) -> tuple[list[bool], float]:
    with MathVerifier(workers=workers, cache_size=0) as verifier:
        verifier.start()
        verifier.score_batch(["\\sqrt{2}"], ["2^{1/2}"], mode="answer")
        start = time.perf_counter()
        answers = [i for i, r in enumerate(rows) if "or1_prediction" not in r]
        responses = [i for i, r in enumerate(rows) if "or1_prediction" in r]
        verdicts = [False] * len(rows)
        for idx, mode, pred_key, gold_key in ((answers, "answer", "prediction", "gold"),
                                              (responses, "response", "or1_prediction", "or1_gold")):
            results = verifier.score_batch([rows[i][pred_key] for i in idx], [rows[i][gold_key] for i in idx], mode)
            for i, res in zip(idx, results, strict=True):
                verdicts[i] = res.correct
        return verdicts, time.perf_counter() - start


def report(rows: list[dict], or1: list[bool], mv: list[bool], show: int) -> int:
    """Agreement with the labels per source; every row where or1 is wrong and math-verify right."""
    labels = [bool(r["expected"]) for r in rows]
    bugs = [i for i in range(len(rows)) if or1[i] != labels[i] and mv[i] == labels[i]]
    wins = [i for i in range(len(rows)) if or1[i] == labels[i] and mv[i] != labels[i]]
    both = [i for i in range(len(rows)) if or1[i] != labels[i] and mv[i] != labels[i]]
    print(f"{'source':60} {'n':>4} {'or1':>7} {'m-v':>7}")
    for src in dict.fromkeys(r["source"] for r in rows):
        idx = [i for i, r in enumerate(rows) if r["source"] == src]
        a = sum(or1[i] == labels[i] for i in idx) / len(idx)
        b = sum(mv[i] == labels[i] for i in idx) / len(idx)
        print(f"{src:60} {len(idx):4d} {a:7.1%} {b:7.1%}")
    n = len(rows)
    a = sum(o == lab for o, lab in zip(or1, labels, strict=True)) / n
    b = sum(m == lab for m, lab in zip(mv, labels, strict=True)) / n
    print(f"{'overall':60} {n:4d} {a:7.1%} {b:7.1%}")
    for title, idx in (("or1 wrong, math-verify right", bugs), ("or1 right, math-verify wrong", wins),
                       ("both wrong", both)):
        print(f"\n{title}: {len(idx)}")
        for i in idx[:show]:
            r = rows[i]
            where = r["source"].split("::")[-1]
            print(f"  [{where}] label={labels[i]} gold={r['gold'][:90]!r} pred={r['prediction'][-90:]!r}")
    return len(bugs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--all-settings", action="store_true", help="also rows whose test changes math-verify's settings")
    ap.add_argument("--show", type=int, default=1000, help="disagreements printed per kind")
    ap.add_argument("--generated", type=int, default=3000, help="generated pairs added to the tables (0: none)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rows = load_tables(default_only=not args.all_settings) + generated_rows(args.generated, args.seed)
    mv, mv_s = math_verify_verdicts(rows)
    or1, or1_s = or1_verdicts(rows, args.workers)
    bugs = report(rows, or1, mv, args.show)
    print(f"\nthroughput: or1 {len(rows) / or1_s:.1f} rows/s, math-verify {len(rows) / mv_s:.1f} rows/s, "
          f"ratio {mv_s / or1_s:.2f}x")
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main())
