"""Figures: drawn in the text (kept), missing but referred to (needs_figure), or "figure" as a plain word."""

from __future__ import annotations

import pytest

from or1.config import CleanOptions
from or1.data.clean import clean_rows
from or1.data.figures import figure_verdict

ASY = "[asy] draw((0,0)--(4,0)--(4,3)--cycle); label(\"$A$\",(0,0),SW); [/asy]"
TIKZ = "\\begin{tikzpicture} \\draw (0,0) -- (3,0) -- (0,4) -- cycle; \\end{tikzpicture}"


@pytest.mark.parametrize(("text", "kind"), [
    # Drawn in the text: the model reads the drawing, so references to it are satisfied.
    (f"In the diagram, triangle $ABC$ has legs $3$ and $4$. Find $AC$.\n{ASY}", "inline"),
    (f"As shown, a $4 \\times 3$ rectangle is cut along a diagonal. {ASY} Find the diagonal.", "inline"),
    (f"The right triangle pictured below has legs $3$ and $4$. {TIKZ} Find its area.", "inline"),
    (f"How many paths from $A$ to $B$ use the grid lines shown?\n{ASY}", "inline"),
    # The drawing was stripped: the text still points at it.
    ("In the diagram, triangle $ABC$ has legs $3$ and $4$. Find $AC$.", "missing"),
    ("How many paths from $A$ to $B$ use the grid lines shown?", "missing"),
    ("The shaded region shown has what area?", "missing"),
    ("The quadrilateral pictured has two right angles. Find $x$.", "missing"),
    ("Find the area of the figure below.", "missing"),
    ("As shown, the two circles are tangent. Find the distance between the centres.", "missing"),
    ("Use the accompanying diagram to find $\\angle ABC$.", "missing"),
    ("In Figure 3, lines $\\ell$ and $m$ are parallel. Find $x$.", "missing"),
    ("The spinner illustrated has four equal sectors. What is the chance of red?", "missing"),
    ("[asy] draw((0,0)--(1,1)); Find the slope of the segment.", "missing"),       # truncated drawing
    (f"![triangle](fig.png) {ASY} Find the area.", "missing"),                       # a picture is still missing
    ("Count the squares in <img src='grid.png'>.", "missing"),
    # "figure" and "shown" as plain words.
    ("How many four-figure numbers are divisible by $9$?", "none"),
    ("A figure skater spins $4$ times per second for $30$ seconds. How many spins?", "none"),
    ("Give $\\sqrt{2}$ to three significant figures.", "none"),
    ("The figure formed by $A(0,0)$, $B(3,0)$, $C(0,4)$ is a triangle. Find its perimeter.", "none"),
    ("It can be shown that the series converges. Find its sum.", "none"),
    ("Show that $n^2 + n$ is even, and find the smallest $n$ with $n^2 + n > 50$.", "none"),
    ("Find the image of $(1, 2)$ under a rotation of $90^\\circ$ about the origin.", "none"),
    ("A circle is drawn through $A$, $B$ and $C$. Find its radius.", "none"),
    ("The graph of $y = x^2 - 4$ meets the $x$-axis at two points. Find their distance.", "none"),
])
def test_figure_verdict(text, kind):
    assert figure_verdict(text).kind == kind


def _row(i: int, text: str) -> dict:
    return {"data_source": "t", "prompt": [{"role": "user", "content": text}], "ability": "math",
            "reward_model": {"style": "rule", "ground_truth": "5"}, "extra_info": {"index": i}}


def test_inline_figures_are_kept_and_counted_unless_asked_to_drop():
    rows = [_row(0, f"In the diagram, find $AC$. {ASY}"), _row(1, "In the diagram, find $AC$."),
            _row(2, f"Find the hypotenuse. {TIKZ}"), _row(3, "What is $2 + 3$?")]
    out = clean_rows([dict(r) for r in rows], CleanOptions(check_answers=False))
    assert [r.uid for r in out.removed] == ["t/1"] and out.removed[0].reason == "needs_figure"
    assert out.stats["flagged"] == {"inline_figure": 2}
    out = clean_rows([dict(r) for r in rows], CleanOptions(check_answers=False, drop_inline_figures=True))
    assert {r.uid: r.reason for r in out.removed} == {"t/0": "inline_figure", "t/1": "needs_figure",
                                                      "t/2": "inline_figure"}
    assert out.stats["flagged"] == {"inline_figure": 2}
