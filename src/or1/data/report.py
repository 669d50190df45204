"""Run one data step file to file, and write its JSON report: counts in and out, reasons, removed rows.

Every step of `or1 data` goes through `run_step`, so every step leaves the same evidence: the kept rows
as parquet and, beside it, `NAME.report.json` listing each removed row with its reason and detail.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from or1.data.rows import Removal, StepOutcome, read_table_rows, write_json
from or1.problems.schema import write_rows

__all__ = ["build_report", "report_path", "run_step"]

log = logging.getLogger(__name__)


def report_path(out_path: str | Path) -> Path:
    """`x/step.parquet` -> `x/step.report.json`."""
    out_path = Path(out_path)
    return out_path.with_name(out_path.name.removesuffix(".parquet") + ".report.json")


def build_report(step: str, inputs: list[str], output: str, count_in: int, outcome: StepOutcome,
                 options: Any, seconds: float) -> dict[str, Any]:
    """The JSON report of one step.

    Keys: step, inputs, output, count_in, count_out, removed, reasons ({reason: count}), options,
    stats (the step's own figures, e.g. dedup clusters), removed_rows ([{uid, reason, detail}]), seconds.
    """
    reasons = Counter(r.reason for r in outcome.removed)
    is_instance = dataclasses.is_dataclass(options) and not isinstance(options, type)
    opts = dataclasses.asdict(options) if is_instance else dict(options or {})
    return {
        "step": step,
        "inputs": inputs,
        "output": output,
        "count_in": count_in,
        "count_out": len(outcome.kept),
        "removed": len(outcome.removed),
        "reasons": dict(sorted(reasons.items())),
        "options": opts,
        "stats": outcome.stats,
        "removed_rows": [r.as_dict() for r in outcome.removed],
        "seconds": round(seconds, 3),
    }


def run_step(step: str, fn: Callable[[list[dict[str, Any]], Any], StepOutcome], input_path: str | Path,
             out_path: str | Path, options: Any) -> dict[str, Any]:
    """Read `input_path`, apply `fn(rows, options)`, write the kept rows and the report; return the report.

    Raises:
        DataError: the input is not a schema parquet file.
        RuntimeError: the step lost rows without recording a reason (a bug: rows are never dropped silently).
    """
    start = time.perf_counter()
    rows, schema = read_table_rows(input_path)
    outcome = fn(rows, options)
    check_accounting(step, len(rows), outcome.kept, outcome.removed)
    write_rows(outcome.kept, out_path, schema)
    report = build_report(step, [str(input_path)], str(out_path), len(rows), outcome, options,
                          time.perf_counter() - start)
    write_json(report, report_path(out_path))
    log.info("%s: %d -> %d rows %s", step, len(rows), len(outcome.kept), report["reasons"])
    return report


def check_accounting(step: str, count_in: int, kept: list[Any], removed: list[Removal]) -> None:
    """Every input row is either kept or removed with a reason."""
    if len(kept) + len(removed) != count_in:
        raise RuntimeError(f"{step}: {count_in} rows in but {len(kept)} kept + {len(removed)} removed")
