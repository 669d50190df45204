"""Input rows and the status summary of `or1 verify math|code`: one row per input line, whatever it holds.

The file is read as bytes and split on b"\\n" only, so a bare `\\r` inside a row (which text mode, and
`str.splitlines`, would take for a line end) keeps the row whole; one trailing `\\r` of a CRLF line end is
dropped. A line that is blank, not UTF-8, not JSON or not a JSON object becomes an error row naming its
line: it costs that row only, and every input line still gets exactly one output line, in order.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Row", "StatusTally", "parse_line", "read_rows"]


@dataclass(frozen=True)
class Row:
    """One input line.

    Attributes:
        line: its 1-based line number.
        data: the JSON object it holds; None when it holds none.
        error: why there is no object ("line N: ..."), "" when there is one.
    """

    line: int
    data: dict[str, Any] | None
    error: str = ""


def parse_line(line: int, raw: bytes) -> Row:
    """The row of one line's bytes (its line end included or not)."""
    raw = raw.removesuffix(b"\n").removesuffix(b"\r")
    if not raw.strip():
        return Row(line, None, f"line {line}: blank line")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Row(line, None, f"line {line}: not UTF-8 (byte {raw[exc.start]:#04x} at offset {exc.start})")
    try:
        # strict=False: control characters such as a bare \r inside a string are kept, not refused.
        data = json.loads(text, strict=False)
    except (ValueError, RecursionError) as exc:
        return Row(line, None, f"line {line}: not JSON ({exc})")
    if not isinstance(data, dict):
        return Row(line, None, f"line {line}: expected a JSON object")
    return Row(line, data)


def read_rows(path: str) -> Iterator[Row]:
    """One `Row` per line of the file at `path` ("-": standard input), in order, read as it goes.

    Raises:
        OSError: the file cannot be opened or read (on the first `next`).
    """
    stream = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    try:
        # A binary file's lines end at b"\n" only.
        for line, raw in enumerate(stream, start=1):
            yield parse_line(line, raw)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


class StatusTally:
    """Counts of output statuses (and of passing rows), for the summary line on stderr."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.passed = 0

    def add(self, status: str, passed: bool) -> None:
        """Count one output row."""
        self.counts[status] += 1
        self.passed += passed

    def summary(self, command: str, passed_word: str) -> str:
        """E.g. `or1 verify math: 10000 rows, 7012 correct; ok 9998, error 2` (statuses most first)."""
        parts = ", ".join(f"{status} {n}" for status, n in self.counts.most_common())
        return f"{command}: {sum(self.counts.values())} rows, {self.passed} {passed_word}; {parts or 'no rows'}"
