"""`or1 verify math FILE.jsonl`: check (prediction, gold) rows from a file or stdin.

Row: {"prediction": str, "gold": str | list[str], "mode"?: "answer" (default) | "response"}.
Output, one JSON line per row in input order: {"correct": bool, "status": str, "seconds": float}, where
status is "ok" (compared; `correct` says the verdict), "timeout", "error", "unfinished" or "no_answer".
A malformed row gets status "error" and a "message" naming its row number; the run goes on.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from itertools import islice
from typing import Any, TextIO

from or1.rewards.math import MathVerifier
from or1.rewards.types import RewardResult

__all__ = ["verify_jsonl"]

logger = logging.getLogger(__name__)

_BATCH_ROWS = 2048  # rows scored per pool round trip; output appears batch by batch


def _read_row(line: str, row: int) -> tuple[str, str | list[str], str] | str:
    """(prediction, gold, mode) of a row, or the error message naming the row."""
    try:
        data: Any = json.loads(line)
    except ValueError as exc:
        return f"row {row}: invalid JSON ({exc})"
    if not isinstance(data, dict):
        return f"row {row}: expected a JSON object"
    pred, gold, mode = data.get("prediction"), data.get("gold"), data.get("mode", "answer")
    if not isinstance(pred, str):
        return f"row {row}: 'prediction' must be a string"
    gold_list = isinstance(gold, list) and gold and all(isinstance(g, str) for g in gold)
    if not (isinstance(gold, str) or gold_list):
        return f"row {row}: 'gold' must be a string or a non-empty list of strings"
    if mode not in ("answer", "response"):
        return f"row {row}: 'mode' must be 'answer' or 'response', not {mode!r}"
    return pred, gold, mode


def _output(result: RewardResult) -> dict[str, Any]:
    status = "ok" if result.status in ("ok", "wrong") else result.status
    return {"correct": result.correct, "status": status, "seconds": round(result.seconds, 6)}


def _score_rows(verifier: MathVerifier, rows: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """Output records of (line number, line) rows, in order."""
    records: list[dict[str, Any]] = [{}] * len(rows)
    by_mode: dict[str, list[tuple[int, str, str | list[str]]]] = {"answer": [], "response": []}
    for i, (n, line) in enumerate(rows):
        row = _read_row(line, n)
        if isinstance(row, str):
            records[i] = {"correct": False, "status": "error", "seconds": 0.0, "message": row}
        else:
            by_mode[row[2]].append((i, row[0], row[1]))
    for mode, todo in by_mode.items():
        if todo:
            results = verifier.score_batch([t[1] for t in todo], [t[2] for t in todo], mode)
            for (i, _, _), result in zip(todo, results, strict=True):
                records[i] = _output(result)
    return records


def _run(lines: Iterable[str], verifier: MathVerifier, out: TextIO) -> int:
    numbered = ((n, line) for n, line in enumerate(lines, start=1) if line.strip())
    errors = 0
    while batch := list(islice(numbered, _BATCH_ROWS)):
        for record in _score_rows(verifier, batch):
            errors += record["status"] == "error"
            out.write(json.dumps(record) + "\n")
        out.flush()
    return 1 if errors else 0


def verify_jsonl(
    path: str, workers: int | None = None, timeout_s: float = 5.0, out: TextIO = sys.stdout
) -> int:
    """Verify every row of a JSONL file and print one JSON result line per row, in order.

    Args:
        path: the file, or "-" for stdin. Blank lines are skipped; rows are numbered by line.
        workers: worker processes for the symbolic comparisons; default os.cpu_count().
        timeout_s: wall-clock limit per verification.
        out: where the result lines go.

    Returns:
        Exit code: 0 when every row was read, 1 when some row was malformed or the file unreadable.
    """
    with MathVerifier(workers=workers, timeout_s=timeout_s) as verifier:
        if path == "-":
            return _run(sys.stdin, verifier, out)
        try:
            with open(path, encoding="utf-8") as f:
                return _run(f, verifier, out)
        except OSError as exc:
            logger.error("cannot read %s: %s", path, exc)
            return 1
