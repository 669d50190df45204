"""Exact reading of plain numbers: integers (zero-padded or not), decimals, fractions, mixed numbers,
scientific notation, percents, infinities and small number words.

Comparing these with `fractions.Fraction` is exact, needs no sympy and takes microseconds, which is
why most AIME-style answers never reach the worker pool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Number", "numbers_equal", "read_number", "read_word"]

_MAX_DIGITS = 400  # longer literals are compared as text; int() of huge strings is slow
_MAX_EXP10 = 400
_FLOAT_ROUNDING = 6  # decimal places, as math-verify's float_rounding

_INT = r"[+-]?\d+"
_DEC = r"[+-]?(?:\d+\.\d*|\.\d+)"
_PATTERNS = {
    "int": re.compile(rf"^{_INT}$"),
    "dec": re.compile(rf"^{_DEC}$"),
    "slash": re.compile(r"^(?P<s>[+-]?)(?P<n>\d+)/(?P<d>\d+)$"),
    "frac": re.compile(r"^(?P<s>[+-]?)\\frac\{(?P<n>[+-]?\d+(?:\.\d+)?)\}\{(?P<d>[+-]?\d+)\}$"),
    "frac_short": re.compile(r"^(?P<s>[+-]?)\\frac(?P<n>\d)(?P<d>\d)$"),
    "mixed": re.compile(r"^(?P<s>[+-]?)(?P<w>\d+)\\frac\{(?P<n>\d+)\}\{(?P<d>\d+)\}$"),
    "sci": re.compile(
        r"^(?P<m>[+-]?(?:\d+\.?\d*|\.\d+))(?:\\times|\\cdot|\*)10\^(?:\{(?P<e1>[+-]?\d+)\}|(?P<e2>\d))$"
    ),
}
_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}  # fmt: skip


@dataclass(frozen=True)
class Number:
    """An exactly read number.

    Attributes:
        value: the value; None stands for an infinity, whose sign is `sign`.
        sign: +1 or -1 for infinities, 0 otherwise.
        decimal: written with a decimal point, so compared at math-verify's float rounding.
        percent: written with a percent sign, so 50% matches both 50 and 0.5.
    """

    value: Fraction | None
    sign: int = 0
    decimal: bool = False
    percent: bool = False


def _read_finite(t: str) -> tuple[Fraction, bool] | None:
    """(value, is_decimal) of a finite literal, or None."""
    if _PATTERNS["int"].match(t):
        return Fraction(int(t)), False
    if _PATTERNS["dec"].match(t):
        return Fraction(t), True
    m = _PATTERNS["mixed"].match(t)
    if m:
        d = int(m["d"])
        if d == 0 or int(m["n"]) >= d:  # 3\frac{5}{2} is a product, not a mixed number
            return None
        v = int(m["w"]) + Fraction(int(m["n"]), d)
        return (-v if m["s"] == "-" else v), False
    for key in ("slash", "frac", "frac_short"):
        m = _PATTERNS[key].match(t)
        if m:
            num, den = Fraction(m["n"]), Fraction(m["d"])
            if den == 0:
                return None
            return (-(num / den) if m["s"] == "-" else num / den), "." in m["n"]
    m = _PATTERNS["sci"].match(t)
    if m:
        exp = int(m["e1"] or m["e2"])
        if abs(exp) > _MAX_EXP10:
            return None
        return Fraction(m["m"]) * Fraction(10) ** exp, "." in m["m"]
    return None


def read_number(text: str) -> Number | None:
    """Read `text` as a plain number, or None when it is anything else.

    Args:
        text: a normalised scalar (see math_normalize), spaces allowed.

    Returns:
        The Number, or None (expressions, symbols, over-long literals).
    """
    t = text.replace(" ", "")
    if not t or len(t) > _MAX_DIGITS:
        return None
    percent = t.endswith("%")
    if percent:
        t = t[:-1]
    if t.lstrip("+-") == "\\infty" or t.lstrip("+-") == "infty" or t.lstrip("+-") == "oo":
        return Number(None, -1 if t.startswith("-") else 1)
    read = _read_finite(t)
    if read is None:
        return None
    return Number(read[0], 0, read[1], percent)


def read_word(text: str) -> Number | None:
    """A small English number word ("four") as a Number, else None."""
    value = _WORDS.get(text.strip().lower())
    return None if value is None else Number(Fraction(value))


def _close(a: Fraction, b: Fraction, decimal: bool) -> bool:
    if a == b:
        return True
    if not decimal:
        return False
    # One side was written as a decimal: equal at math-verify's float rounding (1/3 == 0.333333).
    return round(a, _FLOAT_ROUNDING) == round(b, _FLOAT_ROUNDING)


def numbers_equal(gold: Number, pred: Number) -> bool:
    """Exact equality of two numbers, with percent and decimal leniency.

    A percent on one side only matches the bare value and the value / 100 (50% vs 50 or 0.5).
    """
    if gold.value is None or pred.value is None:
        return gold.value is None and pred.value is None and gold.sign == pred.sign
    # An integer gold is exact: 24.0000001 is not 24 (math-verify rounds it to 24 at 6 places, which
    # pays a policy for padding an answer with digits). A fraction gold still takes its decimal.
    integer_gold = not gold.decimal and not gold.percent and gold.value.denominator == 1
    decimal = (gold.decimal or pred.decimal) and not integer_gold
    if gold.percent == pred.percent:
        return _close(gold.value, pred.value, decimal)
    pct, other = (gold, pred) if gold.percent else (pred, gold)
    assert pct.value is not None and other.value is not None
    return _close(pct.value, other.value, decimal) or _close(pct.value / 100, other.value, True)
