"""Code ground truth parsing and output comparison, done on the host, outside the sandbox (DESIGN.md §2).

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
from typing import Any

__all__ = ["TestSuite", "call_matches", "parse_ground_truth", "stdout_matches"]

REL_TOL = 1e-6
ABS_TOL = 1e-6
_INT = re.compile(r"[-+]?\d+")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


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


def _tokens_match(got: str, want: str) -> bool:
    if got == want:
        return True
    if _INT.fullmatch(got) and _INT.fullmatch(want):
        return int(got) == int(want)  # exact: huge integers must not pass through float rounding
    if _NUMBER.fullmatch(got) and _NUMBER.fullmatch(want):
        return math.isclose(float(got), float(want), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return False


def stdout_matches(got: str, want: str) -> bool:
    """Compare program output with the expected output, line by line.

    Leading/trailing blank space of the whole text and trailing spaces of each line are ignored. Lines
    that differ as text are compared token by token: integers exactly, other numbers within
    rel/abs 1e-6 (TACO's checker is looser, LiveCodeBench compares decimals exactly).
    """
    got_lines = [line.rstrip() for line in got.strip().split("\n")]
    want_lines = [line.rstrip() for line in want.strip().split("\n")]
    if len(got_lines) != len(want_lines):
        return False
    for g, w in zip(got_lines, want_lines, strict=True):
        if g == w:
            continue
        g_tok, w_tok = g.split(), w.split()
        if len(g_tok) != len(w_tok) or not all(map(_tokens_match, g_tok, w_tok)):
            return False
    return True


def _values_equal(got: Any, want: Any) -> bool:
    if isinstance(got, bool) or isinstance(want, bool):
        return type(got) is type(want) and got == want
    if isinstance(got, (int, float)) and isinstance(want, (int, float)):
        if isinstance(got, int) and isinstance(want, int):
            return got == want
        return math.isclose(got, want, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(map(_values_equal, got, want))
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(_values_equal(got[k], want[k]) for k in got)
    return type(got) is type(want) and got == want


def call_matches(got_json: bytes, want: Any) -> bool:
    """Compare a return value (JSON text produced in the sandbox) with the expected value.

    Tuples arrive as lists; floats compare within rel/abs 1e-6. As in TACO's harness, an expected value
    written as a one-element list also accepts the bare element.
    """
    try:
        got = json.loads(got_json)
    except (ValueError, RecursionError):  # the payload is whatever the program managed to write
        return False
    if _values_equal(got, want):
        return True
    return isinstance(want, list) and len(want) == 1 and _values_equal(got, want[0])
