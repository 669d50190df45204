"""`or1 data select --keep 1..15`: keep rows by `extra_info.model_difficulty[model]` (failures out of N).

Reads the released Skywork-OR1-RL-Data layout as-is: `model_difficulty` is a dict (a parquet struct)
keyed by base model name, e.g. `DeepSeek-R1-Distill-Qwen-7B`; a model without a value is null there.
As in the original filter, rows without a value for the chosen model are dropped (reason
no_difficulty), and the range is inclusive: 1..15 drops 0/16 (always solved, reason too_easy) and 16/16
(never solved, reason too_hard). Rows written by `or1 data difficulty` have the same layout.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from or1.data.rows import Removal, StepOutcome, row_uid

__all__ = ["SelectOptions", "difficulty_value", "model_difficulty", "parse_keep", "select_rows"]

_RANGE = re.compile(r"^\s*(\d*)\s*\.\.\s*(\d*)\s*$")


def parse_keep(spec: str) -> tuple[int | None, int | None]:
    """`"1..15"` -> (1, 15); either bound may be left out (`"..15"`, `"1.."`); `"7"` -> (7, 7).

    Raises:
        ValueError: not of that form, or low > high.
    """
    if spec.strip().isdigit():
        return int(spec), int(spec)
    m = _RANGE.match(spec)
    if not m:
        raise ValueError(f"select.keep={spec!r} must look like 1..15, ..15, 1.. or 7")
    lo, hi = (int(g) if g else None for g in m.groups())
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"select.keep={spec!r}: the low bound is above the high bound")
    return lo, hi


@dataclass(frozen=True)
class SelectOptions:
    """Which rows `select` keeps.

    Attributes:
        keep: inclusive range of failures to keep (`parse_keep`), the paper's 1..15 for 16 samples.
        model_name: the `model_difficulty` key, e.g. DeepSeek-R1-Distill-Qwen-7B.
    """

    keep: str = "1..15"
    model_name: str = ""

    def __post_init__(self) -> None:
        parse_keep(self.keep)
        if not self.model_name:
            raise ValueError("select.model_name: name the base model whose difficulty to use "
                             "(a key of extra_info.model_difficulty, e.g. DeepSeek-R1-Distill-Qwen-7B)")


def model_difficulty(row: dict[str, Any]) -> dict[str, Any]:
    """`extra_info.model_difficulty` as a dict (a struct, or a JSON string in some copies of the data)."""
    info = row.get("extra_info")
    value = info.get("model_difficulty") if isinstance(info, dict) else None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    return value if isinstance(value, dict) else {}


def difficulty_value(row: dict[str, Any], model_name: str) -> int | None:
    """Failures out of N for `model_name`, or None when the row has no value for it."""
    value = model_difficulty(row).get(model_name)
    if value is None or isinstance(value, bool):
        return None
    return int(value)


def select_rows(rows: list[dict[str, Any]], opts: SelectOptions) -> StepOutcome:
    """Keep rows whose difficulty for `opts.model_name` lies in `opts.keep` (reasons in the module doc)."""
    lo, hi = parse_keep(opts.keep)
    kept, removed = [], []
    for i, row in enumerate(rows):
        d = difficulty_value(row, opts.model_name)
        if d is None:
            reason = "no_difficulty"
        elif lo is not None and d < lo:
            reason = "too_easy"
        elif hi is not None and d > hi:
            reason = "too_hard"
        else:
            kept.append(row)
            continue
        removed.append(Removal(row_uid(row, i), reason, {"model": opts.model_name, "failures": d,
                                                         "keep": opts.keep}))
    return StepOutcome(kept, removed, {"model": opts.model_name, "keep": opts.keep})
