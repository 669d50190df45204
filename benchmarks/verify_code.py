"""Code sandbox cost: per-run overhead against a bare interpreter start, and batch throughput.

Usage: python benchmarks/verify_code.py [--runs 40] [--programs 200] [--workers 2]

Both figures come from the same run on the same machine, so their ratio is meaningful even when the
machine is busy. Needs root (as the sandbox does).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from or1.rewards.code import CodeVerifier
from or1.rewards.sandbox import Sandbox, SandboxLimits

SUM = "a, b = map(int, input().split())\nprint(a + b)\n"
GT = {"inputs": ["1 2\n", "10 20\n", "-5 5\n"], "outputs": ["3", "30", "0"]}


def _timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def overhead(runs: int) -> None:
    """Interleave bare starts and sandbox runs so machine load affects both alike."""
    sandbox, limits = Sandbox(), SandboxLimits(time_limit_s=5.0)
    bare, boxed = [], []
    for _ in range(runs):
        bare += _timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 1)
        boxed += _timed(lambda: sandbox.run("pass", [b""], None, limits), 1)
    b_med, s_med = statistics.median(bare) * 1e3, statistics.median(boxed) * 1e3
    b_min, s_min = min(bare) * 1e3, min(boxed) * 1e3
    print(f"bare `python -c pass`   median {b_med:6.1f} ms   min {b_min:6.1f} ms   ({runs} runs)")
    print(f"sandboxed `pass`        median {s_med:6.1f} ms   min {s_min:6.1f} ms")
    print(
        f"overhead per run        median {s_med - b_med:6.1f} ms   min {s_min - b_min:6.1f} ms   "
        f"ratio {s_med / b_med:.2f}x"
    )


def throughput(programs: int, workers: int) -> None:
    responses = [SUM if i % 4 else SUM.replace("a + b", "a - b") for i in range(programs)]
    with CodeVerifier(workers=workers, time_limit_s=5.0) as verifier:
        start = time.perf_counter()
        results = verifier.score_batch(responses, [GT] * programs, mode="program")
        wall = time.perf_counter() - start
    runs = sum(r.detail["tests_passed"] + (r.status != "ok") for r in results)
    cores = min(workers, os.cpu_count() or 1)
    print(
        f"throughput              {programs} programs, {runs} program-test runs, {workers} workers: "
        f"{wall:.2f} s"
    )
    print(
        f"                        {programs / wall:.1f} programs/s, {runs / wall:.1f} program-test runs/s, "
        f"{runs / wall / cores:.1f} per core"
    )
    counts = {s: sum(r.status == s for r in results) for s in {r.status for r in results}}
    print(f"statuses                {counts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--programs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    overhead(args.runs)
    throughput(args.programs, args.workers)


if __name__ == "__main__":
    main()
