"""String normalisation of math answers, before any structure or sympy work.

Every step is a linear-time string operation (no backtracking-prone regex), so the caller may run it
in-process on hostile input: it also builds the cache key of `MathVerifier`.
"""

from __future__ import annotations

import re

__all__ = ["MAX_ANSWER_CHARS", "normalize", "strip_delimiters"]

# An answer longer than this is not a final answer: it is compared by exact text only.
MAX_ANSWER_CHARS = 1000

_SIMPLE_REPLACEMENTS = (
    ("\\dfrac", "\\frac"),
    ("\\tfrac", "\\frac"),
    ("\\cfrac", "\\frac"),
    ("\\displaystyle", ""),
    ("\\left", ""),
    ("\\right", ""),
    ("\\!", ""),
    ("\\,", ""),
    ("\\;", ""),
    ("\\:", ""),
    ("\\qquad", " "),
    ("\\quad", " "),
    ("~", " "),
    ("\\leqslant", "\\le"),
    ("\\geqslant", "\\ge"),
    ("\\leq", "\\le"),
    ("\\geq", "\\ge"),
    ("\\neq", "\\ne"),
    ("\\lbrace", "\\{"),
    ("\\rbrace", "\\}"),
    ("\\lbrack", "["),
    ("\\rbrack", "]"),
    ("\\textstyle", ""),
    ("−", "-"),
    ("–", "-"),
    ("∞", "\\infty"),
    ("π", "\\pi"),
    ("×", "\\times"),
    ("·", "\\cdot"),
    ("\\mathbf", "\\text"),
    ("\\textbf", "\\text"),
    ("\\textit", "\\text"),
    ("\\mathrm", "\\text"),
    ("\\mathit", "\\text"),
    ("\\mbox", "\\text"),
    ("\\operatorname", "\\text"),
    ("\\textnormal", "\\text"),
    ("\\emph", "\\text"),
    ("{,}", ","),
)

# Thousands separators in LaTeX spellings: "32,\! 349", "14{, }916", "1{,}000" (before the thin spaces go).
_LATEX_THOUSANDS = re.compile(r"(\d)\s*(?:,\\!|\{\s*,\s*\})\s*(?=\d{3}(?!\d))")
# "\\frac" where "\frac" was meant (a doubled backslash before a command name, as escaped strings do).
_DOUBLED_BACKSLASH = re.compile(r"\\\\(?=[a-zA-Z]{2,})")
_SIZING = re.compile(r"\\[bB]igg?[lr]?(?![a-zA-Z])")
# Degree signs in all spellings: the value is compared without the unit (gold "336^\circ" vs 336).
_DEGREES = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\degree|\\circ")
_PERCENT = re.compile(r"\\%|%|\\text\{\s*percent\s*\}")
_THOUSANDS = re.compile(r"(?<![\d.,])[1-9]\d{0,2}(?:,\d{3})+(?![\d,])")  # "0,111" is a decimal comma
_ESCAPED_SPACE = re.compile(r"(?<!\\)\\ ")  # "\ " is a space, but "\\ " is a line break
_WORD_DEGREES = re.compile(r"\s*(?:\\text\{\s*)?degrees?(?:\s*\})?\s*$")
_SPACES = re.compile(r"\s+")
_TEXT_WRAP = re.compile(r"\\text\{([^{}]*)\}")
_TRAILING_PUNCT = ".;:,"


def strip_delimiters(s: str) -> str:
    """Drop surrounding math delimiters ($...$, \\[...\\], \\(...\\)) and whitespace.

    Args:
        s: a LaTeX answer.

    Returns:
        The text inside the outermost delimiters.
    """
    s = s.strip()
    changed = True
    while changed and s:
        changed = False
        for left, right in (("$$", "$$"), ("$", "$"), ("\\[", "\\]"), ("\\(", "\\)")):
            if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
                s = s[len(left) : len(s) - len(right)].strip()
                changed = True
    return s


def _unwrap_text(s: str) -> str:
    """`\\text{ cm}` -> ` cm `: text wrappers are kept as plain words, spaced from their neighbours."""
    for _ in range(3):  # nested wrappers such as \text{\textbf{A}} need more than one pass
        new = _TEXT_WRAP.sub(lambda m: " " + m.group(1) + " ", s)
        if new == s:
            break
        s = new
    return s


def _drop_thousands(s: str) -> str:
    """`1,000,000` -> `1000000`; a list `1, 2` (space after the comma) is left alone."""
    return _THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), s)


def normalize(s: str) -> str:
    """Canonical text of an answer.

    Steps, in order: strip delimiters; unify spellings (\\dfrac, \\tfrac -> \\frac, \\leq -> \\le,
    unicode minus, ...); drop sizing commands and thin spaces; drop degree signs; unify percent
    signs to one `%`; unwrap \\text{...} to plain words; remove thousands separators; drop trailing
    punctuation; collapse whitespace.

    Args:
        s: the extracted answer or a gold answer.

    Returns:
        The normalised text. Answers over MAX_ANSWER_CHARS come back stripped only.
    """
    s = strip_delimiters(s)
    if len(s) > MAX_ANSWER_CHARS:
        return s
    s = _LATEX_THOUSANDS.sub(r"\1,", s)
    s = _DOUBLED_BACKSLASH.sub(r"\\", s)
    for old, new in _SIMPLE_REPLACEMENTS:
        if old in s:
            s = s.replace(old, new)
    s = _SIZING.sub("", s)
    s = _ESCAPED_SPACE.sub(" ", s)
    # \$ is a dollar sign inside math: a currency unit, not a delimiter.
    s = s.replace("\\$", " ").replace("$", " ")
    s = _DEGREES.sub("", s)
    # One canonical percent sign, kept: the number parser reads it (50% matches 50 and 0.5).
    s = _PERCENT.sub("%", s)
    s = _unwrap_text(s)
    s = _WORD_DEGREES.sub("", s)
    s = _drop_thousands(s)
    s = _SPACES.sub(" ", s).strip()
    while s and s[-1] in _TRAILING_PUNCT:
        s = s[:-1].rstrip()
    return s
