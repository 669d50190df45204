"""`or1 verify math FILE.jsonl`: check (prediction, gold) rows from a file or stdin.

Row: {"prediction": str, "gold": str | list[str], "mode"?: "answer" (default) | "response"}.
Output, one JSON line per input line in input order: {"correct": bool, "status": str, "seconds": float},
where status is "ok" (compared; `correct` says the verdict), "timeout", "error", "unfinished" or
"no_answer". A line that is blank, not UTF-8, not JSON or a malformed row gets status "error" and a
"message" naming its line (jsonl_rows.py); the run goes on. A summary line with counts by status goes to
stderr.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from itertools import islice
from typing import Any, TextIO

from or1.rewards.jsonl_rows import Row, StatusTally, read_rows
from or1.rewards.math.verifier import MathVerifier
from or1.rewards.types import RewardResult

__all__ = ["verify_jsonl"]

logger = logging.getLogger(__name__)

_BATCH_ROWS = 2048  # rows scored per pool round trip; output appears batch by batch


def _read_row(row: Row) -> tuple[str, str | list[str], str] | str:
    """(prediction, gold, mode) of a row, or the error message naming its line."""
    if row.data is None:
        return row.error
    n, data = row.line, row.data
    pred, gold, mode = data.get("prediction"), data.get("gold"), data.get("mode", "answer")
    if not isinstance(pred, str):
        return f"line {n}: 'prediction' must be a string"
    if not (isinstance(gold, str) or (isinstance(gold, list) and gold and all(isinstance(g, str) for g in gold))):
        return f"line {n}: 'gold' must be a string or a non-empty list of strings"
    if mode not in ("answer", "response"):
        return f"line {n}: 'mode' must be 'answer' or 'response', not {mode!r}"
    return pred, gold, str(mode)


def _output(result: RewardResult) -> dict[str, Any]:
    status = "ok" if result.status in ("ok", "wrong") else result.status
    return {"correct": result.correct, "status": status, "seconds": round(result.seconds, 6)}


def _score_rows(verifier: MathVerifier, rows: list[Row]) -> list[dict[str, Any]]:
    """Output records of the rows, in order."""
    records: list[dict[str, Any]] = [{}] * len(rows)
    by_mode: dict[str, list[tuple[int, str, str | list[str]]]] = {"answer": [], "response": []}
    for i, row in enumerate(rows):
        parsed = _read_row(row)
        if isinstance(parsed, str):
            records[i] = {"correct": False, "status": "error", "seconds": 0.0, "message": parsed}
        else:
            by_mode[parsed[2]].append((i, parsed[0], parsed[1]))
    for mode, todo in by_mode.items():
        if todo:
            results = verifier.score_batch([t[1] for t in todo], [t[2] for t in todo], mode)
            for (i, _, _), result in zip(todo, results, strict=True):
                records[i] = _output(result)
    return records


def _run(rows: Iterable[Row], verifier: MathVerifier, out: TextIO, tally: StatusTally) -> int:
    rows = iter(rows)
    while batch := list(islice(rows, _BATCH_ROWS)):
        for record in _score_rows(verifier, batch):
            tally.add(record["status"], record["correct"])
            out.write(json.dumps(record) + "\n")
        out.flush()
    return 1 if tally.counts["error"] else 0


def verify_jsonl(
    path: str,
    workers: int | None,
    timeout_s: float,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Verify every line of a JSONL file and print one JSON result line per input line, in order.

    Args:
        path: the file, or "-" for stdin. Rows are numbered by line; a blank line is an error row.
        workers: worker processes for the symbolic comparisons; default os.cpu_count().
        timeout_s: wall-clock limit per verification.
        out: where the result lines go.
        err: where the summary line (counts by status) goes.

    Returns:
        Exit code: 0 when every row was read, 1 when some row was malformed or the file unreadable.
    """
    tally = StatusTally()
    with MathVerifier(workers=workers, timeout_s=timeout_s) as verifier:
        try:
            code = _run(read_rows(path), verifier, out, tally)
        except OSError as exc:
            logger.error("cannot read %s: %s", path, exc)
            code = 1
    err.write(tally.summary("or1 verify math", "correct") + "\n")
    return code
