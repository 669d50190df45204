"""Generated (gold, prediction, expected) pairs for the differential math benchmark, by category.

Each category builds equal pairs (the same value in another spelling) and unequal ones (a near
value) whose label follows from construction, so a verifier's mistakes show by category.
"""

from __future__ import annotations

import random
from collections.abc import Callable

Pair = tuple[str, str, str, bool]  # (category, gold, prediction, expected)


def _integers(rng: random.Random) -> tuple[str, str, bool]:
    n = rng.randint(-5000, 99999)
    spell = rng.choice([str(n), f"{n:,}", f"{n}.0", f"\\frac{{{2 * n}}}{{2}}", f"{n}^{{1}}"])
    if rng.random() < 0.5:
        return str(n), spell, True
    m = n + rng.choice([1, -1, 10, 100, rng.randint(2, 999)])
    return str(n), rng.choice([str(m), f"{m:,}", f"{m}.0"]), False


def _fractions(rng: random.Random) -> tuple[str, str, bool]:
    p, q, k = rng.randint(1, 40), rng.choice([2, 4, 5, 8, 10, 16, 20, 25]), rng.randint(2, 6)
    gold = f"\\frac{{{p}}}{{{q}}}"
    if rng.random() < 0.5:
        same = [f"\\frac{{{p * k}}}{{{q * k}}}", repr(p / q), f"{p}/{q}", f"\\dfrac{{{p}}}{{{q}}}"]
        return gold, rng.choice(same), True
    other = [f"\\frac{{{p + 1}}}{{{q}}}", repr(p / q + 0.01), f"{q}/{p}" if p != q else f"{p + 1}/{q}"]
    return gold, rng.choice(other), False


def _radicals(rng: random.Random) -> tuple[str, str, bool]:
    a, b = rng.randint(2, 9), rng.choice([2, 3, 5, 6, 7])
    gold = f"{a}\\sqrt{{{b}}}"
    if rng.random() < 0.5:
        return gold, rng.choice([f"\\sqrt{{{a * a * b}}}", f"\\sqrt{{{b}}} \\cdot {a}", f"{a} \\sqrt {b}"]), True
    return gold, rng.choice([f"\\sqrt{{{a * b}}}", f"{a + 1}\\sqrt{{{b}}}", f"{a}\\sqrt{{{b + 1}}}"]), False


def _polynomials(rng: random.Random) -> tuple[str, str, bool]:
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    gold = f"(x+{a})(x+{b})"
    expanded = f"x^2+{a + b}x+{a * b}"
    if rng.random() < 0.5:
        return gold, rng.choice([expanded, f"(x+{b})(x+{a})", f"x^2 + {a * b} + {a + b}x"]), True
    return gold, rng.choice([f"x^2+{a + b + 1}x+{a * b}", f"(x+{a})(x-{b})", f"x^2+{a * b}"]), False


def _tuples(rng: random.Random) -> tuple[str, str, bool]:
    a, b = rng.sample(range(-20, 30), 2)
    if rng.random() < 0.5:
        return f"({a}, {b})", rng.choice([f"({a},{b})", f"\\left( {a}, {b} \\right)", f"(x, y) = ({a}, {b})"]), True
    return f"({a}, {b})", rng.choice([f"({b}, {a})", f"({a}, {b + 1})", f"\\{{{a}, {b}\\}}"]), False


def _sets(rng: random.Random) -> tuple[str, str, bool]:
    items = rng.sample(range(-9, 20), rng.randint(2, 4))
    gold = ", ".join(map(str, items))
    shuffled = items[:]
    rng.shuffle(shuffled)
    if rng.random() < 0.5:
        return gold, rng.choice([", ".join(map(str, shuffled)), "\\{" + ", ".join(map(str, shuffled)) + "\\}"]), True
    return gold, ", ".join(map(str, shuffled[:-1])), False


def _junk(rng: random.Random) -> tuple[str, str, bool]:
    alphabet = "0123456789abxyz()[]+-*/^=;,. \\" + "7" * 5
    while True:
        box = "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 12)))
        if box.strip(" +-").lstrip("0") not in ("7", "7.", ""):  # --7 is 7
            return "7", box, False


CATEGORIES: dict[str, Callable[[random.Random], tuple[str, str, bool]]] = {
    "integers": _integers, "fractions": _fractions, "radicals": _radicals, "polynomials": _polynomials,
    "tuples": _tuples, "sets": _sets, "junk": _junk,
}  # fmt: skip


def generate(n: int, seed: int = 0) -> list[Pair]:
    """`n` pairs spread over the categories, deterministic for a seed."""
    rng = random.Random(seed)
    names = list(CATEGORIES)
    return [(name, *CATEGORIES[name](rng)) for name in (names[i % len(names)] for i in range(n))]
