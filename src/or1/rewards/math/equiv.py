"""Equivalence of a normalised predicted answer and a normalised gold answer.

Comparison strategy, in order:
1. the structures of both answers (math_structure): a gold with one item never matches a prediction
   listing several; tuples, intervals and matrices compare in order; sets, bare lists and unions of
   intervals compare without order; `x = v` compares by v (the variable must agree when both sides
   name one);
2. each pair of scalars: equal text; plain numbers exactly (math_numbers); words case-insensitively;
   otherwise math-verify through sympy (math_sympy), which only the worker pool runs;
3. when the two shapes differ in kind (an inequality against an interval, ...), math-verify on the
   whole answers, unless the gold is one item and the prediction lists several.

`equivalent(..., symbolic=False)` is the fast path: it answers True/False when steps 1-2 settle the
question without sympy and None otherwise, so the caller can keep trivial cases out of the pool.
"""

from __future__ import annotations

import re
from itertools import permutations

from or1.rewards.math.normalize import MAX_ANSWER_CHARS
from or1.rewards.math.numbers import numbers_equal, read_number, read_word
from or1.rewards.math.structure import Assign, Interval, Matrix, Node, Scalar, Seq, Union, parse_structure
from or1.rewards.math.symbolic import symbolic_equal
from or1.rewards.math.sympy_compare import sympy_equal

__all__ = ["equivalent", "hedged", "settled"]

# A number without spaces, then words: the possessive-free pattern stays linear on long input.
# A unit is a word of two letters or more, or one of the one-letter SI symbols: "3 x" is a product.
_UNIT = re.compile(
    r"^(?P<num>[^a-zA-Z\\\s]*\d[^a-zA-Z\\\s]*|\\frac\{\d+\}\{\d+\}) +"
    r"(?:[a-zA-Z]{2,}[a-zA-Z ./]*|[mgsLKNJWVA](?:[ ./][a-zA-Z ./]*)?)(?:\^\{?\d\}?)?$"
)
_WORDS = re.compile(r"^[a-zA-Z][a-zA-Z '\-]*$")
_CHOICE = re.compile(r"^\(([A-Za-z])\)$")
_MAX_PERMUTED = 6  # unordered matching tries every order up to this size, then greedy
_FUNCTION_VALUE = re.compile(r"^[a-zA-Z]\([a-z]\)$")
_DECIMAL_COMMA = re.compile(r"^(?P<int>[+-]?\d+),(?P<frac>\d+)$")


def _strip_unit(t: str) -> str:
    """`12 cm` -> `12`, `5 square units` -> `5`: words after a number are a unit."""
    m = _UNIT.match(t)
    return m.group("num").strip() if m else t


def _scalar_text(t: str) -> str:
    t = _strip_unit(t.strip())
    m = _CHOICE.match(t)
    return m.group(1) if m else t


def _scalar_eq(g: str, p: str, symbolic: bool) -> bool | None:
    """Tri-state equality of two scalars: None = needs sympy and symbolic is False."""
    g, p = _scalar_text(g), _scalar_text(p)
    if g.replace(" ", "") == p.replace(" ", ""):
        return True
    gn, pn = read_number(g) or read_word(g), read_number(p) or read_word(p)
    if gn is not None and pn is not None:
        return numbers_equal(gn, pn)
    if _WORDS.match(g) and _WORDS.match(p) and (" " in g or " " in p or len(g) > 1 < len(p)):
        return g.lower().split() == p.lower().split()
    if not symbolic:
        return None
    g, p = g.replace("%", "\\%"), p.replace("%", "\\%")
    return sympy_equal(g, p) or symbolic_equal(g, p)


def _all(results: list[bool | None]) -> bool | None:
    if all(r is True for r in results):
        return True
    return False if any(r is False for r in results) else None


def _ordered(gs: tuple[Node, ...], ps: tuple[Node, ...], symbolic: bool) -> bool | None:
    if len(gs) != len(ps):
        return False
    results: list[bool | None] = []
    for g, p in zip(gs, ps, strict=True):
        results.append(_eq(g, p, symbolic))
        if results[-1] is False:
            return False
    return _all(results)


def _unordered(gs: tuple[Node, ...], ps: tuple[Node, ...], symbolic: bool) -> bool | None:
    """Multiset matching: every gold item pairs with a distinct equal predicted item. A prediction
    that repeats an item of a several-item gold is read as a set (the same solution listed twice)."""
    if len(ps) > len(gs) > 1:
        ps = tuple(dict.fromkeys(ps))
    if len(gs) != len(ps):
        return False
    table = [[_eq(g, p, symbolic) for p in ps] for g in gs]
    if len(gs) <= _MAX_PERMUTED:
        orders = permutations(range(len(ps)))
        if any(all(table[i][j] is True for i, j in enumerate(order)) for order in orders):
            return True
    else:
        free = set(range(len(ps)))
        for row in table:
            j = next((j for j in sorted(free) if row[j] is True), None)
            if j is None:
                break
            free.discard(j)
        if not free:
            return True
    unknown = any(cell is None for row in table for cell in row)
    return None if unknown else False


def _items(n: Node) -> tuple[Node, ...] | None:
    """The entries of anything list-like (a vector matrix counts), else None."""
    if isinstance(n, Seq):
        return n.items
    if isinstance(n, Matrix) and (len(n.rows) == 1 or all(len(r) == 1 for r in n.rows)):
        return tuple(x for r in n.rows for x in r)
    return None


def _eq_seq(g: Node, p: Node, symbolic: bool) -> bool | None:
    """Both list-like. Sets and bare lists ignore order; a set never equals a tuple; x = 1, y = 2
    compares by name against its own kind and in order against a tuple."""
    gi, pi = _items(g), _items(p)
    assert gi is not None and pi is not None
    gk = g.kind if isinstance(g, Seq) else "tuple"
    pk = p.kind if isinstance(p, Seq) else "tuple"
    if "set" in (gk, pk) and {gk, pk} & {"paren", "tuple", "assign"}:
        return False
    if "assign" in (gk, pk):
        return _unordered(gi, pi, symbolic) if gk == pk else _ordered(gi, pi, symbolic)
    if "list" in (gk, pk) or gk == pk == "set" or {gk, pk} == {"brace", "set"}:
        return _unordered(gi, pi, symbolic)
    return _ordered(gi, pi, symbolic)


def _eq_typed(g: Node, p: Node, symbolic: bool) -> bool | None:
    """Same-kind comparisons; None from here on means "kinds differ" when symbolic is True."""
    if isinstance(g, Scalar) and isinstance(p, Scalar):
        return _scalar_eq(g.text, p.text, symbolic)
    if isinstance(g, Interval) and isinstance(p, Interval):
        if (g.lo_closed, g.hi_closed) != (p.lo_closed, p.hi_closed):
            return False
        return _ordered((g.lo, g.hi), (p.lo, p.hi), symbolic)
    if isinstance(g, Seq) and g.kind == "paren" and isinstance(p, Interval):
        return False if (p.lo_closed or p.hi_closed) else _ordered(g.items, (p.lo, p.hi), symbolic)
    if isinstance(p, Seq) and p.kind == "paren" and isinstance(g, Interval):
        return False if (g.lo_closed or g.hi_closed) else _ordered((g.lo, g.hi), p.items, symbolic)
    if isinstance(g, Union) or isinstance(p, Union):
        gp = g.parts if isinstance(g, Union) else (g,)
        pp = p.parts if isinstance(p, Union) else (p,)
        return _unordered(gp, pp, symbolic)
    if isinstance(g, Matrix) and isinstance(p, Matrix):
        if [len(r) for r in g.rows] != [len(r) for r in p.rows]:
            return False
        return _ordered(sum(g.rows, ()), sum(p.rows, ()), symbolic)
    if _items(g) is not None and _items(p) is not None:
        return _eq_seq(g, p, symbolic)
    return None


def _same_variable(a: str, b: str) -> bool:
    """`x` names `x`; `y` and `f(x)` both name a function's value (`y = 2x+3` is `f(x) = 2x+3`)."""
    if a == b:
        return True
    return (b == "y" and _FUNCTION_VALUE.match(a) is not None) or (a == "y" and _FUNCTION_VALUE.match(b) is not None)


def _eq(g: Node, p: Node, symbolic: bool) -> bool | None:
    if isinstance(g, Assign) and isinstance(p, Assign):
        if not _same_variable(g.var, p.var):
            return False
        return _eq(g.value, p.value, symbolic)
    if isinstance(g, Assign):
        return _eq(g.value, p, symbolic)
    if isinstance(p, Assign):
        return _eq(g, p.value, symbolic)
    gi, pi = _items(g), _items(p)
    if pi is not None and len(pi) > 1 and (gi is None and not isinstance(g, Union | Interval | Matrix)):
        # The gold is one answer: a prediction listing several candidates is wrong, whatever they are.
        return False
    if isinstance(g, Seq) and len(g.items) == 1 and not isinstance(p, Seq):
        return _eq(g.items[0], p, symbolic)
    if isinstance(p, Seq) and len(p.items) == 1 and not isinstance(g, Seq):
        return _eq(g, p.items[0], symbolic)
    return _eq_typed(g, p, symbolic)


def _decimal_comma(gold: str, pred: str) -> bool | None:
    """`1000,99` against `1000.99`: a comma between digits is a decimal comma when the other side is
    a decimal number and the comma cannot be a thousands separator (not three digits after it, or
    a zero before it). None when this reading does not apply."""
    for a, b in ((gold, pred), (pred, gold)):
        m = _DECIMAL_COMMA.match(a.replace(" ", ""))
        other = read_number(b)
        if m and other is not None and other.decimal and (len(m["frac"]) != 3 or m["int"].lstrip("+-") == "0"):
            mine = read_number(f"{m['int']}.{m['frac']}")
            return mine is not None and numbers_equal(mine, other)
    return None


def hedged(gold: str, pred: str) -> bool:
    """Whether a normalised prediction lists several candidates where the normalised gold states
    one answer (`5, 7` or `5 or 7` or `\\pm 5` for gold 5): wrong whatever the candidates are."""
    if not gold or not pred or len(gold) > MAX_ANSWER_CHARS or len(pred) > MAX_ANSWER_CHARS:
        return False
    g, p = parse_structure(gold), parse_structure(pred)
    while isinstance(g, Assign):
        g = g.value
    while isinstance(p, Assign):
        p = p.value
    pi = _items(p)
    return pi is not None and len(pi) > 1 and _items(g) is None and not isinstance(g, Union | Interval)


def _set_against_tuple(gold: str, pred: str) -> bool:
    """A set `\\{1, 2\\}` where the other side is a tuple `(1, 2)`: different objects (math-verify
    lets them match; or1 does not, an ordered pair is no set)."""
    g, p = parse_structure(gold), parse_structure(pred)
    kinds = {n.kind for n in (g, p) if isinstance(n, Seq)}
    return "set" in kinds and bool(kinds & {"paren", "tuple"})


def _numeric_leaves(n: Node) -> bool:
    """Every scalar inside `n` is a plain number (so a False between two such shapes is exact)."""
    if isinstance(n, Scalar):
        return read_number(_scalar_text(n.text)) is not None
    if isinstance(n, Assign):
        return _numeric_leaves(n.value)
    if isinstance(n, Seq):
        return all(_numeric_leaves(x) for x in n.items)
    if isinstance(n, Interval):
        return _numeric_leaves(n.lo) and _numeric_leaves(n.hi)
    if isinstance(n, Union):
        return all(_numeric_leaves(x) for x in n.parts)
    return all(_numeric_leaves(x) for r in n.rows for x in r)


def settled(gold: str, pred: str) -> bool:
    """Whether the fast path's "not equal" is final: both answers are plain numbers (compared
    exactly), the prediction hedges, or it gives a set for a tuple. Anything else also gets the
    pool's checks (math-verify's reading, sympy)."""
    if len(gold) > MAX_ANSWER_CHARS or len(pred) > MAX_ANSWER_CHARS:
        return True
    if hedged(gold, pred) or _set_against_tuple(gold, pred):
        return True
    # Both answers have a shape (tuples, sets, intervals, matrices) and every entry was compared
    # without sympy: order and shape were decided by or1's rules (x = 1, y = 2 is not (2, 1)).
    g, p = parse_structure(gold), parse_structure(pred)
    if not isinstance(g, Scalar) and not isinstance(p, Scalar) and _eq(g, p, symbolic=False) is False:
        return _numeric_leaves(g) and _numeric_leaves(p)
    return read_number(_scalar_text(gold)) is not None and read_number(_scalar_text(pred)) is not None


def equivalent(gold: str, pred: str, symbolic: bool = True) -> bool | None:
    """Whether a normalised predicted answer equals a normalised gold answer.

    Args:
        gold: normalised gold answer (one acceptable answer).
        pred: normalised predicted answer.
        symbolic: allow sympy. False gives the fast path: a bool when settled without sympy, else None.

    Returns:
        True/False; None only when symbolic is False and sympy would be needed.
    """
    if not gold or not pred:
        return False
    if gold == pred:
        return True
    if len(gold) > MAX_ANSWER_CHARS or len(pred) > MAX_ANSWER_CHARS:
        return False  # no final answer is that long: only the exact text above could match
    decimal = _decimal_comma(gold, pred)
    if decimal is not None:
        return decimal
    g, p = parse_structure(gold), parse_structure(pred)
    result = _eq(g, p, symbolic)
    if result is not None or not symbolic:
        return result
    # Shapes of different kinds (x > 3 against (3, \infty), ...): math-verify on the whole answers.
    return sympy_equal(gold, pred)
