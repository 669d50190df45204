"""Light paraphrases of math problems for `data_quality.py`: clauses reordered, synonyms, the same numbers.

`paraphrase(text, seed)` rewrites a problem the way a contaminated training set often holds a benchmark
problem: sentences of the setup are reordered (the question moves to the front, "Given that ..."),
words and phrases are swapped for synonyms, LaTeX and numbers are left as they are. The result keeps
the meaning closely enough for a reader and shares few word 5-grams with the original.
"""

from __future__ import annotations

import random
import re

__all__ = ["paraphrase", "word_ngram_jaccard"]

# Longer phrases first: they are replaced before the words inside them.
_SYNONYMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("relatively prime positive integers", ("coprime positive integers", "positive integers with no common factor")),
    ("relatively prime", ("coprime", "without a common factor")),
    ("less than or equal to", ("at most", "no more than")),
    ("greater than or equal to", ("at least", "no fewer than", "no less than")),
    ("the number of", ("how many", "the count of")),
    ("can be written as", ("equals", "has the form")),
    ("can be expressed as", ("equals", "takes the form")),
    ("can be written in the form", ("takes the form", "is of the form")),
    ("can be expressed in the form", ("takes the form", "is of the form")),
    ("such that", ("so that", "with the property that")),
    ("there exist", ("there are", "one can find")),
    ("there exists", ("there is", "one can find")),
    ("there is", ("we have", "one has")),
    ("is divided by", ("is reduced modulo", "is split by")),
    ("find", ("determine", "compute", "work out")),
    ("let", ("suppose", "take")),
    ("each", ("every",)),
    ("distinct", ("different",)),
    ("randomly", ("at random",)),
    ("chosen", ("selected", "picked")),
    ("largest", ("greatest", "biggest")),
    ("smallest", ("least",)),
    ("greatest", ("largest",)),
    ("least", ("minimal",)),
    ("real numbers", ("reals",)),
    ("probability", ("chance", "likelihood")),
    ("exactly", ("precisely",)),
    ("respectively", ("in that order",)),
    ("consider", ("look at", "take")),
    ("lies", ("sits", "is")),
    ("lie", ("sit", "are")),
    ("points", ("locations", "points")),
    ("sum", ("total",)),
    ("product", ("result of multiplying",)),
    ("positive integers", ("positive whole numbers", "natural numbers")),
    ("integers", ("whole numbers",)),
    ("number", ("value", "quantity")),
    ("satisfy", ("fulfil", "obey")),
    ("satisfying", ("that obey", "fulfilling")),
    ("contains", ("holds", "includes")),
    ("length", ("measure", "size")),
    ("area", ("area",)),
    ("circle", ("circle",)),
    ("suppose", ("assume", "imagine")),
    ("when", ("whenever", "if")),
    ("then", ("next",)),
    ("also", ("moreover", "in addition")),
    ("all", ("every one of the",)),
    ("given", ("provided",)),
    ("what is", ("determine", "compute")),
    ("how many", ("what is the count of", "the number of")),
    ("following", ("next",)),
    ("ways", ("arrangements", "possibilities")),
    ("value", ("amount",)),
    ("walks", ("strolls",)), ("walk", ("stroll",)), ("takes", ("needs", "lasts")), ("goes", ("heads",)),
    ("stops", ("pauses",)), ("spent", ("used",)), ("constant", ("steady",)), ("speed", ("pace",)),
    ("including", ("counting",)), ("removes", ("takes away",)), ("play", ("game",)), ("players", ("two people",)),
    ("picking", ("selecting",)), ("wins", ("gets",)), ("drawn", ("constructed",)), ("inscribed", ("placed",)),
    ("intersect", ("meet",)), ("intersects", ("meets",)), ("tangent", ("touching",)), ("define", ("set",)),
    ("denote", ("write",)), ("divisible", ("a multiple",)), ("ordered", ("sequential",)), ("side", ("edge",)),
    ("sides", ("edges",)), ("grid", ("board",)), ("colored", ("painted",)), ("unique", ("single",)),
    ("rectangle", ("oblong",)), ("triangle", ("trigon",)), ("segments", ("pieces",)), ("segment", ("piece",)),
    ("possible", ("attainable",)), ("inside", ("within",)), ("between", ("among",)), ("different", ("distinct",)),
    ("list", ("roster",)), ("set", ("collection",)), ("elements", ("members",)), ("positive", ("positive",)),
    ("equal", ("the same",)), ("form", ("shape",)), ("have", ("possess",)), ("has", ("possesses",)),
    ("with", ("having",)), ("of", ("of",)), ("for", ("for",)), ("that", ("which",)), ("are", ("are",)),
)
_FILLERS = ("then", "now", "here", "indeed", "also", "again", "so")
_PHRASES = re.compile(r"\b(?:" + "|".join(re.escape(p) for p, _ in sorted(_SYNONYMS, key=lambda t: -len(t[0])))
                      + r")\b", re.IGNORECASE)
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|\\\[.*?\\\]|\\\(.*?\\\)|\[asy\].*?\[/asy\]", re.DOTALL)
_SENTENCE = re.compile(r"(?<=[.?!])\s+(?=[A-Z$\\])")


def _swap_words(text: str, rng: random.Random) -> str:
    """Replace synonym phrases outside math; math spans are masked so LaTeX is never touched."""
    spans: list[str] = []

    def mask(m: re.Match) -> str:
        spans.append(m.group(0))
        return f"\x00{len(spans) - 1}\x00"

    out = _MATH.sub(mask, text)
    table = {phrase: choices for phrase, choices in _SYNONYMS}

    def repl(m: re.Match) -> str:
        word = rng.choice(table[m.group(0).lower()])
        return word[0].upper() + word[1:] if m.group(0)[0].isupper() else word

    # One pass over the text: each original phrase is replaced once, never a replacement again.
    out = _PHRASES.sub(repl, out)
    # A word of filler now and then breaks the remaining n-grams as real rewording does.
    words = out.split(" ")
    out = " ".join(w + (" " + rng.choice(_FILLERS) if k % 4 == 3 and "\x00" not in w and w.isalpha() else "")
                   for k, w in enumerate(words))
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], out)


def _reorder(text: str, rng: random.Random) -> str:
    """Move the question first and rotate the setup sentences (clauses reordered, content kept)."""
    parts = [p for p in _SENTENCE.split(text.strip()) if p]
    if len(parts) < 2:
        return text
    *setup, question = parts
    if len(setup) > 1:
        k = rng.randrange(1, len(setup))
        setup = setup[k:] + setup[:k]
    question = question.rstrip(".?! ")
    lead = rng.choice(("We want this: {q}.", "The task: {q}.", "{q}, under these conditions."))
    return lead.format(q=question[0].lower() + question[1:] if question else question) + " " + " ".join(setup)


def paraphrase(text: str, seed: int) -> str:
    """A light paraphrase of `text` (module docstring): reordered, reworded, same math and numbers."""
    rng = random.Random(seed)
    return _reorder(_swap_words(text, rng), rng)


def word_ngram_jaccard(a: str, b: str, n: int = 5) -> float:
    """Jaccard similarity of the word `n`-gram sets of two texts (lower-cased letter and digit runs)."""
    ta, tb = re.findall(r"[^\W_]+", a.lower()), re.findall(r"[^\W_]+", b.lower())
    ga = {tuple(ta[i : i + n]) for i in range(len(ta) - n + 1)}
    gb = {tuple(tb[i : i + n]) for i in range(len(tb) - n + 1)}
    return len(ga & gb) / len(ga | gb) if ga | gb else 0.0
