"""`or1 data`: the data pipeline (DESIGN.md §2): ingest, clean, dedup, decontaminate, difficulty, judge,
select, each a step from parquet to parquet with a funnel report. Names are imported on first use."""

from __future__ import annotations

from or1.lazy import lazy_exports

__all__ = ["ingest", "load_pipeline", "run_data_step", "run_pipeline", "synthetic_rows"]

_WHERE = {"ingest": "ingest", "load_pipeline": "pipeline", "run_data_step": "pipeline", "run_pipeline": "pipeline",
          "synthetic_rows": "synthetic"}

__getattr__ = lazy_exports(__name__, _WHERE)
