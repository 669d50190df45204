"""Decontamination cases against AIME24/25: light paraphrases are removed, template-sharing problems kept."""

from __future__ import annotations

import pytest
from planted import AIME24, AIME25

from or1.config import DecontamOptions
from or1.data.decontaminate import decontaminate_rows

OPTS = DecontamOptions(against=(str(AIME24), str(AIME25)))

# Rewordings with the same numbers: clauses reordered, synonyms (AIME24 #0, #2, #27; AIME25 #5, #7).
PARAPHRASES = [
    ("Aya's daily walk is $9$ km and ends with a stop at a café, where she spends $t$ minutes. At a steady $s$ "
     "km/h the outing lasts 4 hours in total; at $s+2$ km/h it lasts 2 hours 24 minutes, café time included "
     "both times. How long, in minutes and counting the café, is the outing at $s+\\frac{1}{2}$ km/h?",
     "test-math-aime24/0"),
    ("Bob and Alice share a pile of $n$ tokens; Alice moves first and each move takes away $1$ or $4$ tokens. "
     "Taking the final token wins. For how many $n \\le 2024$ can Bob force a win however Alice moves?",
     "test-math-aime24/2"),
    ("Take $\\omega \\ne 1$ a 13th root of unity. Reduce $\\prod_{k=0}^{12}(2-2\\omega^k+\\omega^{2k})$ "
     "modulo 1000.", "test-math-aime24/27"),
    ("A circle of radius 3 sits inside an isosceles trapezoid, touching all four sides, and the trapezoid's "
     "area is 72. Its parallel sides measure $r \\neq s$. Compute $r^{2}+s^{2}$.", "test-math-aime25/5"),
    ("Sum all $k$ (real) for which the system $|25+20i-z|=5$, $|z-4-k|=|z-3i-k|$ admits exactly one complex "
     "$z$; writing that sum as $\\frac{m}{n}$ in lowest terms, report $m+n$. ($i=\\sqrt{-1}$.)",
     "test-math-aime25/7"),
]
# Different problems that share an answer-format phrase (or a setup phrase) with an AIME problem.
TEMPLATE_SHARING = [
    "Two fair dice are rolled. The probability that the product is a perfect square is $\\tfrac{m}{n}$, where "
    "$m$ and $n$ are relatively prime positive integers. Find $m+n$.",
    "Let $N$ be the number of positive integers less than $10^4$ whose digits are all odd. Find the remainder "
    "when $N$ is divided by $1000$.",
    "Let $N = 7^{2024}$. Find the remainder when $N$ is divided by $1000$.",
    "The inradius of a triangle with sides $5$, $12$, $13$ can be written as $\\frac{m}{n}$, where $m$ and $n$ "
    "are relatively prime positive integers. Find $m+n$.",
    "The height of a regular tetrahedron with edge $6$ can be written in the form $m\\sqrt{n}$, where $m$ and "
    "$n$ are positive integers and $n$ is not divisible by the square of any prime. Find $m+n$.",
    "The distance from $(1,1)$ to the line $3x + 4y = 20$ can be written in the form $\\frac{m \\sqrt n}{p}$, "
    "where $m$, $n$, and $p$ are positive integers, $m$ and $p$ are relatively prime, and $n$ is not divisible "
    "by the square of any prime. Find $m+n+p$.",
    "Find the number of ordered pairs $(x,y)$, where both $x$ and $y$ are integers between $-5$ and $5$, "
    "inclusive, such that $xy = 4$.",
    "Alice and Bob play the following game with a pile of $30$ stones: a move removes $2$ or $3$ stones, and "
    "whoever cannot move loses. Who wins with perfect play, and with which first move?",
    "Let $x$, $y$ and $z$ be positive real numbers with $x + y + z = 12$. Find the largest possible value of "
    "$xyz$.",
]


def _rows(texts: list[str]) -> list[dict]:
    return [{"data_source": "t", "prompt": [{"role": "user", "content": t}], "ability": "math",
             "reward_model": {"style": "rule", "ground_truth": "1"}, "extra_info": {"index": i}}
            for i, t in enumerate(texts)]


@pytest.mark.parametrize(("text", "eval_uid"), PARAPHRASES)
def test_paraphrase_is_removed(text, eval_uid):
    (removed,) = decontaminate_rows(_rows([text]), OPTS).removed
    assert removed.reason in ("paraphrase", "ngram_overlap") and removed.detail["eval_uid"] == eval_uid
    assert removed.detail["numbers"] is None or removed.detail["numbers"] >= 0.6


@pytest.mark.parametrize("text", TEMPLATE_SHARING)
def test_template_sharing_problem_is_kept(text):
    out = decontaminate_rows(_rows([text]), OPTS)
    assert out.removed == [], out.removed


def test_everything_together_and_the_evidence():
    out = decontaminate_rows(_rows([t for t, _ in PARAPHRASES] + TEMPLATE_SHARING), OPTS)
    assert sorted(int(r.uid.split("/")[1]) for r in out.removed) == list(range(len(PARAPHRASES)))
    detail = out.removed[0].detail
    assert set(detail) >= {"benchmark", "eval_uid", "cosine", "numbers", "rare_words"}


def test_a_phrase_many_training_problems_share_is_a_template(tmp_path):
    """A 13-gram of one eval problem that unrelated training rows also use is not evidence."""
    from or1.problems.schema import write_rows

    phrase = "the count we want is the sum of the digits of the number of ways to do it"
    text = f"A frog hops along a row of lily pads. {phrase}."
    evals = [{"data_source": "e", "prompt": [{"role": "user", "content": text}], "ability": "math",
              "reward_model": {"style": "rule", "ground_truth": "1"}, "extra_info": {"index": 0}}]
    path = write_rows(evals, tmp_path / "e.parquet")
    close = f"A toad leaps across stepping stones in a pond. {phrase}."
    unlike = [f"Knights of a northern kingdom sit at a round oak table, each wearing armour and a cloak of wool "
              f"dyed in a colour of the house they serve. {phrase}.",
              f"Letters written by a careful clerk in a busy post office of a harbour town go into envelopes "
              f"addressed to merchants, sailors and their families. {phrase}."]
    opts = DecontamOptions(against=(str(path),), similarity=1.0, similarity_with_numbers=1.0,
                           similarity_with_evidence=1.0, ngram_min_similarity=0.3)
    (removed,) = decontaminate_rows(_rows([close]), opts).removed  # alone, the phrase is evidence
    assert removed.reason == "ngram_overlap"
    assert decontaminate_rows(_rows([close, *unlike]), opts).removed == []  # used by 2 unlike rows: template
