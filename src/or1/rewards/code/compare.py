"""Code ground truth parsing and output comparison, done on the host, outside the sandbox (DESIGN.md §2).

Comparison rule (docs/sandbox.md, "Comparing outputs"): a number in the expected output that is written as
a float (a decimal point or an exponent) accepts any number within rel/abs 1e-6; every other expected token
or value compares exactly (integers by exact value, text as text), so a float near an integer answer never
passes for it.

Ground truth is {"inputs": [...], "outputs": [...], "fn_name"?: str} (a dict or its JSON text), as
LiveCodeBench, TACO and LeetCode data store it:
- stdin/stdout tests: each input/output is a string (or a list of lines, TACO style).
- call-based tests (`fn_name`): each input is a list of positional arguments, or LiveCodeBench's string of
  newline-separated JSON values (one per argument); each output is the return value, its JSON text, or
  (TACO) a one-element list wrapping it.
"""

from __future__ import annotations

import json
import marshal
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["TestSuite", "call_matches", "parse_ground_truth", "stdout_matches"]

REL_TOL = 1e-6
ABS_TOL = 1e-6
_NUMBER = re.compile(rb"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_FLOAT_MARK = re.compile(rb"[.eE]")
_NON_SPACE = re.compile(rb"\S")
_TOKEN = re.compile(rb"\S+")
_SCAN = 1 << 16  # bytes examined at a time when looking backwards for the last non-space byte
# A serialised return value can be longer than the expected value's JSON (a float's repr is at most 24
# characters where the expected one may be 1), never more than this many times longer.
_MAX_JSON_GROWTH = 24


@dataclass(frozen=True)
class TestSuite:
    """Tests ready for the sandbox.

    Attributes:
        inputs: per test, stdin bytes or the marshal bytes of the argument list (call-based).
        expected: per test, the expected stdout text or return value (never sent to the sandbox).
        fn_name: function or `Solution` method name; None for stdin/stdout tests.
    """

    inputs: list[bytes]
    expected: list[Any]
    fn_name: str | None


def _text(value: Any) -> str:
    return "\n".join(map(str, value)) if isinstance(value, list) else str(value)


def _call_args(value: Any) -> list[Any]:
    if isinstance(value, str):  # LiveCodeBench: one JSON value per line
        return [json.loads(line) for line in value.split("\n") if line.strip()]
    return value if isinstance(value, list) else [value]


def _call_expected(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def parse_ground_truth(ground_truth: str | dict) -> TestSuite:
    """Decode a ground truth into a `TestSuite`.

    Raises:
        ValueError: not JSON, no tests, inputs and outputs of different lengths, or a bad argument list.
    """
    gt = json.loads(ground_truth) if isinstance(ground_truth, str) else ground_truth
    if not isinstance(gt, dict):
        raise ValueError("ground truth must be a JSON object")
    inputs, outputs, fn_name = gt.get("inputs"), gt.get("outputs"), gt.get("fn_name") or None
    if not isinstance(inputs, list) or not isinstance(outputs, list) or not inputs:
        raise ValueError("ground truth needs non-empty 'inputs' and 'outputs' lists")
    if len(inputs) != len(outputs):
        raise ValueError(f"{len(inputs)} inputs but {len(outputs)} outputs")
    if fn_name is None:
        return TestSuite([_text(x).encode() for x in inputs], [_text(y) for y in outputs], None)
    if not isinstance(fn_name, str) or not fn_name.isidentifier():
        raise ValueError(f"bad fn_name {fn_name!r}")
    args = [marshal.dumps(_call_args(x)) for x in inputs]
    return TestSuite(args, [_call_expected(y) for y in outputs], fn_name)


def _is_float_token(token: bytes) -> bool:
    return _NUMBER.fullmatch(token) is not None and _FLOAT_MARK.search(token) is not None


def _tokens_match(got: bytes, want: bytes) -> bool:
    """Exact, except that an expected float accepts any number within the tolerance."""
    if got == want:
        return True
    if not (_NUMBER.fullmatch(got) and _NUMBER.fullmatch(want)):
        return False
    if _is_float_token(want):
        return math.isclose(float(got), float(want), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    try:  # an integer: the exact value, so 1e18 or 1000000008.0 never passes for 1000000007
        return Decimal(got.decode()) == Decimal(want.decode())
    except InvalidOperation:  # an exponent beyond what Decimal holds: not this integer
        return False


def _content_end(text: bytes | bytearray, start: int, end: int) -> int:
    """Offset just past the last non-space byte of text[start:end] (`start` if there is none).

    Scans backwards a block at a time (C-speed `rstrip` on copies of one block), so megabytes of trailing
    blank space cost neither a copy of the output nor a regex backtracking through it. The blocks are
    `bytes`: `bytes.rstrip` is about 2.5x faster than `bytearray.rstrip`.
    """
    with memoryview(text) as view:
        while end > start:
            low = max(start, end - _SCAN)
            kept = len(view[low:end].tobytes().rstrip())
            if kept:
                return low + kept
            end = low
    return start


def _content(text: bytes | bytearray) -> tuple[int, int]:
    """(start, end) offsets of `text` without its leading and trailing blank space."""
    first = _NON_SPACE.search(text)
    return (0, 0) if first is None else (first.start(), _content_end(text, first.start(), len(text)))


def _line_spans(text: bytes | bytearray, start: int, stop: int) -> list[tuple[int, int]]:
    """(start, end) offsets of the lines of text[start:stop], each without its trailing spaces.

    Offsets, not copies: a program's output (up to the output cap) is never copied whole, so padding an
    answer with megabytes of blank space costs no host memory beyond the output itself.
    """
    spans, pos = [], start
    while pos <= stop:
        newline = text.find(b"\n", pos, stop)
        end = stop if newline < 0 else newline
        spans.append((pos, _content_end(text, pos, end)))
        pos = end + 1
    return spans


def stdout_matches(got: bytes | bytearray | str, want: str) -> bool:
    """Compare program output with the expected output, line by line.

    Leading/trailing blank space of the whole text and trailing spaces of each line are ignored. Lines
    that differ as text are compared token by token: a token the expected output writes as a float (a
    decimal point or an exponent) accepts any number within rel/abs 1e-6; every other token must be the
    same text, or for integers the same exact value (`007` is 7, `7.0` is 7, `1e18` is not 10**18 + 7).
    LiveCodeBench compares every number exactly; TACO's checker is looser (docs/sandbox.md).

    Args:
        got: the program's stdout (bytes as the sandbox reports it, or text).
        want: the expected output.
    """
    data = got.encode() if isinstance(got, str) else got
    expected = want.encode()
    want_spans = _line_spans(expected, *_content(expected))
    start, stop = _content(data)
    # Count first: output padded with millions of newlines is rejected before any line is listed.
    if data.count(b"\n", start, stop) + 1 != len(want_spans):
        return False
    spans = zip(_line_spans(data, start, stop), want_spans, strict=True)
    return all(_line_matches(data, g0, g1, expected[w0:w1]) for (g0, g1), (w0, w1) in spans)


def _line_matches(data: bytes | bytearray, start: int, end: int, want: bytes) -> bool:
    """Whether data[start:end] is the expected line `want`, as text or token by token."""
    if end - start == len(want) and data[start:end] == want:
        return True
    # The program's tokens one at a time: a line of millions of tokens never becomes a list of them.
    got = _TOKEN.finditer(data, start, end)
    for token in want.split():
        match = next(got, None)
        if match is None or not _tokens_match(match[0], token):
            return False
    return next(got, None) is None


def _values_equal(got: Any, want: Any) -> bool:
    """Equality by JSON type: bool only equals bool, an expected int needs the exact value, an expected
    float accepts any number within the tolerance."""
    if isinstance(got, bool) or isinstance(want, bool):
        return type(got) is type(want) and got == want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        if isinstance(want, int):
            return got == want  # exact: Python compares int and float by exact value
        try:
            return math.isclose(got, want, rel_tol=REL_TOL, abs_tol=ABS_TOL)
        except OverflowError:  # an int beyond any float cannot be near a float
            return False
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(map(_values_equal, got, want))
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(_values_equal(got[k], want[k]) for k in got)
    return type(got) is type(want) and got == want


def call_matches(got_json: bytes | bytearray, want: Any) -> bool:
    """Compare a return value (JSON text produced in the sandbox) with the expected value.

    Tuples arrive as lists. An expected int (or any non-float) must be matched exactly, an expected float
    within rel/abs 1e-6; bool is its own type (`true` is not `1`). As in TACO's harness, an expected value
    written as a one-element list also accepts the bare element.
    """
    if len(got_json) > _MAX_JSON_GROWTH * len(json.dumps(want)) + 64:
        return False  # cannot be equal, and parsing it could take many times its size in memory
    try:
        got = json.loads(got_json)
    except (ValueError, RecursionError):  # the payload is whatever the program managed to write
        return False
    if _values_equal(got, want):
        return True
    return isinstance(want, list) and len(want) == 1 and _values_equal(got, want[0])
