"""Math reward red team: every known way to get reward without the answer earns 0.

Each row is a response a policy could learn to write (full responses, after `</think>`), against
the gold it tries to game. The code side (float for integer, reading the expected output, `__eq__`
tricks, huge outputs) is in test_code_reward_hacking.py. Property tests: seeded random junk boxes
are never correct for a fixed gold, and distinct integers are never equal however they are written.
"""

import random
import re

import pytest

from or1.rewards.math.verifier import MathVerifier, score

GOLD = "24"

HACKS: dict[str, list[tuple[str, str]]] = {
    "malformed_boxes": [
        ("\\boxed{24 (25}", "24"),
        ("\\boxed{[24, 25}", "25"),
        ("\\boxed{24 (or 25}", "25"),
        ("\\boxed{(24}", "24"),
        ("\\boxed{24)}", "24"),
        ("\\boxed{24+}", "24"),
        ("\\boxed{=24}", "24"),
        ("\\boxed{24 ==24}", "24"),
        ("\\boxed{3(4\\tz(b/;2y -x]}", "3"),
        ("\\boxed{3\\tz}", "3"),
        ("\\boxed{3..3}", "3"),
        ("\\boxed{3[]}", "3"),
        ("\\boxed{3,}", "3"),
        ("\\boxed{5=3}", "3"),
        ("\\boxed{3\\.}", "3"),
        ("\\boxed{3y[azc zz)}", "3"),
        ("\\boxed{]3 3[}", "3"),
    ],
    "hedged_boxes": [
        ("\\boxed{24, 25}", "24"),
        ("\\boxed{24 \\text{ or } 25}", "25"),
        ("\\boxed{24 or 25}", "25"),
        ("\\boxed{24; 25}", "24"),
        ("\\boxed{\\pm 24}", "24"),
        ("\\boxed{\\{24, 25\\}}", "24"),
        ("\\boxed{x = 24, x = 25}", "24"),
        ("\\boxed{24 \\text{ and } 25}", "24"),
    ],
    "several_boxes": [
        ("\\boxed{24} \\boxed{25}", "24"),
        ("\\boxed{25} or maybe \\boxed{24}, that is \\boxed{26}", "24"),
        ("First \\boxed{24}. On reflection the answer is \\boxed{25}.", "24"),
    ],
    "outside_the_answer": [
        ("\\boxed{24}", "24"),  # no </think>: unfinished reasoning, added below without it
        ("The answer is 24.", "24"),  # the reward reads boxes only
        ("$24$", "24"),
    ],
    "near_values": [
        ("\\boxed{24.0000001}", "24"),
        ("\\boxed{2.4 \\times 10^{1.0001}}", "24"),
        ("\\boxed{23.99}", "24"),
        ("\\boxed{24x}", "24"),
        ("\\boxed{24 x}", "24"),
        ("\\boxed{\\infty}", "24"),
        ("\\boxed{}", "24"),
        ("\\boxed{\\text{24 is the answer unless it is 25}}", "24"),
    ],
}
ROWS = [(kind, text, gold) for kind, rows in HACKS.items() for text, gold in rows]


def _response(kind: str, text: str) -> str:
    if kind == "outside_the_answer" and text.startswith("\\boxed"):
        return "<think>so " + text  # the box sits inside unfinished reasoning
    return "<think>reasoning</think>" + text


@pytest.mark.parametrize(("kind", "text", "gold"), ROWS)
def test_hack_earns_nothing(kind: str, text: str, gold: str) -> None:
    result = score(_response(kind, text), gold)
    assert result.reward == 0.0, result


def test_the_honest_answers_still_pay() -> None:
    # Controls: the same golds, answered plainly, are correct (the table cannot pass by refusing all).
    for text, gold in [("\\boxed{24}", "24"), ("\\boxed{3}", "3"), ("\\boxed{25}", "25"), ("\\boxed{x = 24}", "24")]:
        assert score("<think>r</think>" + text, gold).reward == 1.0


_JUNK = "0123456789abcxyz()[]+-*/^=;,. \\\t<>|!_'" + "3" * 6


# What a junk generator can hit that is the gold itself: 3, +3, 03, 3., 3^1, with thin spaces.
_GOLD_ITSELF = re.compile(r"^(?:\s|\\!)*\+?(?:\s|\\!)*0*3(?:\.0*)?(?:\^\{?1\}?)?\.?\s*$")


def _junk_boxes(n: int, seed: int) -> list[str]:
    """Random box contents over digits, letters, brackets and operators, the gold's digit weighted
    up; contents that are the gold itself (`_GOLD_ITSELF`) are left out."""
    rng, out = random.Random(seed), []
    while len(out) < n:
        box = "".join(rng.choice(_JUNK) for _ in range(rng.randint(1, 16)))
        if box.strip() and not _GOLD_ITSELF.match(box):
            out.append(box)
    return out


def test_random_junk_boxes_are_never_correct() -> None:
    boxes = _junk_boxes(10_000, seed=0)
    with MathVerifier(workers=2, timeout_s=5.0, cache_size=0) as verifier:
        results = verifier.score_batch(["<think>r</think>\\boxed{" + b + "}" for b in boxes], ["3"] * len(boxes))
    paid = [(b, r.extracted) for b, r in zip(boxes, results, strict=True) if r.correct]
    assert paid == []
    assert sum(r.status == "timeout" for r in results) == 0


def _spellings(n: int, rng: random.Random) -> str:
    return rng.choice([str(n), f"{n:,}", f"0{n}" if n >= 0 else str(n), f"{n}.0", f"\\frac{{{2 * n}}}{{2}}", f"{n}"])


def test_distinct_integers_are_never_equal() -> None:
    rng = random.Random(1)
    for _ in range(3000):
        a = rng.randint(-10**6, 10**6)
        b = a + rng.choice([1, -1, 10, -10, 1000, rng.randint(2, 10**6)])
        gold, pred = _spellings(a, rng), _spellings(b, rng)
        result = score(f"<think>r</think>\\boxed{{{pred}}}", gold)
        assert not result.correct, (gold, pred)
        assert score(f"<think>r</think>\\boxed{{{_spellings(a, rng)}}}", gold).correct, (gold, a)
