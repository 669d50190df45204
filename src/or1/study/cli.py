"""`or1 study NAME` argument parsing (kept free of heavy imports: it is built with every `or1` invocation)."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from or1.argtypes import positive_int

__all__ = ["add_parser", "run"]

_NAMES = ("entropy", "filtering", "truncation", "temperature", "clip-higher", "staleness")

_DESCRIPTION = """\
Reproduce one of the Skywork-OR1 report's ablation findings in miniature: the tiny Qwen2 model on the
synthetic a+b-c task, every arm trained from the same SFT warm start (made once, cached in --cache), over
several seeds. Studies:
  entropy      on-policy vs off-policy (N_SGD = 4), each with and without adaptive entropy control
  filtering    online filtering of zero-advantage groups on vs off
  truncation   truncated-response mask vs no mask, with a tight context
  temperature  rollout temperature 1.0 vs 0.6
  clip-higher  ε_high 0.2 vs 0.26 vs 0.3
  staleness    asynchronous rollouts s = 0, 1, 2, 4 steps stale, each with and without adaptive entropy control
Writes OUT/report.md (settings, final held-out Avg@K per arm with 95% bootstrap CIs over seeds and problems,
and for each of the paper's findings whether its direction was reproduced, with the numbers),
OUT/results.json, OUT/plots/{accuracy,entropy,alpha,length}.png (mean over seeds with a seed band) and
per-run TensorBoard logs under OUT/runs/<arm>/seed<k>/. Runs execute in parallel subprocesses, one torch
thread each. Rerunning the same command skips finished runs and resumes unfinished ones from their
checkpoints; --seeds may grow between invocations."""


def run(a: argparse.Namespace) -> int:
    """Run (or resume) the study, then write its report; prints the report's path."""
    from or1.study.report import write_report
    from or1.study.runner import ensure_warm_eval, run_study
    from or1.study.studies import get_study
    from or1.study.warm import warm_start

    study = get_study(a.name)
    out = Path(a.out or f"runs/study/{a.name}{'-quick' if a.quick else ''}")
    t0 = time.time()
    ws = warm_start(a.cache, quick=a.quick, progress=not a.no_progress)
    if a.report_only:
        ensure_warm_eval(study, ws, a.quick)
    else:
        run_study(study, out, ws, a.seeds, a.jobs, quick=a.quick)
    report = write_report(study, out, a.seeds, a.quick, None if a.report_only else time.time() - t0)
    print(f"report: {report}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `or1 study`."""
    s = sub.add_parser("study", help="reproduce one of the report's ablations in miniature, across seeds",
                       description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("name", choices=_NAMES, metavar="NAME", help="one of: " + ", ".join(_NAMES))
    s.add_argument("--seeds", type=positive_int, default=None, help="seeds per arm (default 3; --quick: 2)")
    s.add_argument("--jobs", type=positive_int, default=os.cpu_count() or 1,
                   help=f"runs at once, one core each (default: the number of cores, {os.cpu_count()})")
    s.add_argument("--out", default=None, help="study folder (default runs/study/NAME, or NAME-quick)")
    s.add_argument("--cache", default="runs/study/_warm",
                   help="folder of the shared data and SFT warm start (default runs/study/_warm)")
    s.add_argument("--quick", action="store_true", help="a few tiny steps per run, to check that everything works")
    s.add_argument("--report-only", action="store_true", help="only rewrite the report from the finished runs")
    s.add_argument("--no-progress", action="store_true", help="no progress bar for the warm start")
    s.set_defaults(fn=_dispatch)


def _dispatch(a: argparse.Namespace) -> int:
    if a.seeds is None:
        a.seeds = 2 if a.quick else 3
    return run(a)
