"""What the math verifier reads: the candidate answers of a response and the readings of a gold.

A response is read once, in the caller: its answer (the last box after `</think>`; in answer mode
also a stated answer or the text itself), the joined boxes, and whether each is well-formed. A gold is
trusted, so every sensible reading of it counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from or1.rewards.extract import answer_section
from or1.rewards.math.extract import all_boxed, extract_answer, extract_boxed, is_prose, joined_boxes, stated_answer
from or1.rewards.math.normalize import normalize
from or1.rewards.math.wellformed import malformed

__all__ = ["Mode", "Reading", "gold_answers", "gold_forms", "read_response"]

Mode = Literal["response", "answer"]


def gold_answers(gold: str | list[str]) -> list[str]:
    """The acceptable answers of a gold: a list as is; a string holding a JSON list of strings
    decoded (the released training data stores lists that way, DESIGN.md §3); any other string alone.

    Only lists of JSON strings are decoded, so an interval gold such as "[0, 1]" stays one answer
    (the original loader turned it into the two answers 0 and 1).
    """
    if isinstance(gold, list | tuple):
        return [str(g) for g in gold]
    if not isinstance(gold, str):  # a number from a lenient loader
        return [str(gold)]
    text = gold.strip()
    if text.startswith("[") and text.endswith("]") and '"' in text:
        try:
            decoded = json.loads(text)
        except ValueError:
            return [gold]
        if isinstance(decoded, list) and decoded and all(isinstance(g, str) for g in decoded):
            return decoded
    return [gold]


@dataclass(frozen=True)
class Reading:
    """What the verifier reads in one response.

    Attributes:
        candidates: well-formed candidate answers as written, best first (the last box, then all boxes
            of the answer section joined, so a multi-answer gold can be matched by one box per answer).
        status: "ok", or why there is nothing to compare: "unfinished", "no_answer", "malformed".
        sentence: in answer mode, an answer stated in prose ("the number is 10 which is 1,000.99"),
            left to math-verify's own extraction; "" otherwise.
    """

    candidates: tuple[str, ...]
    status: str
    sentence: str = ""
    rejected: tuple[str, ...] = ()  # malformed candidates: they match a gold written the same way only


def read_response(response: str, mode: Mode) -> Reading:
    """What the verifier reads in a response (see `Reading`): its well-formed candidates, a prose
    answer for math-verify's extraction, or why there is nothing to compare."""
    answer, status = extract_answer(response, mode)
    if answer is None:
        return Reading((), status)
    section = response if mode == "answer" else (answer_section(response) or "")
    boxes = [b.strip() for b in all_boxed(section) if b.strip()]
    if mode == "answer" and not boxes and is_prose(answer):
        return Reading((), "ok", answer)
    candidates = [answer] + ([", ".join(boxes)] if len(boxes) > 1 else [])
    # A malformed answer (unbalanced brackets, a stray operator, junk) earns nothing, whatever a
    # lenient parser would read into it: "\boxed{[24, 25}" is no answer of 25.
    good = tuple(c for c in candidates if not malformed(c))
    bad = tuple(c for c in candidates if c not in good)
    return Reading(good, "ok", "", bad) if good else Reading((), "malformed", "", bad)


def gold_forms(gold: str | list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(or1's readings of the gold answers, the gold answers as written for math-verify).

    A gold is trusted, so every sensible reading counts: a box (or boxes joined when they state one
    answer together), the answer a sentence states, or the text itself.
    """
    readings: list[str] = []
    written = gold_answers(gold)
    for g in written:
        joined, box = joined_boxes(g), extract_boxed(g)
        if box is not None:
            readings += [box] + ([joined] if joined else [])
        elif is_prose(g):
            # "$125$ miles": the math pieces of a short gold, delimiters dropped, unless it is a sentence.
            stated = stated_answer(g) or g.replace("$", " ")
            if not is_prose(stated):
                readings.append(stated)
        else:
            readings.append(g)
    return tuple(dict.fromkeys(normalize(r) for r in readings if r.strip())), tuple(written)
