"""Problem text: instruction sentences around a problem, and the numbers it states."""

from __future__ import annotations

from collections import Counter

import pytest

from or1.data.text import numbers, strip_instructions


@pytest.mark.parametrize(("text", "expected"), [
    ("Solve the following math problem. Make sure to put the answer (and only answer) inside \\boxed{}.\n\n"
     "Find the number of divisors of $2024$.", "Find the number of divisors of $2024$."),
    ("Problem 7: What is $2+2$?", "What is $2+2$?"),
    ("Question: How many primes are below $30$?", "How many primes are below $30$?"),
    ("Find $x$ if $2x = 8$. Give your answer as an integer.", "Find $x$ if $2x = 8$."),
    ("Practice problem.\nFind the least prime above $90$.\nShow your work.", "Find the least prime above $90$."),
    # The problem itself is never removed: math, numbers, or the only sentence.
    ("Solve for $x$: $2x + 3 = 7$.", "Solve for $x$: $2x + 3 = 7$."),
    ("Solve the equation.", "Solve the equation."),
    ("Boxes hold 12 eggs. How many boxes fill a box crate holding 5 boxes?",
     "Boxes hold 12 eggs. How many boxes fill a box crate holding 5 boxes?"),
    ("Which of the following is largest? $2^{10}$, $10^3$, $3^6$.", "Which of the following is largest? "
     "$2^{10}$, $10^3$, $3^6$."),
])
def test_strip_instructions(text, expected):
    assert strip_instructions(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("A stack of $4$ tokens and four more.", {"4": 2}),
    ("Find the remainder when $N$ is divided by $1,000$.", {"1000": 1}),
    ("A walk at $s+\\frac{1}{2}$ km/h takes 2.5 hours.", {"1": 1, "2": 1, "2.5": 1}),
    ("Nothing numeric here.", {}),
])
def test_numbers(text, expected):
    assert numbers(text) == Counter(expected)
