"""Symbolic equality for what math-verify's comparison misses: calculator notation, identities,
rearranged equations and complex numbers (runs in the worker pool, under its hard time limit).

Reading: a LaTeX answer goes through math-verify's LaTeX parser; an answer without backslashes is
also read as calculator notation (`sqrt(x)`, `abs(x)`, `2*x`, `x^2`, `cos(x)^2`, `ln(x)`) by sympy's
`parse_expr`, after a whitelist check of its identifiers (parse_expr evaluates Python, so only
known function names and one-letter symbols get through).

Deciding, in order:
1. expressions: `expand(a - b) == 0`, then agreement at several random points to 1e-9 relative
   (`simplify` when the points cannot decide: sums, integrals, unknown functions); where
   logarithms appear, symbols are taken positive (so `log(a^2 b)` equals `2 log a + log b`),
   elsewhere not (so `|x|` is not `x`);
2. equations `l1 = r1` against `l2 = r2`: the same solution set, i.e. `(l1 - r1) / (l2 - r2)` is a
   non-zero constant (`x + y = 1` equals `y = 1 - x` and `2x + 2y = 2`);
3. when both sides use `i` and step 1 fails, `i` is read as the imaginary unit (`i(2-i)` = `1+2i`).
"""

from __future__ import annotations

import cmath
import random
import re
from typing import Any

__all__ = ["read_expression", "symbolic_equal"]

_MAX_CHARS = 300
_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_CALC_CHARS = re.compile(r"^[A-Za-z0-9_ +\-*/^().,=|!]*$")
_FUNCTIONS = {
    "sqrt": "sqrt", "abs": "Abs", "sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot", "sec": "sec",
    "csc": "csc", "asin": "asin", "acos": "acos", "atan": "atan", "arcsin": "asin", "arccos": "acos",
    "arctan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "log": "log", "ln": "log",
    "exp": "exp", "pi": "pi", "e": "E", "oo": "oo", "inf": "oo", "infinity": "oo",
}  # fmt: skip
_POINTS = 4  # random evaluation points for the numeric identity check
_REL_TOL = 1e-9


def _calculator(s: str) -> Any | None:
    """Calculator notation through sympy's parse_expr, or None when `s` is not plain notation."""
    if "\\" in s or not _CALC_CHARS.match(s) or "__" in s:
        return None
    idents = _IDENT.findall(s)
    if any(len(w) > 2 and w.lower() not in _FUNCTIONS for w in idents):
        return None
    from sympy import Abs, Eq, Symbol, sympify
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication_application,
        parse_expr,
        standard_transformations,
    )

    text = re.sub(r"\|([^|]+)\|", r"abs(\1)", s)
    if "|" in text or "!" in text or text.count("=") > 1:
        return None
    names: dict[str, Any] = {w: Symbol(w) for w in idents if w.lower() not in _FUNCTIONS}
    names.update({w: sympify(_FUNCTIONS[w.lower()]) for w in idents if w.lower() in _FUNCTIONS})
    names["abs"] = Abs
    transformations = (*standard_transformations, implicit_multiplication_application, convert_xor)
    try:
        if "=" in text:
            left, right = text.split("=")
            return Eq(
                parse_expr(left, local_dict=names, transformations=transformations, evaluate=True),
                parse_expr(right, local_dict=names, transformations=transformations, evaluate=True),
                evaluate=False,
            )
        return parse_expr(text, local_dict=names, transformations=transformations, evaluate=True)
    except Exception:
        return None


def _latex(s: str) -> Any | None:
    from or1.rewards.math.sympy_compare import covers, parse_math

    try:
        found = parse_math(s)  # cached: the same parse math_sympy's comparison uses
    except Exception:
        return None
    if len(found) < 2 or not covers(found, s):
        return None  # math-verify understood only part of it: no verdict on a fragment
    return found[0]


def read_expression(s: str) -> Any | None:
    """A sympy expression (or equation) for an answer: calculator notation, else LaTeX."""
    if len(s) > _MAX_CHARS:
        return None
    from sympy import Basic

    for reader in (_calculator, _latex):
        expr = reader(s)
        if isinstance(expr, Basic):
            return _plain(expr, base_ten_logs=reader is _latex and "\\log" in s)
    return None


def _plain(expr: Any, base_ten_logs: bool) -> Any:
    """Plain symbols (math-verify's carry assumptions, so its `x` differs from sympy's) and natural
    logarithms: LaTeX `\\log` reads as base 10, calculator `log` as base e, and an identity holds in
    one base exactly when it holds in the other."""
    from sympy import Symbol, log

    expr = expr.xreplace({x: Symbol(str(x)) for x in expr.free_symbols})
    return expr.subs(log(10), 1) if base_ten_logs else expr


def _numeric_agree(a: Any, b: Any, positive: bool) -> bool | None:
    """Whether a and b agree at several random points: of both signs, or positive only when
    `positive` (logarithms: `log(a^2 b)` = `2 log a + log b` needs a, b > 0). None when fewer than
    two points evaluate on both sides (no evidence either way)."""
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = random.Random(0)
    agreed = 0
    for _ in range(_POINTS):
        point = {x: rng.uniform(0.3, 3.0) * (1 if positive or rng.random() < 0.5 else -1) for x in symbols}
        try:
            va, vb = complex(a.evalf(30, subs=point)), complex(b.evalf(30, subs=point))
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            continue
        if not (cmath.isfinite(va) and cmath.isfinite(vb)):
            continue  # beyond float range: no evidence either way
        if abs(va - vb) > _REL_TOL * max(1.0, abs(va), abs(vb)):
            return False
        agreed += 1
    return True if agreed >= 2 else None


def _exotic(e: Any) -> bool:
    from sympy import Derivative, Integral, Limit, Product, Sum
    from sympy.core.function import AppliedUndef

    return e.has(Sum, Product, Integral, Limit, Derivative) or bool(e.atoms(AppliedUndef))


def _expressions_equal(a: Any, b: Any) -> bool:
    from sympy import expand, log, nan, oo, posify, simplify, zoo

    if a.has(zoo, nan, oo, -oo) or b.has(zoo, nan, oo, -oo):
        return False  # 12:00 reads as 12/0: undefined values are never shown equal here
    diff = a - b
    if expand(diff) == 0:
        return True
    # Symbols are taken positive only where logarithms make that the convention: elsewhere
    # |x| = x and sqrt(x^2) = x would pass.
    logs = a.has(log) or b.has(log)
    # Random points decide first (simplify costs tens of milliseconds and can only confirm what they
    # show); sums, integrals, limits and unknown functions have no values at random points.
    if not (_exotic(a) or _exotic(b)):
        agree = _numeric_agree(a, b, positive=logs)
        if agree is not None:
            return agree
    return simplify(posify(diff)[0] if logs else diff) == 0


def _equations_equal(a: Any, b: Any) -> bool:
    from sympy import simplify

    da, db = a.lhs - a.rhs, b.lhs - b.rhs
    if db == 0 or da == 0:
        return da == db
    ratio = simplify(da / db)
    return not ratio.free_symbols and ratio != 0 and ratio.is_finite is not False


def _equal(a: Any, b: Any) -> bool:
    from sympy import Equality
    from sympy.core.relational import Relational

    if isinstance(a, Equality) and isinstance(b, Equality):
        return _equations_equal(a, b)
    if isinstance(a, Relational) or isinstance(b, Relational):
        return False
    return _expressions_equal(a, b)


def symbolic_equal(gold: str, pred: str) -> bool:
    """Whether two normalised answers are equal as expressions or as equations (see module doc).

    Args:
        gold: normalised gold answer.
        pred: normalised predicted answer.

    Returns:
        True when equal; False when not, or when either side cannot be read.
    """
    from or1.rewards.math.sympy_compare import sympy_safe

    if not (sympy_safe(gold) and sympy_safe(pred)):
        return False
    a, b = read_expression(gold), read_expression(pred)
    if a is None or b is None:
        return False
    try:
        if _equal(a, b):
            return True
        names = {str(x) for x in a.free_symbols} & {str(x) for x in b.free_symbols}
        if "i" in names:
            from sympy import I, Symbol

            return _equal(a.subs(Symbol("i"), I), b.subs(Symbol("i"), I))
    except Exception:  # sympy raises many kinds on odd input; a crash is "not shown equal"
        return False
    return False
