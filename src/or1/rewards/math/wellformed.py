"""Is an extracted answer a well-formed final answer? Malformed answers earn no reward.

A policy optimises whatever the verifier pays for. Parsers (math-verify's included) read the longest
sensible piece of a broken answer, so `\\boxed{[24, 25}` reads as 25 and `\\boxed{24 (or 25}` as 25:
a hedge that pays. The checks here run on the extracted answer before any comparison; each is one
linear scan. Rules (each returns its reason):

- brackets balance: `( [ \\{ {` close in order. An interval may mix kinds (`[0, 1)`, `(0, 1]`,
  `]0, 1[`), so a `(`/`[` may close with `)` or `]`; braces and `\\{ \\}` must match exactly;
- no operator where an operand belongs: nothing like `+*`, `/;`, `(,` or a trailing `+`, `-`, `*`,
  `/`, `^`, `_`, `=`, `<`, `>` (a trailing `.`, `,`, `;` is punctuation and is dropped earlier);
- no control characters (a tab or a NUL inside a box is a junk generator's, not a mathematician's);
- every backslash command is one LaTeX knows for math (an unknown `\\tz` is dropped by parsers, so
  `3\\tz` would read as 3).
"""

from __future__ import annotations

import re

__all__ = ["malformed", "names_a_value"]

_OPENERS = {"(": "round", "[": "round", "{": "brace"}
_CLOSERS = {")": "round", "]": "round", "}": "brace"}
_BINARY = set("*/^_=<>")  # may not start an operand position; + and - may (signs)
_ENDLESS = set("+-*/^_=<>")  # may not end an answer
_OPERAND_STOPS = set(",;")  # separators: need something on both sides inside brackets
_COMMAND = re.compile(r"\\([a-zA-Z]+)")
_BRACED_COMMA = re.compile(r"\{\s*,\s*\}")  # 1{,}000 and 14{, }916: a thousands separator
_EMPTY_BRACKETS = re.compile(r"(?<!\\)[(\[][\s]*[)\]]|(?<![\\_^a-zA-Z])\{\s*\}")
_DOUBLE_DOT = re.compile(r"(?<!\.)\.\.(?!\.)")
_BAD_ESCAPE = re.compile(r"\\[^a-zA-Z{}\\,;:!% $#&|\s()\[\]]")  # \, \; \! \% \$ \{ \| ... are LaTeX
_BASE = re.compile(r"(?<![A-Za-z0-9])(?P<digits>[0-9A-Z]+)_\{?(?P<base>\d+)\}?")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_TEXT = re.compile(r"\\(?:text|mathrm|textbf|textit|textrm|textnormal|mbox|operatorname)\s*\{[^{}]*\}")
# Commands that may appear in a final answer (math mode and text wrappers). Anything else is junk.
_KNOWN_NAMES = """
    frac dfrac tfrac cfrac sqrt cdot times div pm mp circ degree infty infinity pi theta alpha beta
    gamma delta epsilon varepsilon zeta eta iota kappa lambda mu nu xi omicron rho sigma tau upsilon
    phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega vartheta
    varpi varrho varsigma sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh coth log ln lg
    exp lim max min gcd lcm det deg mod bmod pmod text textbf textit textrm textnormal mathrm mathbf
    mathit mathbb mathcal mathsf mathtt operatorname mbox emph boxed fbox left right big Big bigg
    Bigg bigl bigr Bigl Bigr biggl biggr displaystyle textstyle le leq ge geq lt gt ne neq approx
    equiv sim simeq cong propto in notin subset subseteq supset supseteq cup cap setminus emptyset
    varnothing varnothing forall exists neg land lor wedge vee to rightarrow leftarrow Rightarrow
    Leftrightarrow iff implies mapsto langle rangle lfloor rfloor lceil rceil vert lvert rvert Vert
    mid parallel perp angle measuredangle triangle square overline underline bar hat vec dot ddot
    tilde widehat widetilde overrightarrow overleftarrow binom dbinom tbinom choose sum prod int
    iint oint partial nabla prime ldots cdots dots dotsc dotsb vdots ddots quad qquad hspace space
    begin end matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix array cases aligned align hline
    lbrace rbrace lbrack rbrack backslash percent dollar S P Re Im ell hbar aleph
    leqslant geqslant nleq ngeq ll gg colon cdotp ast star dagger
"""
_KNOWN = frozenset(_KNOWN_NAMES.split())


def _bracket_error(s: str) -> str | None:
    stack: list[tuple[str, int]] = []  # (opening character, position)
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s) and s[i + 1] in "{}":
            if s[i + 1] == "{":
                stack.append(("\\{", i))
            elif not stack or stack.pop()[0] != "\\{":
                return "unbalanced \\{ \\}"
            i += 2
            continue
        if c == "\\" and i + 1 < len(s) and s[i + 1] == "\\":
            i += 2  # a matrix row break
            continue
        if c in _OPENERS:
            stack.append((c, i))
        elif c in _CLOSERS:
            if not stack or _OPENERS.get(stack[-1][0]) != _CLOSERS[c]:
                return f"unbalanced {c!r}"
            opener, start = stack.pop()
            # [a, b) and (a, b] are intervals: a mixed pair must hold two endpoints.
            if opener + c in ("[)", "(]") and "," not in s[start:i]:
                return f"unbalanced {opener!r} ... {c!r}"
        i += 1
    return "unclosed bracket" if stack else None


def _operator_error(s: str) -> str | None:
    # Drop text-mode words, commands and spaces: what is left is the operator skeleton.
    skeleton = _COMMAND.sub("a", _TEXT.sub("a", s)).replace(" ", "")
    prev = "("  # the start behaves like an opening bracket
    for c in skeleton:
        joined = c == "=" and prev in "<>!"  # <=, >=, != are one operator; == is no answer's
        if c == "!" and prev in _ENDLESS | set("([{,;|!."):
            return "'!' after an operator"
        if c in _BINARY and prev in _BINARY | set("+-([{,;") and not joined:
            return f"operator {c!r} after {prev!r}"
        if c in _OPERAND_STOPS and prev in set("([{,;") | _ENDLESS:
            return f"empty item before {c!r}"
        if c in ")]}" and prev in _ENDLESS | _OPERAND_STOPS and prev not in "'":
            return f"operator {prev!r} before {c!r}"
        prev = c
    if prev in _ENDLESS:
        return f"ends with operator {prev!r}"
    return None


def _shape_error(s: str) -> str | None:
    """Junk shapes that balance: empty brackets, `..`, a trailing separator, an equation between
    two numbers, an escaped character that is no LaTeX symbol."""
    if _EMPTY_BRACKETS.search(s):
        return "empty brackets"
    if _DOUBLE_DOT.search(s):
        return "'..'"
    if s.rstrip()[-1:] in (",", ";"):
        return "ends with a separator"
    for m in _BASE.finditer(s):  # 204_5 is base 5; 3_3 and 3_333 are no numbers
        base = int(m["base"])
        if not 2 <= base <= 36 or any(int(d, 36) >= base for d in m["digits"]):
            return f"no number in base {base}"
    if s.replace("\\|", "").count("|") % 2:
        return "unpaired '|'"
    bad = _BAD_ESCAPE.search(s.replace("\\\\", " "))  # a matrix row break is no escape
    if bad:
        return f"escaped {bad.group(0)!r}"
    sides = [x.strip() for x in s.split("=")] if "=" in s and "<" not in s and ">" not in s else []
    if len(sides) > 1 and all(_NUMBER.match(x) for x in sides):
        return "an equation between numbers"
    return None


_NAME = re.compile(
    r"^(?:[A-Za-z](?:_\{?[A-Za-z0-9]+\}?)?'*(?:\([a-z0-9,]*\))?|[A-Z]{2,4}|\\[a-zA-Z]+(?:_\{?[A-Za-z0-9]+\}?)?"
    r"|\([A-Za-z,_{}0-9]+\)|\|[A-Za-z]+\||[A-Za-z_{}0-9]+:[A-Za-z_{}0-9]+)$"
)


def names_a_value(answer: str) -> bool:
    """Whether an answer `lhs = ... = value` may be read as its last side: the left side names what
    is asked (`x`, `f(2)`, `a_{37}`, `(p, q)`, `AB`, `|AB|`), so `x = 5+5+1 = 11` answers 11. An
    answer without `=` is its own value. `zz 2 = 3` is an equation, not the value 3."""
    if "=" not in answer.replace("<=", "").replace(">=", "").replace("!=", ""):
        return True
    lhs = answer.split("=", 1)[0].replace(" ", "").replace("\\left", "").replace("\\right", "")
    return bool(lhs) and _NAME.match(lhs.rstrip("\\<>!")) is not None


def malformed(answer: str) -> str | None:
    """Why an extracted answer is not a well-formed final answer, or None when it is.

    Args:
        answer: the extracted answer text (box content, stated answer), before normalisation.

    Returns:
        A short reason ("unbalanced '('", "ends with operator '+'", "unknown command \\\\tz", ...) or
        None. Examples: "24 (25" -> "unclosed bracket"; "[24, 25" -> "unclosed bracket";
        "3(4\\\\tz(b/;2y -x]" -> a reason; "[0, 1)" -> None; "x \\\\le 5" -> None.
    """
    s = _BRACED_COMMA.sub(",", answer.strip())
    if s.startswith("]") and s.endswith("[") and "," in s:
        s = "(" + s[1:-1] + ")"  # ]a, b[ is the French open interval
    if not s:
        return "empty"
    if any(ord(c) < 32 and c not in "\n" for c in s):
        return "control character"
    for m in _COMMAND.finditer(s):
        if m.group(1) not in _KNOWN:
            return f"unknown command \\{m.group(1)}"
    return _bracket_error(s) or _shape_error(s) or _operator_error(s.rstrip(" ."))
