"""The shape of a normalised answer: a scalar, a list of answers, a set, a tuple, an interval, ...

`parse_structure` reads the top level of an answer once, in linear time, so the comparison can
respect order where it matters (tuples, matrices) and ignore it where it does not (sets, lists of
solutions), and can see that "5, 7" lists two candidates where the gold has one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Assign", "Interval", "Matrix", "Node", "Scalar", "Seq", "Union", "parse_structure"]

MAX_ITEMS = 64  # a longer list is no final answer; it is compared in order, not matched


@dataclass(frozen=True)
class Scalar:
    """One expression, compared by value (numbers) or by sympy."""

    text: str


@dataclass(frozen=True)
class Seq:
    """Several items. kind: "list" (bare, unordered), "set" (\\{...\\}), "paren" ((a, b): a tuple or an
    open interval), "tuple" ([a, b, c] or \\langle ...\\rangle), "assign" (x = 1, y = 2: one value per
    distinct variable), "brace" ({a, b}: LaTeX grouping, a list written in braces)."""

    kind: str
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Interval:
    """[lo, hi) and friends; `(lo, hi)` is a Seq of kind "paren" because it may be a point."""

    lo: Node
    hi: Node
    lo_closed: bool
    hi_closed: bool


@dataclass(frozen=True)
class Union:
    """A union of intervals or sets (\\cup), compared without order."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Matrix:
    """A matrix or vector, compared entry by entry."""

    rows: tuple[tuple[Node, ...], ...]


@dataclass(frozen=True)
class Assign:
    """`x = value` or `x \\in value`: the variable name and the value."""

    var: str
    value: Node


Node = Scalar | Seq | Interval | Union | Matrix | Assign

_OPEN = "([{"
_CLOSE = ")]}"
_WORD_SEPARATORS = re.compile(r"\s+(?:and|or)\s+|;")
_GLUED_WORD = re.compile(r"(?<=[)\]}])\s*(and|or)\s*(?=[(\[{\\])")
# lo < x < hi (also \le): an interval written as a chained inequality over one variable or value.
_CHAIN = re.compile(
    r"^(?P<lo>[^<>=]+?)\s*(?P<a><|\\le|\\lt)\s*(?P<var>[a-zA-Z](?:\([a-z]\))?)\s*"
    r"(?P<b><|\\le|\\lt)\s*(?P<hi>[^<>=]+)$"
)
_MATRIX = re.compile(
    r"^\\begin\{(?P<env>[pbBvV]?matrix|array)\}(?:\{[^{}]*\})?(?P<body>.*)\\end\{(?P=env)\}$", re.S
)
_VARIABLE = re.compile(r"^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?[a-zA-Z0-9]+\}?)?(?:'*)(?:\([a-z]\))?$")
_RELATION = re.compile(r"(?<![<>!\\])=|\\in(?![a-zA-Z])")


def _split_top(s: str, seps: tuple[str, ...]) -> list[str]:
    """Split on any of `seps` outside brackets; one linear pass."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(s):
        c = s[i]
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif depth == 0:
            sep = next((x for x in seps if s.startswith(x, i)), None)
            if sep is not None:
                parts.append(s[start:i])
                i += len(sep)
                start = i
                continue
        i += 1
    parts.append(s[start:])
    return [p.strip() for p in parts]


def _depth_at(s: str, pos: int) -> int:
    """Bracket depth of position `pos` (the `=` of `\\sum_{k=0}` is inside braces)."""
    depth = 0
    for c in s[:pos]:
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
    return depth


def _wrapped(s: str) -> bool:
    """True when the bracket opening `s` closes at its last character."""
    depth = 0
    for i, c in enumerate(s):
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
            if depth == 0:
                return i == len(s) - 1
    return False


def _split_words(s: str) -> list[str]:
    """Split a bare list on "and", "or" and ";" outside brackets, then on commas."""
    s = _GLUED_WORD.sub(" \\1 ", s)  # "(11,7)or(7,11)": the word between brackets separates items
    chunks = [s]
    if " and " in s or " or " in s or ";" in s:
        chunks = [p for p in _split_top(s, (" and ", " or ", ";")) if p]
    return [item for chunk in chunks for item in _split_top(chunk, (",",)) if item]


def _expand_pm(s: str) -> list[str]:
    """`3 \\pm 2` -> `3 + 2`, `3 - 2`: a ± answer lists two values."""
    if s.count("\\pm") != 1 or "\\mp" in s:
        return [s]
    plus, minus = s.replace("\\pm", "+"), s.replace("\\pm", "-")
    return [plus.lstrip("+").strip() if s.startswith("\\pm") else plus, minus]


def _inner_items(inner: str) -> list[str]:
    """Items inside brackets: comma-separated, or semicolon-separated when there is no comma."""
    items = _split_top(inner, (",",))
    return _split_top(inner, (";",)) if len(items) == 1 and ";" in inner else items


def _parse_item(s: str, depth: int) -> Node:
    """One comma-free item: an assignment, a bracketed group, a matrix or a scalar."""
    chain = _CHAIN.match(s)
    if chain:
        lo, hi = (_parse_item(chain[k].strip(), depth + 1) for k in ("lo", "hi"))
        return Interval(lo, hi, chain["a"] == "\\le", chain["b"] == "\\le")
    if s.startswith("{") and s.endswith("}") and _wrapped(s) and len(_split_top(s[1:-1], (",",))) > 1:
        # Plain braces group (LaTeX drops them): in order against a tuple, unordered against a list.
        return Seq("brace", tuple(_parse_item(x, depth + 1) for x in _split_top(s[1:-1], (",",)) if x))
    m = _MATRIX.match(s)
    if m:
        rows = [r for r in m.group("body").split("\\\\") if r.strip()]
        return Matrix(tuple(tuple(_parse(c.strip(), depth + 1) for c in r.split("&")) for r in rows))
    rel = next((m for m in _RELATION.finditer(s) if _depth_at(s, m.start()) == 0), None)
    if rel and s.count("=") <= 2:
        lhs, rhs = s[: rel.start()].strip(), s[rel.end() :].strip()
        sides = _split_top(rhs, ("=",))
        if len(sides) > 1:  # x = 2 + 1 = 3: the last side is the value (an `=` inside braces is not one)
            rhs = sides[-1]
        var = lhs.replace(" ", "")
        if rhs and (_VARIABLE.match(var) or (_wrapped(var) and var[0] == "(")):
            return Assign(var, _parse(rhs, depth + 1))
    if s.startswith("\\{") and s.endswith("\\}") and _wrapped(s[1:]):
        inner = s[2:-2].strip()
        return Seq("set", tuple(_parse_item(x, depth + 1) for x in _split_top(inner, (",",)) if x))
    if s.startswith("\\langle") and s.endswith("\\rangle"):
        inner = s[len("\\langle") : -len("\\rangle")]
        return Seq("tuple", tuple(_parse_item(x, depth + 1) for x in _split_top(inner, (",",))))
    if s and s[0] in "([" and s[-1] in ")]" and _wrapped(s):
        items = _inner_items(s[1:-1])
        if len(items) == 2 and (s[0] == "[" or s[-1] == "]"):
            lo, hi = (_parse_item(x, depth + 1) for x in items)
            return Interval(lo, hi, s[0] == "[", s[-1] == "]")
        if len(items) >= 2:
            kind = "paren" if s[0] == "(" and s[-1] == ")" else "tuple"
            return Seq(kind, tuple(_parse_item(x, depth + 1) for x in items))
    return Scalar(s)


def _parse(s: str, depth: int = 0) -> Node:
    if depth > 8:  # deeper nesting is no answer shape we need to understand
        return Scalar(s)
    if "\\cup" in s:
        parts = _split_top(s, ("\\cup",))
        if len(parts) > 1:
            return Union(tuple(_parse_item(p, depth + 1) for p in parts))
    groups = _split_top(s, (";",)) if ";" in s else []
    if len(groups) > 1 and all(len(_split_top(g, (",",))) > 1 for g in groups):
        # p = 5, q = 2; p = 7, q = 2: semicolons separate solutions, commas their coordinates.
        return Seq("list", tuple(_parse(g, depth + 1) for g in groups))
    items = [x for part in _split_words(s) for x in _expand_pm(part)]
    if len(items) > MAX_ITEMS:
        return Scalar(s)
    if len(items) == 1:
        return _parse_item(items[0], depth)
    nodes = tuple(_parse_item(x, depth + 1) for x in items)
    names = [n.var for n in nodes if isinstance(n, Assign)]
    # x = 1, y = 2 names the coordinates of one solution: ordered like (1, 2), unlike x = 1, x = 2.
    kind = "assign" if len(names) == len(nodes) == len(set(names)) else "list"
    return Seq(kind, nodes)


def parse_structure(s: str) -> Node:
    """The top-level shape of a normalised answer.

    Args:
        s: output of `normalize`.

    Returns:
        A Node tree: bare lists split on commas, "and", "or", ";"; `\\{..\\}` sets; `(a, b)` parens;
        `[a, b)` intervals; `\\cup` unions; matrices; `x = v` / `x \\in v` assignments; a `\\pm` item
        expands to two. Anything else is a Scalar.
    """
    return _parse(s.strip())
