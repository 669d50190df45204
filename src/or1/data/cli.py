"""`or1 data` argument parsing (kept free of heavy imports: it is built with every `or1` invocation)."""

from __future__ import annotations

import argparse

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the `data` subcommand (no subcommand yet: see the data pipeline issue)."""
