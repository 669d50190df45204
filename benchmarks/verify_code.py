"""Code sandbox cost: per-run overhead against a bare interpreter start, and batch throughput.

Usage: python benchmarks/verify_code.py [--runs 100] [--programs 200] [--workers 2]

Both figures come from the same run on the same machine, so their ratio is meaningful even when the
machine is busy. Bare starts and sandbox runs are interleaved (alternating which goes first) after a
warm-up that starts the sandbox launcher, and each is timed from the caller's side until every process
it started is gone (a sandbox run ends when its result pipe reaches end of file). A sandbox run forks from
the pre-started launcher instead of starting an interpreter, so it can cost less than a bare start; the
fork line shows what a warm interpreter pays for a bare fork + exit, for scale. Needs root (as the sandbox
does).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from or1.rewards.code.sandbox import Sandbox, SandboxLimits
from or1.rewards.code.verifier import CodeVerifier

SUM = "a, b = map(int, input().split())\nprint(a + b)\n"
GT = {"inputs": ["1 2\n", "10 20\n", "-5 5\n"], "outputs": ["3", "30", "0"]}


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _fork_exit() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def _line(name: str, times: list[float]) -> str:
    ms = sorted(t * 1e3 for t in times)
    p10, p90 = ms[len(ms) // 10], ms[len(ms) * 9 // 10]
    return f"{name:26s}median {statistics.median(ms):6.1f} ms   p10 {p10:6.1f}   p90 {p90:6.1f}   min {ms[0]:6.1f}"


def overhead(runs: int) -> None:
    """Interleave bare starts and sandbox runs so machine load affects both alike."""
    sandbox, limits = Sandbox(), SandboxLimits(time_limit_s=5.0)

    def bare() -> None:
        subprocess.run([sys.executable, "-c", "pass"], check=True)

    def boxed() -> None:
        report = sandbox.run("pass", [b""], None, limits)
        assert report.ended == "done" and report.frames[0].status == "ok", report

    for _ in range(5):  # warm-up: the launcher starts on the first run
        bare(), boxed()
    times: dict[str, list[float]] = {"bare": [], "boxed": [], "fork": []}
    for i in range(runs):
        order = ("bare", "boxed") if i % 2 else ("boxed", "bare")
        for name in order:
            times[name].append(_timed(bare if name == "bare" else boxed))
        times["fork"].append(_timed(_fork_exit))
    sandbox.close()
    b_med, s_med = statistics.median(times["bare"]) * 1e3, statistics.median(times["boxed"]) * 1e3
    print(_line("bare `python -c pass`", times["bare"]) + f"   ({runs} runs each)")
    print(_line("sandboxed `pass`", times["boxed"]))
    print(_line("bare fork + exit (scale)", times["fork"]))
    print(f"overhead per run          median {s_med - b_med:6.1f} ms   ratio {s_med / b_med:.2f}x")


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
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--programs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    overhead(args.runs)
    throughput(args.programs, args.workers)


if __name__ == "__main__":
    main()
