"""`or1 eval` argument parsing (kept free of heavy imports: it is built with every `or1` invocation)."""

from __future__ import annotations

import argparse

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the `eval` subcommand (no subcommand yet: see the evaluation issue)."""
