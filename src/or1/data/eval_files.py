"""Evaluation problems to decontaminate against: schema parquet files.

Each problem is kept as its benchmark name (the file's stem), its uid, its problem text (as dedup and
decontamination read it, `text.problem_text`) and its date (`extra_info.contest_date`, when given).
"""

from __future__ import annotations

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


def load_eval_problems(files: tuple[str, ...], after: str | None = None) -> EvalProblems:
    """Read every eval file; with `after`, keep only problems dated on or after it (undated ones are kept).

    Raises:
        DataError: a file is not parquet, is missing or unreadable, or lacks a required column.
    """
    out = EvalProblems()
    for f in files:
        path = Path(f)
        if path.suffix.lower() != ".parquet":
            raise DataError(f"{path}: an eval file must be schema parquet (convert other layouts with or1 data ingest)")
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
