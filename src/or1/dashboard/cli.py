"""`or1 report RUN_DIR`: the argument parser of the dashboard command."""

from __future__ import annotations

import argparse

__all__ = ["add_parser"]


def _report(a: argparse.Namespace) -> int:
    from or1.dashboard.run_report import write_run_report

    print(f"report: {write_run_report(a.run_dir, a.out)}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("report", help="the dashboard of a training run: PNG panels and report.md",
                       description="Draw every metric group of a run (reward by status, entropy and α, kept "
                                   "groups and refills, response length and truncation, clipping, loss and "
                                   "gradient norm, validation per data source and temperature, step time by "
                                   "phase) as PNGs, and write report.md with the settings, the first and latest "
                                   "numbers and the latest logged responses. Works on a run in progress.")
    r.add_argument("run_dir", help="a run's out_dir (it holds metrics.jsonl and config.yaml)")
    r.add_argument("--out", default=None, help="folder to write (default RUN_DIR/report)")
    r.set_defaults(fn=_report)
