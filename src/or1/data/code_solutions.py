"""Reference solutions as dedup compares them: programs with identifiers and literals abstracted.

The same problem reaches a code pool through several mirrors (TACO, CodeContests, APPS, a LeetCode dump)
with statements rewritten, but its reference programs are often the same code under other names. A
program is normalised in two steps:
1. ast: parse, drop docstrings, `ast.unparse` (quotes, parentheses, spacing and comments fall away).
   Programs Python 3 cannot parse (TACO holds Python 2 solutions: `print x`) skip this step.
2. tokenize: every identifier that is not a keyword, a builtin or an attribute name becomes `v0`, `v1`,
   ... in order of first use (consistent renaming: `a + b` and `a + a` stay different), every number
   `NUM` and every string `STR`; comments and blank lines are dropped.
Builtins and attribute names are kept because they carry the meaning: `sum(x)` is not `len(x)`, and
`s.upper()` is not `s.lower()`. Two problems whose normalised reference solutions are identical are
duplicates; very short programs (`print(int(input()) * 2)`) are shared by unrelated problems, so a
normalised program needs `min_tokens` tokens to count.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import io
import keyword
import tokenize
from typing import Any

__all__ = ["normalize_solution", "solution_of"]

_BUILTINS = frozenset(dir(builtins))
_DROP = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}


def solution_of(row: dict[str, Any]) -> str | None:
    """The row's reference program (`extra_info.solution`, as ingest stores TACO's first and LeetCode's
    completion), or None."""
    info = row.get("extra_info")
    sol = info.get("solution") if isinstance(info, dict) else None
    return sol if isinstance(sol, str) and sol.strip() else None


class _NoDocstrings(ast.NodeTransformer):
    """Removes the string statement that opens a module, class or function body."""

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
        return node


def _canonical_source(source: str) -> str:
    """The program as `ast.unparse` prints it, or the source itself when Python 3 cannot parse it."""
    try:
        return ast.unparse(_NoDocstrings().visit(ast.parse(source)))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source


def _abstract_tokens(source: str) -> list[str] | None:
    """The token stream with identifiers renamed and literals abstracted; None when it does not tokenize."""
    names: dict[str, str] = {}
    out: list[str] = []
    prev = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in _DROP:
                continue
            if tok.type == tokenize.NAME:
                keep = keyword.iskeyword(tok.string) or tok.string in _BUILTINS or prev == "."
                text = tok.string if keep else names.setdefault(tok.string, f"v{len(names)}")
            elif tok.type == tokenize.NUMBER:
                text = "NUM"
            elif tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_START", -1):
                text = "STR"
            elif tok.type in (getattr(tokenize, "FSTRING_MIDDLE", -1), getattr(tokenize, "FSTRING_END", -1)):
                continue  # the f-string as a whole is one STR
            elif tok.type == tokenize.INDENT:
                text = "INDENT"  # the depth, not the width: tabs and 2 or 4 spaces agree
            else:
                text = tok.string if tok.string.strip() else tokenize.tok_name[tok.type]
            out.append(text)
            prev = tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return out


def normalize_solution(source: str, min_tokens: int = 1) -> tuple[str, int] | None:
    """(sha256 of the normalised program, its token count), or None when the program does not tokenize
    or has fewer than `min_tokens` tokens.

    >>> normalize_solution("x = 3\\nprint(x + 1)") == normalize_solution("n=10 # size\\nprint(n+2)")
    True
    """
    toks = _abstract_tokens(_canonical_source(source))
    if toks is None or len(toks) < min_tokens:
        return None
    return hashlib.sha256(" ".join(toks).encode()).hexdigest(), len(toks)
