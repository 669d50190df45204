"""Evaluation problems to decontaminate against: schema parquet files, or LiveCodeBench release files.

Each problem is kept as its benchmark name (the file's stem), its uid, its problem text (as
decontamination compares it: `text.problem_text`, a code problem's without its platform template,
`code_text.compared_text`), its date (`extra_info.contest_date`, when given) and its
ability. A LiveCodeBench release file (parquet or JSONL rows with `question_content`, as the benchmark
publishes them) is read as is: its statements, `contest_date` and `question_id`, tests unread, so the
file need not be ingested first (an ingested one reads the same).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from or1.data.code_text import compared_text
from or1.data.ingest_checks import Reject
from or1.data.ingest_code import detect_code_format, lcb_statement
from or1.data.rows import dict_field, row_uid
from or1.data.text import problem_text
from or1.problems.schema import REQUIRED_COLUMNS, DataError

__all__ = ["EvalProblems", "load_eval_problems"]


@dataclass
class EvalProblems:
    """Parallel lists, one entry per eval problem, plus how many a date window left out."""

    names: list[tuple[str, str]] = field(default_factory=list)  # (benchmark, uid)
    texts: list[str] = field(default_factory=list)
    dates: list[str | None] = field(default_factory=list)
    abilities: list[str | None] = field(default_factory=list)
    outside_window: int = 0


def _raw_rows(path: Path) -> list[dict[str, Any]]:
    """Every row of a parquet or JSONL file, columns unchecked."""
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".jsonl"):
        raise DataError(f"{path}: an eval file must be schema parquet or a LiveCodeBench release file "
                        "(.parquet or .jsonl); convert other layouts with or1 data ingest")
    if not path.is_file():
        raise DataError(f"{path}: no such data file")
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path).to_pylist()
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as e:  # pyarrow's errors are ValueErrors and OSErrors; so are JSON's
        raise DataError(f"{path}: not a readable {suffix[1:]} file ({e})") from None


def _problem(path: Path, i: int, r: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
    """(uid, text, date, ability) of row `i`, a LiveCodeBench release row or a schema row."""
    if detect_code_format(r) == "livecodebench":
        try:
            text, date, qid = lcb_statement(r)
        except Reject as e:
            raise DataError(f"{path}: row {i}: {e.reason} {e.detail}") from None
        return f"livecodebench/{qid if qid is not None else i}", compared_text(text, "code"), date, "code"
    missing = [c for c in REQUIRED_COLUMNS if c not in r]
    if missing:
        raise DataError(f"{path}: row {i}: neither a schema row nor a LiveCodeBench release row "
                        f"(missing required column(s) {', '.join(missing)})")
    info = dict_field(r, "extra_info")
    date = str(info["contest_date"])[:10] if info.get("contest_date") else None
    return row_uid(r, i), compared_text(problem_text(r), r.get("ability")), date, r.get("ability")


def load_eval_problems(files: tuple[str, ...], after: str | None = None) -> EvalProblems:
    """Read every eval file; with `after`, keep only problems dated on or after it (undated ones are kept).

    Raises:
        DataError: a file is neither parquet nor JSONL, is missing or unreadable, or a row is neither a
            schema row nor a LiveCodeBench release row (named).
    """
    out = EvalProblems()
    for f in files:
        path = Path(f)
        for i, r in enumerate(_raw_rows(path)):
            uid, text, date, ability = _problem(path, i, r)
            if after is not None and date is not None and date < after[:10]:
                out.outside_window += 1
                continue
            out.names.append((path.stem, uid))
            out.texts.append(text)
            out.dates.append(date)
            out.abilities.append(ability)
    return out
