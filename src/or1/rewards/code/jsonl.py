"""`or1 verify code FILE.jsonl`: score rows of programs or responses, one JSON result line per input line.

A line that is blank, not UTF-8, not JSON or a malformed row gets an error line naming its line
(jsonl_rows.py); the run goes on. A summary line with counts by status, and which bound on a run's total
memory is in force (docs/sandbox.md), goes to stderr.
"""

from __future__ import annotations

import json
import sys
from itertools import islice
from typing import Any, TextIO

from or1.rewards.code.verifier import CodeVerifier
from or1.rewards.jsonl_rows import Row, StatusTally, read_rows
from or1.rewards.types import RewardResult

__all__ = ["verify_jsonl"]

_BATCH = 64


def _row_error(row: Row) -> str:
    """Why a row cannot be scored ("" if it can)."""
    if row.data is None:
        return row.error
    if "ground_truth" not in row.data or not ("program" in row.data or "response" in row.data):
        return f"line {row.line}: needs 'ground_truth' and 'program' or 'response'"
    return ""


def _line(res: RewardResult) -> dict[str, Any]:
    return {
        "passed": res.correct,
        "status": res.status,
        "tests_passed": int(res.detail.get("tests_passed", 0)),
        "tests_total": int(res.detail.get("tests_total", 0)),
        "seconds": round(res.seconds, 4),
    }


def _score_rows(verifier: CodeVerifier, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Result lines for well-formed rows, in order; one batch per mode ("program" wins if both)."""
    results: list[RewardResult] = [RewardResult(0.0, "error")] * len(rows)
    modes = ["program" if "program" in row else "response" for row in rows]
    for mode in ("program", "response"):
        idx = [i for i, m in enumerate(modes) if m == mode]
        if not idx:
            continue
        batch = verifier.score_batch(
            [str(rows[i][mode]) for i in idx],
            [rows[i]["ground_truth"] for i in idx],
            mode,
            [rows[i].get("time_limit_s") for i in idx],
        )
        for i, res in zip(idx, batch, strict=True):
            results[i] = res
    return [_line(res) for res in results]


def _records(verifier: CodeVerifier, batch: list[Row]) -> list[dict[str, Any]]:
    """The output lines of a batch of rows, in order: results, and errors where a row is malformed."""
    errors = [_row_error(row) for row in batch]
    good = [row.data for row, error in zip(batch, errors, strict=True) if not error]
    results = iter(_score_rows(verifier, good))  # type: ignore[arg-type]
    return [{"passed": False, "status": "error", "error": e} if e else next(results) for e in errors]


def verify_jsonl(
    path: str,
    workers: int | None,
    time_limit_s: float,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Score every line of a JSONL file and print one JSON line per input line, in order.

    Rows: {"program" or "response", "ground_truth" (dict or JSON text), "time_limit_s"?}. Output lines:
    {"passed", "status", "tests_passed", "tests_total", "seconds"}; a malformed row prints
    {"passed": false, "status": "error", "error": "line N: ..."}.

    Args:
        path: the JSONL file, or "-" for standard input.
        workers: concurrent sandboxes (default: CPU count).
        time_limit_s: wall-clock limit per test, unless a row sets its own.
        out: where result lines go.
        err: where the summary line goes.

    Returns:
        Exit code: 0 if every row was scored (passed or not), 1 if some row was malformed.

    Raises:
        OSError: the file cannot be opened or read.
    """
    tally = StatusTally()
    with CodeVerifier(workers=workers, time_limit_s=time_limit_s) as verifier:
        rows = read_rows(path)
        try:
            while batch := list(islice(rows, _BATCH)):
                for record in _records(verifier, batch):
                    tally.add(record["status"], record["passed"])
                    out.write(json.dumps(record) + "\n")
                out.flush()
        finally:
            bound = verifier.sandbox.memory_bound
            err.write(f"{tally.summary('or1 verify code', 'passed')} (run memory: {bound})\n")
    return 1 if tally.counts["error"] else 0
