"""Forms other graders' test tables check (symbolic identities, rearranged equations, calculator
notation, function names, complex numbers, intervals written as inequalities, stated answers): each
row is (prediction, gold, expected), with near misses beside the forms so that a test of the form
cannot pass by accepting everything."""

import pytest

from or1.rewards.math.verifier import verify

CASES: dict[str, list[tuple[str, str, bool]]] = {
    "identities": [
        ("\\cos^2 x + \\sin^2 x", "1", True),
        ("cos(x)^2+sin(x)^2", "1", True),
        ("cos(x)^2-sin(x)^2", "1", False),
        ("\\log(a^2 b)", "2 \\log a + \\log b", True),
        ("log(a^2*b)", "2 log(a) + log(b)", True),
        ("\\log(a^2 b)", "\\log a + \\log b", False),
        ("\\tan^2 y + 1", "\\sec^2 y", True),
        ("|x|", "abs(x)", True),
        ("|x|", "x", False),
        ("\\frac{x+2}{7}", "\\frac{x}{7}+\\frac{2}{7}", True),
        ("(x+1)^2", "x^2+2x+1", True),
        ("(x+1)^2", "x^2+x+1", False),
    ],
    "equations": [
        ("y=1-x", "x+y=1", True),
        ("2x+2y=2", "x+y=1", True),
        ("y=1+x", "x+y=1", False),
        ("2x+4y-3=0", "y=-\\frac{1}{2}x+\\frac{3}{4}", True),
        ("x^2/16 + y^2/12 = 1/4", "x^2/4 + y^2/3 = 1", True),
        ("y = 2x+3", "f(x) = 2x+3", True),
        ("f(x) = 2x+3", "y = 2x+3", True),
        ("y = 2x+4", "f(x) = 2x+3", False),
        ("g(x) = 2x+3", "f(x) = 2x+3", False),
    ],
    "calculator": [
        ("sqrt(x)", "\\sqrt{x}", True),
        ("abs(x)", "|x|", True),
        ("2*x", "2x", True),
        ("x^2", "x*x", True),
        ("sqrt(2)/2", "\\frac{\\sqrt{2}}{2}", True),
        ("sqrt(3)/2", "\\frac{\\sqrt{2}}{2}", False),
        ("pi/2", "\\frac{\\pi}{2}", True),
        ("2*x+1", "2x", False),
    ],
    "complex": [
        ("i(2-i)", "1+2i", True),
        ("(2-i)i", "1+2i", True),
        ("2i+1", "1+2i", True),
        ("1-2i", "1+2i", False),
        ("i(2+i)", "1+2i", False),
    ],
    "intervals": [
        ("(0,1)", "0<f(x)<1", True),
        ("(-793, 10)", "-793 < a < 10", True),
        ("[1, 5)", "1 \\le x < 5", True),
        ("(1, 5)", "1 \\le x < 5", False),
        ("(2,12) \\cup (12,102)", "(2, 12) \\cup (12, 102)", True),
        ("(2,12) \\cup (12,103)", "(2, 12) \\cup (12, 102)", False),
    ],
    "separators_and_sets": [
        ("32,\\! 349", "32349", True),
        ("11,\\! 111,\\! 111,\\! 100", "11111111100", True),
        ("32, 349", "32349", False),
        ("(7,11),\\ (11,7)", "(11,7)or(7,11)", True),
        ("(7,11),\\ (11,8)", "(11,7)or(7,11)", False),
        ("(3, 37, 3, 13), (3, 17, 3, 7), (3,17,3,7), (17,3,3,7)", "(17,3,3,7),(3,37,3,13),(3,17,3,7)", True),
        ("(5,2),(7,2)", "p=5,q=2;p=7,q=2", True),
        ("(5,2),(7,3)", "p=5,q=2;p=7,q=2", False),
        ("1000,99", "1000.99", True),
        ("0.111", "0,111", True),
        ("1,000", "1000", True),
    ],
    "stated_answers": [
        ("... so the answer is 2/3", "\\frac{2}{3}", True),
        ("The final answer is $14{,}916$. I hope it is correct.", "14916", True),
        ("Answer: 42", "42", True),
        ("<answer>17</answer>", "17", True),
        ("Final Answer: The largest $n$ is 34.", "34", True),
        ("Final Answer: The largest $n$ is 35.", "34", False),
        ("We had \\boxed{200}. Final Answer: The final answer is $10,455$.", "10455", True),
        ("The answer is 5 or 7.", "5", False),
    ],
}
ROWS = [(c, p, g, e) for c, rows in CASES.items() for p, g, e in rows]


@pytest.mark.parametrize(("category", "pred", "gold", "expected"), ROWS)
def test_other_graders_forms(category: str, pred: str, gold: str, expected: bool) -> None:
    assert verify(gold=gold, pred=pred) is expected
