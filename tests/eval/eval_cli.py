"""Helpers of the evaluation tests: `or1 eval` run in this process."""

from __future__ import annotations

from pathlib import Path

from or1.cli import main


def or1_eval(*args: str | Path) -> int:
    """`or1 eval ARGS` in this process (no progress bar, two verifier workers); returns the exit code."""
    return main(["eval", *map(str, args), "--no-progress", "--workers", "2"])
