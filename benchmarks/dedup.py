"""Dedup scaling: time of `or1 data dedup` (MinHash LSH) from 10K to 100K synthetic problems.

Usage: python benchmarks/dedup.py [--sizes 10000 20000 50000 100000] [--dup-frac 0.1]

Each size is a fresh set of synthetic math word problems (or1.data.synthetic) of which `dup-frac` are
planted copies: half exact (re-cased, re-spaced), half near (one word changed). The time covers the
whole step on in-memory rows: tokens, MinHash signatures, LSH queries and inserts, cluster report.
Near-linear scaling means time per row stays flat; the ratio line compares the largest size with the
smallest against the ratio of their sizes.
"""

from __future__ import annotations

import argparse
import random
import time

from or1.config import DedupOptions
from or1.data.dedup import dedup_rows
from or1.data.synthetic import synthetic_rows


def make_rows(n: int, dup_frac: float, seed: int = 0) -> tuple[list[dict], int]:
    """`n` schema rows, `int(n * dup_frac)` of them planted copies of earlier rows; returns (rows, planted)."""
    planted = int(n * dup_frac)
    base = synthetic_rows(n - planted, seed=seed)
    rng = random.Random(seed)
    texts = [r["problem"] for r in base]
    for k in range(planted):
        src = texts[rng.randrange(len(base))]
        if k % 2:
            texts.append("  " + src.upper())
        else:
            texts.append(src.rsplit(" ", 1)[0] + " finally?")
    rows = [{"data_source": "bench", "prompt": [{"role": "user", "content": t}], "ability": "math",
             "reward_model": {"style": "rule", "ground_truth": "1"}, "extra_info": {"index": i}}
            for i, t in enumerate(texts)]
    return rows, planted


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 50_000, 100_000])
    p.add_argument("--dup-frac", type=float, default=0.1, help="fraction of planted copies")
    p.add_argument("--threshold", type=float, default=DedupOptions.threshold)
    a = p.parse_args()
    opts = DedupOptions(threshold=a.threshold)
    print(f"{'rows':>8} {'seconds':>8} {'us/row':>7} {'removed':>8} {'planted':>8} {'clusters':>8}")
    times = {}
    for n in a.sizes:
        rows, planted = make_rows(n, a.dup_frac)
        start = time.perf_counter()
        out = dedup_rows(rows, opts)
        times[n] = time.perf_counter() - start
        print(f"{n:>8} {times[n]:>8.1f} {1e6 * times[n] / n:>7.0f} {len(out.removed):>8} {planted:>8} "
              f"{out.stats['clusters']:>8}", flush=True)
    lo, hi = min(times), max(times)
    print(f"time ratio {hi // 1000}K/{lo // 1000}K = {times[hi] / times[lo]:.2f} for a size ratio of {hi / lo:.0f} "
          f"(linear = {hi / lo:.0f}); {hi // 1000}K rows in {times[hi]:.1f} s (limit 120 s)")


if __name__ == "__main__":
    main()
