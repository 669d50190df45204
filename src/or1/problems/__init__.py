"""Problems: the parquet schema every data file follows (DESIGN.md §3) and the packaged evaluation sets."""

from __future__ import annotations

from or1.lazy import lazy_exports

__all__ = ["BUILTIN", "DataError", "Problem", "load_problems", "read_table", "resolve_data_file", "write_rows"]

_WHERE = {"BUILTIN": "builtin", "resolve_data_file": "builtin", "DataError": "schema", "Problem": "schema",
          "load_problems": "schema", "read_table": "schema", "write_rows": "schema"}

__getattr__ = lazy_exports(__name__, _WHERE)
