"""Synthetic math word problems with known answers, for pipeline tests and the dedup benchmark.

Each problem fills one of a few templates with random names, objects, places and numbers, so two
problems rarely share more than their template words: unrelated rows stay far below any sensible
near-duplicate threshold, while planted copies and edits are easy to reason about.
"""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = ["DATA_SOURCE", "synthetic_problem", "synthetic_rows"]

DATA_SOURCE = "or1-synthetic"

_NAMES = ("Ada", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemal", "Lena",
          "Mateo", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Ximena",
          "Yusuf", "Zoe", "Anouk", "Bruno", "Carmen", "Dario", "Esme", "Felix", "Greta", "Hugo", "Ivy", "Jamal")
_ITEMS = ("marbles", "stamps", "apples", "pencils", "coins", "shells", "cards", "books", "tiles", "beads",
          "candles", "ribbons", "buttons", "stickers", "lemons", "tickets", "bricks", "feathers", "keys", "cups")
_PLACES = ("at the market", "in the garden", "near the harbour", "after school", "on the train", "at the fair",
           "in the attic", "by the river", "at the library", "during the holiday", "in the workshop",
           "at the bakery", "on the balcony", "in the museum", "behind the barn", "at the station")
_VERBS = ("loses", "sells", "donates", "trades away", "gives to a friend", "hides", "paints", "breaks", "lends out")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEATHER = ("under a grey sky", "in bright sunshine", "while it drizzles", "in a strong wind", "on a foggy morning",
            "in the first snow", "on a humid evening", "after a thunderstorm", "in mild spring air", "at dusk")
_MOODS = ("feels cheerful", "is in a hurry", "hums a song", "is slightly tired", "wants a challenge",
          "meets a cousin", "skips lunch", "reads a map", "forgets an umbrella", "finds a lucky penny")
_ADJ = ("red", "blue", "tiny", "heavy", "shiny", "old", "striped", "square", "wooden", "golden", "silver", "spotted")


def _word_problem(r: random.Random) -> tuple[str, str]:
    a, b = r.randint(20, 999), r.randint(10, 999)
    c = r.randint(1, a + b)
    n1, n2 = r.sample(_NAMES, 2)
    item, adj = r.choice(_ITEMS), r.choice(_ADJ)
    text = (f"{n1} collects {adj} {item} and owns {a} of them {r.choice(_PLACES)}. {n2} brings {b} more {item} "
            f"{r.choice(_PLACES)}, and later {n1} {r.choice(_VERBS)} {c} of the {item} {r.choice(_PLACES)}. "
            f"How many {adj} {item} does {n1} have at the end?")
    return text, str(a + b - c)


def _rectangle(r: random.Random) -> tuple[str, str]:
    w, h, k = r.randint(3, 400), r.randint(3, 400), r.randint(2, 9)
    name, adj, place = r.choice(_NAMES), r.choice(_ADJ), r.choice(_PLACES)
    text = (f"{name} builds a {adj} rectangular frame {place} that is {w} centimetres wide and {h} centimetres "
            f"tall, then enlarges both sides by a factor of {k}. What is the area of the enlarged frame, in "
            f"square centimetres?")
    return text, str(w * h * k * k)


def _remainder(r: random.Random) -> tuple[str, str]:
    n, m = r.randint(1000, 10**7), r.randint(3, 97)
    name, item = r.choice(_NAMES), r.choice(_ITEMS)
    text = (f"{name} packs {n} {item} {r.choice(_PLACES)} into boxes of {m}, filling every box completely "
            f"except possibly the last one. How many {item} end up in the last, partly filled box, "
            f"counting zero if every box is full?")
    return text, str(n % m)


def _sequence(r: random.Random) -> tuple[str, str]:
    a, d, n = r.randint(-50, 50), r.randint(1, 40), r.randint(5, 300)
    name, adj = r.choice(_NAMES), r.choice(_ADJ)
    text = (f"On day one {name} places {a + 100} {adj} {r.choice(_ITEMS)} {r.choice(_PLACES)}, and each "
            f"following day places exactly {d} more than the day before. How many are placed on day {n}?")
    return text, str(a + 100 + (n - 1) * d)


_TEMPLATES: tuple[Callable[[random.Random], tuple[str, str]], ...] = (_word_problem, _rectangle, _remainder,
                                                                     _sequence)


def _context(r: random.Random) -> str:
    """A scene-setting sentence: content-free, but it makes unrelated problems share fewer n-grams."""
    return f"On {r.choice(_DAYS)} {r.choice(_WEATHER)}, {r.choice(_NAMES)} {r.choice(_MOODS)} {r.choice(_PLACES)}."


def synthetic_problem(r: random.Random) -> tuple[str, str]:
    """One (problem text, answer) pair drawn with `r`."""
    context = _context(r)
    text, answer = r.choice(_TEMPLATES)(r)
    return f"{context} {text}", answer


def synthetic_rows(n: int, seed: int = 0) -> list[dict[str, str]]:
    """`n` raw rows `{id, problem, answer, source}` (ingest's default column names), deterministic in `seed`."""
    r = random.Random(seed)
    rows = []
    for i in range(n):
        text, answer = synthetic_problem(r)
        rows.append({"id": f"syn-{i}", "problem": text, "answer": answer, "source": DATA_SOURCE})
    return rows
