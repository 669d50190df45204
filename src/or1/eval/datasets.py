"""Evaluation data sets: parquet files in the release schema (DESIGN.md §3), or a set shipped with or1."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from or1.problems.builtin import BUILTIN, resolve_data_file
from or1.problems.schema import DataError, Problem, load_problems

__all__ = ["PACKAGED", "EvalSet", "load_eval_set", "load_eval_sets"]

# Sets shipped inside the package, usable by name: `or1 eval --data aime24 --data code_tiny`.
PACKAGED = BUILTIN


@dataclass(frozen=True)
class EvalSet:
    """One data file to evaluate on.

    Attributes:
        name: the file's stem (`aime24`), used for output file names and table rows.
        path: the resolved file.
        problems: its validated rows; `uid`s are unique within the set.
    """

    name: str
    path: Path
    problems: list[Problem]


def _unique_ids(problems: list[Problem]) -> list[Problem]:
    """Problems whose uid repeats (e.g. a file without `extra_info.index`) get the row number appended."""
    seen: dict[str, int] = {}
    for p in problems:
        seen[p.uid] = seen.get(p.uid, 0) + 1
    return [p if seen[p.uid] == 1 else replace(p, uid=f"{p.uid}#row{i}") for i, p in enumerate(problems)]


def load_eval_set(spec: str) -> EvalSet:
    """Load a parquet file, or a packaged set by name (see `PACKAGED`).

    Raises:
        DataError: the file is missing, lacks a required column, or has a malformed row (named).
    """
    path = resolve_data_file(spec)
    if not path.is_file():
        raise DataError(f"{spec}: no such data file (packaged sets: {', '.join(PACKAGED)})")
    return EvalSet(path.stem, path.resolve(), _unique_ids(load_problems(path)))


def load_eval_sets(specs: list[str] | tuple[str, ...]) -> list[EvalSet]:
    """Load and validate every set before anything is sampled, so bad input fails before any output.

    Raises:
        DataError: as `load_eval_set`, or two files with the same name (their outputs would collide).
    """
    sets = [load_eval_set(s) for s in specs]
    names = [s.name for s in sets]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DataError(f"two data files are named {dup[0]!r}; output files are named after the file, rename one")
    return sets
