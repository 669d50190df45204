"""The RL data schema (DESIGN.md §3): read and write parquet rows as the original release stores them.

Row: `data_source` str · `prompt` list of {role, content} · `ability` str · `reward_model` {style,
ground_truth: str} · `extra_info` {index|id, split, ...}. Files of the original release load unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from or1.atomic import atomic_file
from or1.problems.builtin import BUILTIN, resolve_data_file

__all__ = ["REQUIRED_COLUMNS", "DataError", "Problem", "decode_ground_truth", "load_problems", "read_table",
           "write_rows"]

REQUIRED_COLUMNS = ("data_source", "prompt", "ability", "reward_model")


class DataError(ValueError):
    """A data file or row that does not follow the schema; the message names the file and the row."""


@dataclass(frozen=True)
class Problem:
    """One training or evaluation problem.

    Attributes:
        uid: stable identifier, `data_source/index` (from `extra_info.index` or `.id`, else the row number).
        ground_truth: decoded answer: a string, a list of acceptable answers (math), or a test dict (code).
    """

    uid: str
    data_source: str
    prompt: tuple[dict[str, str], ...]
    ability: str
    ground_truth: Any
    extra_info: dict[str, Any] = field(default_factory=dict)


def decode_ground_truth(raw: Any) -> Any:
    """Decode `reward_model.ground_truth` as the original loader does, without its pitfalls.

    The release stores code tests and lists of math answers as JSON strings. A string that decodes to a
    list or dict is returned decoded; anything else (another JSON value, a non-string) is returned as it is,
    so "025" and "204" are never turned into numbers (json would read "204" as an int and lose AIME's zero
    padding elsewhere).
    """
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, TypeError):
        return raw
    if isinstance(value, list):
        return [v if isinstance(v, str) else json.dumps(v) for v in value]
    return value if isinstance(value, dict) else raw


def _check_row(row: dict[str, Any], where: str) -> Problem:
    prompt = row.get("prompt")
    if not isinstance(prompt, list) or not prompt:
        raise DataError(f"{where}: 'prompt' must be a non-empty list of {{role, content}} messages")
    for m in prompt:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise DataError(f"{where}: every prompt message needs string 'role' and 'content'")
    ability = row.get("ability")
    if not isinstance(ability, str) or not ability:
        raise DataError(f"{where}: 'ability' must be a non-empty string (e.g. 'math', 'code')")
    reward_model = row.get("reward_model")
    gt = reward_model.get("ground_truth") if isinstance(reward_model, dict) else None
    if not isinstance(gt, str) or not gt.strip():
        raise DataError(f"{where}: 'reward_model.ground_truth' is missing or empty")
    data_source = row.get("data_source")
    if not isinstance(data_source, str) or not data_source:
        raise DataError(f"{where}: 'data_source' must be a non-empty string")
    extra = row.get("extra_info") or {}
    return Problem(
        uid="",
        data_source=data_source,
        prompt=tuple({"role": m["role"], "content": m["content"]} for m in prompt),
        ability=ability,
        ground_truth=decode_ground_truth(gt),
        extra_info=dict(extra),
    )


def read_table(path: str | Path) -> pa.Table:
    """A parquet file that holds the required columns (its rows are not checked).

    Raises:
        DataError: the file is missing, unreadable, or lacks a required column.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such data file")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as e:
        raise DataError(f"{path}: not a readable parquet file ({e})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise DataError(f"{path}: missing required column(s) {', '.join(missing)}")
    return table


def load_problems(path: str | Path) -> list[Problem]:
    """Read and validate every row of a parquet file, or of a packaged set given by name (`aime24`).

    Names resolve as `or1.problems.builtin.resolve_data_file` says: an existing file wins over a name.

    Raises:
        DataError: the file is missing or unreadable, lacks a required column, or a row is malformed
            (the message names the row number).
    """
    path = resolve_data_file(path)
    if not path.is_file():
        raise DataError(f"{path}: no such data file (packaged sets, usable by name: {', '.join(BUILTIN)})")
    problems = []
    for i, row in enumerate(read_table(path).to_pylist()):
        p = _check_row(row, f"{path}: row {i}")
        key = p.extra_info.get("index", p.extra_info.get("id", i))
        problems.append(Problem(f"{p.data_source}/{key}", p.data_source, p.prompt, p.ability,
                                p.ground_truth, p.extra_info))
    if not problems:
        raise DataError(f"{path}: holds no rows")
    return problems


def write_rows(rows: list[dict[str, Any]], path: str | Path, empty_schema: pa.Schema | None = None) -> Path:
    """Write schema rows to parquet atomically (a temporary file renamed into place).

    An empty `rows` is written with `empty_schema` when given, so it still reads back as schema rows.
    """
    table = pa.Table.from_pylist(rows) if rows or empty_schema is None else empty_schema.empty_table()
    with atomic_file(path) as tmp:
        pq.write_table(table, tmp)
    return Path(path)
