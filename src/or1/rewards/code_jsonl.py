"""`or1 verify code FILE.jsonl`: score rows of programs or responses, one JSON result line per row."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from or1.rewards.code import CodeVerifier
from or1.rewards.types import RewardResult

__all__ = ["verify_jsonl"]

_BATCH = 64


def _rows(stream: TextIO) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(line number, row or None, error) for every non-blank line."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            yield number, None, f"line {number}: not JSON ({exc})"
            continue
        if (
            not isinstance(row, dict)
            or "ground_truth" not in row
            or not ("program" in row or "response" in row)
        ):
            yield number, None, f"line {number}: needs 'ground_truth' and 'program' or 'response'"
            continue
        yield number, row, ""


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


def verify_jsonl(
    path: str, workers: int | None = None, time_limit_s: float = 6.0, out: TextIO = sys.stdout
) -> int:
    """Score every row of a JSONL file and print one JSON line per row, in order.

    Rows: {"program" or "response", "ground_truth" (dict or JSON text), "time_limit_s"?}. Output lines:
    {"passed", "status", "tests_passed", "tests_total", "seconds"}; a malformed row prints
    {"passed": false, "status": "error", "error": ...}.

    Args:
        path: the JSONL file, or "-" for standard input.
        workers: concurrent sandboxes (default: CPU count).
        time_limit_s: wall-clock limit per test, unless a row sets its own.
        out: where result lines go.

    Returns:
        Exit code: 0 if every row was scored (passed or not), 1 if some row was malformed.
    """
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    bad = 0
    try:
        with CodeVerifier(workers=workers, time_limit_s=time_limit_s) as verifier:
            pending: list[tuple[int, dict[str, Any] | None, str]] = []
            for item in _rows(stream):
                pending.append(item)
                if len(pending) >= _BATCH:
                    bad += _flush(verifier, pending, out)
            bad += _flush(verifier, pending, out)
    finally:
        if stream is not sys.stdin:
            stream.close()
    return 1 if bad else 0


def _flush(verifier: CodeVerifier, pending: list[tuple[int, dict[str, Any] | None, str]], out: TextIO) -> int:
    """Score and print the pending rows in order; return how many were malformed."""
    good = [row for _, row, _ in pending if row is not None]
    results = iter(_score_rows(verifier, good))  # type: ignore[arg-type]
    bad = 0
    for _, row, error in pending:
        if row is None:
            bad += 1
            out.write(json.dumps({"passed": False, "status": "error", "error": error}) + "\n")
        else:
            out.write(json.dumps(next(results)) + "\n")
    out.flush()
    pending.clear()
    return bad
