"""Figures in problem text: drawn inline (Asymptote, TikZ), embedded as a picture, or only referred to.

A figure written as Asymptote or TikZ code is text the model reads: such a problem is answerable and is
kept by default (MATH geometry and counting problems are full of them). A picture the model cannot see
(an image link, `\\includegraphics`) or a reference to one ("in the diagram", "as shown", "pictured",
"the figure below") with no inline drawing in the text means the problem lacks what it needs.
"Figure" alone is not a reference: "a four-figure number", "a figure skater", "significant figures",
"the figure formed by A, B and C" are words; "it can be shown that" is a proof, not a picture.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

__all__ = ["FigureVerdict", "figure_verdict"]

# Complete drawing blocks. Unclosed ones are a truncated figure, so they do not count as drawn.
_INLINE = re.compile(r"\[asy\].*?\[/asy\]|\\begin\{asy\}.*?\\end\{asy\}"
                     r"|\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}|\\tikz\b", re.IGNORECASE | re.DOTALL)
_UNCLOSED = re.compile(r"\[asy\]|\\begin\{(?:asy|tikzpicture)\}", re.IGNORECASE)
_EMBED = re.compile(r"\\includegraphics|<img\b|!\[[^\]]*\]\([^)]*\)|\.(?:png|jpe?g|gif|svg)\b", re.IGNORECASE)
_PIC = r"(?:diagram|picture|drawing|illustration|image|figure|graph|chart|sketch)"
_WHERE = r"(?:below|above|here|at\s+(?:the\s+)?(?:right|left)|to\s+the\s+(?:right|left)|on\s+the\s+(?:right|left))"
_REFERENCE = re.compile(
    "|".join((
        # "as shown", "is shown", "the region shown", but not "it can be shown that" or "has shown".
        r"(?<!\bbe )(?<!\bbeen )(?<!\bhas )(?<!\bhave )(?<!\bhad )\bshown\b(?!\s+that\b)",
        r"\b(?:pictured|depicted|illustrated)\b",
        r"\b(?:as|is|are)\s+illustrated\b",
        rf"\b(?:drawn|illustrated|given|sketched)\s+{_WHERE}",
        rf"\b{_PIC}\s+{_WHERE}",
        rf"\b(?:in|on|from|see|using|use|into)\s+(?:the\s+)?(?:accompanying\s+|adjacent\s+|following\s+|given\s+)?"
        rf"{_PIC}\b(?!\s+of\b)",
        r"\b(?:the|this|that|each|following|accompanying|adjacent)\s+(?:diagram|picture|drawing|illustration)s?\b",
        r"\b(?:the|this|following|accompanying|adjacent)\s+figures?\s+(?:shows?|depicts?|illustrates?|represents?)\b",
        r"\b(?:following|accompanying|adjacent)\s+(?:figure|graph|image|chart)s?\b",
        r"\b(?:fig\.?|figure)\s*\(?\d+\)?(?![-\w])",
    )),
    re.IGNORECASE,
)


class FigureVerdict(NamedTuple):
    """What a text does with figures.

    Attributes:
        kind: "none" (no figure involved), "inline" (drawn as Asymptote/TikZ text; references to it are
            satisfied) or "missing" (a picture the model cannot see, or a reference with nothing drawn).
        matched: the text that decided it ("" for none).
    """

    kind: Literal["none", "inline", "missing"]
    matched: str


def figure_verdict(text: str) -> FigureVerdict:
    """Classify `text` (see the module docstring); embedded pictures win over an inline drawing."""
    if m := _EMBED.search(text):
        return FigureVerdict("missing", m.group(0))
    if m := _INLINE.search(text):
        return FigureVerdict("inline", m.group(0)[:40])
    if m := _UNCLOSED.search(text):
        return FigureVerdict("missing", m.group(0) + " (unclosed)")
    if m := _REFERENCE.search(text):
        return FigureVerdict("missing", m.group(0))
    return FigureVerdict("none", "")
