"""Clean: text normalisation, figure and URL detection, answer parsing, reference solutions in the sandbox."""

from __future__ import annotations

import json

import pytest

from or1.config import CleanOptions
from or1.data.clean import answer_parses, clean_rows, needs_figure, normalize_text

TESTS = json.dumps({"inputs": ["2 3\n", "10 -4\n"], "outputs": ["5\n", "6\n"]})


@pytest.mark.parametrize(("text", "expected"), [
    ("a\r\nb", "a\nb"),
    ("  x\u200b y \t\nz  ", "x y\nz"),
    ("p\n\n\n\nq", "p\n\nq"),
    ("e\u0301", "\u00e9"),          # NFC composes
    ("x² + 1", "x² + 1"),           # not NFKC: the superscript stays
    ("a\x00b\x07c", "abc"),
])
def test_normalize_text(text, expected):
    assert normalize_text(text) == expected


@pytest.mark.parametrize(("text", "figure"), [
    ("As shown in the figure, ABCD is a square. Find its area.", True),
    ("In the diagram below, find x.", True),
    ("[asy] draw((0,0)--(1,1)); [/asy] Find the slope.", False),   # drawn in the text: answerable
    ("See the picture above and count the dots.", True),
    ("The figure below shows a hexagon.", True),
    ("<img src='a.png'> What is the area?", True),
    ("How many four-figure numbers are divisible by 7?", False),
    ("The figure formed by A, B and C is a triangle with sides 3, 4, 5. Find its area.", False),
    ("A figure skater spins 3 times per second. How many spins in a minute?", False),
])
def test_needs_figure(text, figure):
    assert (needs_figure(text) is not None) == figure


@pytest.mark.parametrize(("answer", "ok"), [
    ("025", True), ("336^\\circ", True), ("\\frac{1}{2}", True), ("[0, 1)", True), ("Yes", True),
    ("\\sqrt{2}/2", True), ("x^2+1", True), ("\\text{odd}", True), ("-3.5", True),
    ("\\frac{1}{", False), ("}{", False), ("2+", False), ("(1, 2", False), ("", False), ("$ $", False),
    ("2^{2^{2^{2^{2}}}}", False),  # too large for sympy: not checkable
])
def test_answer_parses(answer, ok):
    assert answer_parses(answer) == ok


def _row(i: int, text: str, gt: str, ability: str = "math", **info) -> dict:
    return {"data_source": "t", "prompt": [{"role": "user", "content": text}], "ability": ability,
            "reward_model": {"style": "rule", "ground_truth": gt}, "extra_info": {"index": i, **info}}


def test_clean_rows_reasons_and_normalisation():
    rows = [
        _row(0, "What is 2+3?\r\n", " 5 "),
        _row(1, "As shown in the figure, find the area.", "4"),
        _row(2, "Read https://example.com/p1 and answer.", "4"),
        _row(3, "Compute the fraction.", "\\frac{1}{"),
        _row(4, "Compute both.", json.dumps(["1", "2+"])),                           # one bad answer of a list
        _row(5, "Add two numbers.", TESTS, "code", solution="a, b = map(int, input().split())\nprint(a + b)"),
        _row(6, "Add two numbers again.", TESTS, "code", solution="print(5)"),
        _row(7, "Add, no reference.", TESTS, "code"),
    ]
    out = clean_rows(rows, CleanOptions(workers=2, time_limit_s=5))
    assert {r.uid: r.reason for r in out.removed} == {
        "t/1": "needs_figure", "t/2": "has_url", "t/3": "answer_unparsable", "t/4": "answer_unparsable",
        "t/6": "reference_fails"}
    assert [r["extra_info"]["index"] for r in out.kept] == [0, 5, 7]  # input order kept
    assert out.kept[0]["prompt"][0]["content"] == "What is 2+3?" and out.kept[0]["reward_model"]["ground_truth"] == "5"
    assert out.stats == {"normalized": 1, "code_checked": 2, "code_unchecked": 1, "flagged": {}}
    assert next(r for r in out.removed if r.uid == "t/6").detail["status"] == "wrong_answer"


def test_clean_checks_can_be_switched_off():
    rows = [_row(0, "As shown in the figure, x?", "\\frac{1}{"), _row(1, "www.example.org says 3", "3")]
    out = clean_rows(rows, CleanOptions(drop_figures=False, drop_urls=False, check_answers=False))
    assert len(out.kept) == 2 and not out.removed
