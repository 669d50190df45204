"""Evaluation problems to decontaminate against: schema parquet files or LiveCodeBench release JSONL.

Each problem is kept as its benchmark name (the file's stem), its uid, its problem text (as dedup and
decontamination read it, `text.problem_text`) and its date (`extra_info.contest_date`, when given).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from or1.data.rows import read_table_rows, row_uid
from or1.data.schema import DataError
from or1.data.text import problem_text

__all__ = ["EvalProblems", "load_eval_problems"]


@dataclass
class EvalProblems:
    """Parallel lists, one entry per eval problem, plus how many a date window left out."""

    names: list[tuple[str, str]] = field(default_factory=list)  # (benchmark, uid)
    texts: list[str] = field(default_factory=list)
    dates: list[str | None] = field(default_factory=list)
    outside_window: int = 0


def _jsonl_rows(path: Path) -> list[dict]:
    """Schema rows of a raw JSONL file in one of the code layouts (LiveCodeBench, TACO, LeetCode)."""
    from or1.data.ingest_checks import Reject
    from or1.data.ingest_code import code_row

    rows = []
    for k, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        try:
            rows.append(code_row(json.loads(line)))
        except (json.JSONDecodeError, Reject) as e:
            detail = getattr(e, "detail", None) or str(e)
            raise DataError(f"{path}: row {k}: not a usable eval problem ({getattr(e, 'reason', 'bad JSON')}: "
                            f"{detail})") from None
    return rows


def load_eval_problems(files: tuple[str, ...], after: str | None = None) -> EvalProblems:
    """Read every eval file; with `after`, keep only problems dated on or after it (undated ones are kept).

    Raises:
        DataError: a file is missing or unreadable, or a JSONL row is not a problem (file and row named).
    """
    out = EvalProblems()
    for f in files:
        path = Path(f)
        if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
            if not path.is_file():
                raise DataError(f"{path}: no such data file")
            rows = _jsonl_rows(path)
        else:
            rows, _ = read_table_rows(path)
        for i, r in enumerate(rows):
            info = r.get("extra_info") if isinstance(r.get("extra_info"), dict) else {}
            date = str(info["contest_date"])[:10] if info.get("contest_date") else None
            if after is not None and date is not None and date < after[:10]:
                out.outside_window += 1
                continue
            out.names.append((path.stem, row_uid(r, i)))
            out.texts.append(problem_text(r))
            out.dates.append(date)
    return out
