"""Host memory of the code verifier while a program pads a correct answer with blank space on every test.

Usage: python benchmarks/verify_code_memory.py [--tests 40] [--pad-mb 15] [--json]

The program prints the right sum and then `--pad-mb` MiB of spaces, on each of `--tests` tests; the
comparison ignores trailing blank space, so the run passes. Each test's output is compared as its frame
arrives and dropped, so the verifier's peak resident memory should grow by about one test's output, not by
all of them (docs/sandbox.md, "Host memory"). Peak = VmHWM after resetting it (`/proc/self/clear_refs`)
once the verifier is warm. Needs root (as the sandbox does).
"""

from __future__ import annotations

import argparse
import json
import time

from or1.rewards.code.verifier import CodeVerifier

PROGRAM = "import sys\na, b = map(int, input().split())\nprint(a + b)\nsys.stdout.write(' ' * ({pad} << 20))\n"


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def measure(tests: int, pad_mb: int) -> dict[str, float | str]:
    """Peak and final RSS growth (MiB) of one verification, from a warm verifier."""
    gt = {"inputs": [f"{i} {i}\n" for i in range(tests)], "outputs": [str(2 * i) for i in range(tests)]}
    with CodeVerifier(workers=1, time_limit_s=30.0) as verifier:
        warm = verifier.score_batch(["print(3)"], [{"inputs": [""], "outputs": ["3"]}], mode="program")
        assert warm[0].status == "ok", warm[0]
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak (VmHWM) to the current RSS
        before = _status_mib("VmRSS")
        start = time.perf_counter()
        result = verifier.score_batch([PROGRAM.format(pad=pad_mb)], [gt], mode="program")[0]
        seconds = time.perf_counter() - start
        peak, after = _status_mib("VmHWM"), _status_mib("VmRSS")
    return {
        "status": result.status,
        "tests": tests,
        "pad_mib": pad_mb,
        "rss_before_mib": round(before, 1),
        "peak_growth_mib": round(peak - before, 1),
        "final_growth_mib": round(after - before, 1),
        "seconds": round(seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=40)
    parser.add_argument("--pad-mb", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    m = measure(args.tests, args.pad_mb)
    if args.json:
        print(json.dumps(m))
        return
    print(
        f"{m['tests']} tests x {m['pad_mib']} MiB of padding: {m['status']} in {m['seconds']} s; RSS "
        f"{m['rss_before_mib']} MiB before, peak +{m['peak_growth_mib']} MiB, after +{m['final_growth_mib']} MiB"
    )


if __name__ == "__main__":
    main()
