"""Rows between data-pipeline steps: reading and writing them, naming them, and recording removals.

Steps pass plain schema rows (dicts, DESIGN.md §3) rather than `Problem`s, so a step keeps every field
of the row, including `extra_info` keys it does not know, and the output stays readable unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from or1.atomic import write_text_atomic
from or1.problems.schema import Problem, decode_ground_truth, read_table

__all__ = [
    "Removal", "StepOutcome", "dict_field", "extra", "read_table_rows", "row_problem", "row_uid", "write_json",
]


@dataclass(frozen=True)
class Removal:
    """Why one row left the data set.

    Attributes:
        uid: the row's identifier (`row_uid`).
        reason: a short snake_case reason shared by all rows removed for the same cause.
        detail: what triggered it (the matched row, the n-gram, the failure count, ...), JSON-serialisable.
    """

    uid: str
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The report entry {uid, reason, detail}."""
        return {"uid": self.uid, "reason": self.reason, "detail": self.detail}


@dataclass
class StepOutcome:
    """What a step returns: the rows it keeps, the rows it removes with reasons, and step statistics."""

    kept: list[dict[str, Any]]
    removed: list[Removal]
    stats: dict[str, Any] = field(default_factory=dict)


def dict_field(row: dict[str, Any], key: str) -> dict[str, Any]:
    """`row[key]` when it is a dict, else a new empty one (missing, or a parquet null read back as None)."""
    value = row.get(key)
    return value if isinstance(value, dict) else {}


def extra(row: dict[str, Any]) -> dict[str, Any]:
    """The row's `extra_info` dict, created in place when missing (parquet nulls read back as None)."""
    info = row["extra_info"] = dict_field(row, "extra_info")
    return info


def row_uid(row: dict[str, Any], position: int) -> str:
    """`data_source/index`, else `data_source/id`, else `data_source/#position` (as `load_problems` names rows)."""
    info = dict_field(row, "extra_info")
    key = info.get("index")
    if key is None:
        key = info.get("id")
    return f"{row.get('data_source')}/{key if key is not None else f'#{position}'}"


def row_problem(row: dict[str, Any], position: int) -> Problem:
    """A validated-enough `Problem` for the samplers (prompt, ability and decoded ground truth)."""
    gt = (row.get("reward_model") or {}).get("ground_truth")
    return Problem(row_uid(row, position), row["data_source"],
                   tuple({"role": m["role"], "content": m["content"]} for m in row["prompt"]),
                   row["ability"], decode_ground_truth(gt), dict(row.get("extra_info") or {}))


def read_table_rows(path: str | Path) -> tuple[list[dict[str, Any]], pa.Schema]:
    """Rows of a schema parquet file and its arrow schema (kept to write an empty result).

    Raises:
        DataError: the file is missing, unreadable, or lacks a required column.
    """
    table = read_table(path)
    return table.to_pylist(), table.schema


def write_json(obj: Any, path: str | Path) -> Path:
    """Write JSON atomically (indented, UTF-8)."""
    return write_text_atomic(path, json.dumps(obj, indent=1, ensure_ascii=False, default=str) + "\n")
