"""Answer extraction: the last balanced box of the answer section, and the `</think>` rule."""

import pytest

from or1.rewards.math.verifier import extract_answer, extract_boxed, score

BOXED = [
    ("so \\boxed{5}.", "5"),
    ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
    ("\\boxed{1} then \\boxed{2}", "2"),
    ("\\boxed{\\{1, 2\\}}", "\\{1, 2\\}"),
    ("\\boxed{[0, 1)}", "[0, 1)"),
    ("\\fbox{7}", "7"),
    ("\\boxed 5 is it", "5"),
    ("\\boxed {12}", "12"),
    ("\\boxed{x = \\boxed{3}}", "x = \\boxed{3}"),
    ("\\boxed{\\text{(B)}}", "\\text{(B)}"),
    ("\\boxed{a^{2}+b^{2}}", "a^{2}+b^{2}"),
    ("\\boxed{3", None),
    ("\\boxed{2} and \\boxed{3", "2"),
    ("no box here", None),
    ("\\boxedx{3}", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), BOXED)
def test_extract_boxed(text: str, expected: str | None) -> None:
    assert extract_boxed(text) == expected


ANSWERS = [
    ("<think>a</think>\\boxed{5}", "response", (), ("5", "ok")),
    ("<think>\\boxed{4}</think>\\boxed{5}", "response", (), ("5", "ok")),
    ("<think>\\boxed{4}</think>no box", "response", (), (None, "no_answer")),
    ("\\boxed{5}", "response", (), (None, "unfinished")),
    ("<think>a</think><think>b</think>\\boxed{6}", "response", (), ("6", "ok")),
    ("<think>a</think>\\boxed{ }", "response", (), (None, "no_answer")),
    ("<think>a</think>The final answer is $7$.", "response", ("answer_is",), ("7", "ok")),
    ("<think>a</think>Answer: 8", "response", ("answer_is",), ("8", "ok")),
    ("<think>a</think>so $x = 9$ holds", "response", ("last_math",), ("x = 9", "ok")),
    ("<think>a</think>The final answer is $7$.", "response", (), (None, "no_answer")),
    ("25", "answer", (), ("25", "ok")),
    ("$\\frac{1}{2}$", "answer", (), ("\\frac{1}{2}", "ok")),
    ("\\boxed{3}", "answer", (), ("3", "ok")),
    ("   ", "answer", (), (None, "no_answer")),
]


@pytest.mark.parametrize(("response", "mode", "fallbacks", "expected"), ANSWERS)
def test_extract_answer(response: str, mode: str, fallbacks: tuple, expected: tuple) -> None:
    assert extract_answer(response, mode, fallbacks=fallbacks) == expected  # type: ignore[arg-type]


def test_score_joins_boxes_for_a_multi_answer_gold() -> None:
    response = "<think>...</think>The roots are $\\boxed{2}$ and $\\boxed{3}$."
    assert score(response, "2, 3").correct
    assert not score(response, "2, 3, 4").correct
    assert score(response, "3").correct  # the last box
    assert not score(response, "2").correct


def test_score_accepts_a_list_gold_and_a_json_list_gold() -> None:
    assert score("<think></think>\\boxed{4}", ["3", "4"]).correct
    assert score("<think></think>\\boxed{4}", '["3", "4"]').correct
    assert not score("<think></think>\\boxed{0}", "[0, 1]").correct  # an interval, not two answers
    assert score("<think></think>\\boxed{[0, 1]}", "[0, 1]").correct


def test_score_result_fields() -> None:
    result = score("<think></think>\\boxed{025}", "25")
    assert (result.reward, result.status, result.extracted) == (1.0, "ok", "025")
    assert score("<think></think>\\boxed{24}", "25").status == "wrong"
    assert score("25", "25", mode="answer").correct
