"""`or1 report RUN_DIR`: the dashboard of any training run (PNG panels per metric group and report.md)."""

from or1.dashboard.panels import PANELS, Panel, panel_series, series
from or1.dashboard.run_report import write_run_report

__all__ = ["PANELS", "Panel", "panel_series", "series", "write_run_report"]
