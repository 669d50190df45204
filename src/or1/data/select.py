"""`or1 data select --keep 1..15`: keep rows by `extra_info.model_difficulty[model]` (failures out of N).

Reads the released Skywork-OR1-RL-Data layout as-is: `model_difficulty` is a dict (a parquet struct)
keyed by base model name, e.g. `DeepSeek-R1-Distill-Qwen-7B`; a model without a value is null there.
As in the original filter, rows without a value for the chosen model are dropped (reason
no_difficulty), and the range is inclusive: 1..15 drops 0/16 (always solved, reason too_easy) and 16/16
(never solved, reason too_hard). Rows written by `or1 data difficulty` have the same layout. A model name
that no row has a value for is an error naming the names the data has (a typo would keep 0 rows).
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from typing import Any

from or1.config import SelectOptions, parse_keep
from or1.data.rows import Removal, StepOutcome, row_uid
from or1.problems.schema import DataError

__all__ = ["difficulty_value", "model_difficulty", "select_rows"]

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


def _no_value_error(rows: list[dict[str, Any]], model_name: str) -> DataError:
    """The error for a `model_name` no row has a value for, listing the names that have values."""
    counts = Counter(k for row in rows for k, v in model_difficulty(row).items()
                     if v is not None and not isinstance(v, bool))
    key = f"extra_info.model_difficulty.{model_name}"
    if not counts:
        return DataError(f"select: no row has {key} (none of the {len(rows)} rows has any extra_info."
                         f"model_difficulty value): rate the rows first with `or1 data difficulty --model-name "
                         f"{model_name}`")
    near = difflib.get_close_matches(model_name, list(counts), n=1)
    seen = ", ".join(f"{k} ({n} rows)" for k, n in sorted(counts.items()))
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    return DataError(f"select: no row of {len(rows)} has a value for {key}{hint}. Model names with values: {seen}. "
                     "Pass one of them as --model-name, or rate the rows with `or1 data difficulty` first")


def select_rows(rows: list[dict[str, Any]], opts: SelectOptions) -> StepOutcome:
    """Keep rows whose difficulty for `opts.model_name` lies in `opts.keep` (reasons in the module doc).

    Raises:
        DataError: rows were given but none has a value for `opts.model_name` (the message lists the names
            that have values).
    """
    if rows and all(difficulty_value(row, opts.model_name) is None for row in rows):
        raise _no_value_error(rows, opts.model_name)
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
