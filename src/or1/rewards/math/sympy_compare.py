"""Symbolic comparison through math-verify, for what plain numbers and text cannot settle.

math-verify's own timeouts use SIGALRM (they fail off the main thread and some inputs still hang past
them), so they are switched off here: the worker pool enforces the wall-clock limit by killing the
process (DESIGN.md §2). Before handing a string to sympy, `sympy_safe` rejects the inputs known to
blow up (power towers, huge exponents and factorials, deep nesting), so most hostile answers are
settled in microseconds instead of by a kill.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

from or1.rewards.math.wellformed import names_a_value

__all__ = ["covers", "hazard_free", "parse_math", "strict_parse", "sympy_equal", "sympy_safe"]

_MAX_SYMPY_CHARS = 400
_MAX_DEPTH = 12
_MAX_EXPONENT = 10_000
_MAX_FACTORIAL = 1_000
_EXPONENT = re.compile(r"\^\s*\{?\s*([+-]?\d+)")
_FACTORIAL = re.compile(r"(\d+)\s*!")
_FACTORIAL_OF_EXPR = re.compile(r"[)}\]]\s*!(?!=)")  # (10^{9999})! or {n}!: unknown size
_RELATION_SPLIT = re.compile(r"=|\\approx(?![a-zA-Z])|\\in(?![a-zA-Z])")
_COMMAND_OR_TEXT = re.compile(r"\\(?:text|mathrm|mbox|textbf|operatorname)\s*\{[^{}]*\}|\\[a-zA-Z]+")
_LETTER = re.compile(r"(?<![a-zA-Z])[a-df-hj-zA-Z](?![a-zA-Z])")  # a one-letter symbol other than e and i
_FACTORIAL_EXPONENT = re.compile(r"\^\s*(?:\{[^{}]*!|[\w.]+\s*!)")  # 38^16! is 38^(16!)
_TOWER = re.compile(r"\^\s*\{[^{}]*\^|\^\s*\d+\s*\^|\*\*.*\*\*")


class _DropTimeoutWarning(logging.Filter):
    """Drop math-verify's "timeout disabled" warning: the pool owns the time limit."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Timeout is disabled" not in record.getMessage()


for _name in ("math_verify.parser", "math_verify.grader"):
    logging.getLogger(_name).addFilter(_DropTimeoutWarning())


def _depth(s: str) -> int:
    depth = best = 0
    for c in s:
        if c in "({[":
            depth += 1
            best = max(best, depth)
        elif c in ")}]":
            depth -= 1
    return best


def sympy_safe(s: str) -> bool:
    """Whether `s` may be given to sympy without risking a hang or a memory blow-up.

    Args:
        s: a normalised answer.

    Returns:
        False for long strings, deep nesting, power towers, exponents over 10^4, factorials over 1000
        or of anything but a literal.
    """
    return len(s) <= _MAX_SYMPY_CHARS and hazard_free(s)


def hazard_free(s: str) -> bool:
    """`sympy_safe` without the length limit: for a whole sentence that math-verify will parse (its
    parser evaluates what it reads, so a power tower inside prose is as dangerous as a bare one)."""
    if _depth(s) > _MAX_DEPTH:
        return False
    if _TOWER.search(s) or _FACTORIAL_OF_EXPR.search(s) or _FACTORIAL_EXPONENT.search(s):
        return False
    if any(abs(int(e)) > _MAX_EXPONENT for e in _EXPONENT.findall(s)):
        return False
    return all(int(n) <= _MAX_FACTORIAL for n in _FACTORIAL.findall(s))


@lru_cache(maxsize=4096)
def parse_math(s: str) -> tuple[Any, ...]:
    """math-verify's LaTeX parse of `$s$`, cached per process: (sympy object, text) or ().

    LaTeX only, on purpose: when its LaTeX parse fails, math-verify's plain-expression extraction
    reads the first number of the text, so `3*+9.zbc` and `3<2>3` would read as 3. Plain notation
    (`sqrt(x)`, `2*x`) is read by `math_symbolic`'s own strict reader instead.
    """
    from math_verify import LatexExtractionConfig, parse

    found = tuple(parse(f"${s}$", [LatexExtractionConfig()], parsing_timeout=None))
    return found if found and not isinstance(found[0], str) else ()


@lru_cache(maxsize=4096)
def strict_parse(s: str) -> bool:
    """Whether LaTeX `s` parses whole, with no error recovery. math-verify's parse recovers: when its
    LaTeX reading fails it falls back to reading the first number, so `3*+9.zbc` and `3<2>3` read
    as 3 while it reports the whole text. A prediction must parse strictly to be compared."""
    from latex2sympy2_extended import latex2sympy

    try:
        latex2sympy(s)
    except Exception:
        return False
    return True


def covers(found: tuple[Any, ...], s: str) -> bool:
    """math-verify read all of `s`, not a fragment: the text it reports is `s`, and a letter of `s`
    did not vanish from a result that came out a plain number (`3a.` and `3.c` read as 3)."""
    strings = [x for x in found if isinstance(x, str)]
    squash = str.maketrans("", "", " {}")
    if not strings or strings[-1].translate(squash) != s.translate(squash):
        return False
    value = found[0]
    value_side = _RELATION_SPLIT.split(s)[-1]  # x \approx 11 reads as 11: the named side may go
    letters = _LETTER.findall(_COMMAND_OR_TEXT.sub(" ", value_side))
    lost = bool(letters) and getattr(value, "is_number", False) and not getattr(value, "is_Relational", False)
    return not lost


def sympy_equal(gold: str, pred: str) -> bool:
    """math-verify's parse + verify on two normalised answers, without its signal timeouts.

    Args:
        gold: normalised gold answer.
        pred: normalised predicted answer.

    Returns:
        True when math-verify finds them equal; False when not, when either cannot be parsed, or when
        either is not `sympy_safe`.
    """
    if not (sympy_safe(gold) and sympy_safe(pred)):
        return False
    from math_verify import verify

    g, p = parse_math(gold), parse_math(pred)
    if not g or not p or not (covers(g, gold) and covers(p, pred)):
        return False
    if "=" not in gold and not names_a_value(pred):
        return False
    try:
        return bool(verify(list(g), list(p), allow_set_relation_comp=True, timeout_seconds=None))
    except Exception:
        return False
