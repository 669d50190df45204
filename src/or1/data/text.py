"""Problem text for similarity: which text, its word tokens, n-gram shingles and MinHash signatures.

Dedup and decontamination compare what a problem asks, not how a data set prompts for it: the raw
problem kept at ingest (`extra_info.problem`) when there is one, else the last user message with the
common answer-format instructions removed (the released eval sets end every prompt with one), and
without instruction sentences that a data set puts before or after a problem ("Solve the following
problem.", "Problem 3:", "Give your answer as an integer."): a copy with such a prefix is still a copy.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["BOILERPLATE", "minhashes", "ngrams", "numbers", "problem_text", "shingles", "strip_boilerplate",
           "strip_instructions", "tokens"]

# Instructions that data sets append to every problem; shared by all rows, they say nothing about content.
BOILERPLATE: tuple[str, ...] = (
    "Let's think step by step and output the final answer within \\boxed{}.",
    "Please reason step by step, and put your final answer within \\boxed{}.",
    "Return your final response within \\boxed{}.",
)
# CJK characters are words of their own; other scripts split on non-word characters.
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W_]+")
# Sentences a data set wraps around a problem: a label, or an instruction about solving or answering.
# Only a sentence without digits or math is an instruction ("Solve for x if 2x = 4." is the problem).
_LABEL = re.compile(r"^\s*(?:problem|question|exercise|example|task|q)\s*[#.]?\s*\d*\s*[:.)-]\s*", re.IGNORECASE)
_INSTRUCTION = re.compile(
    r"\b(?:solve|answers?|boxed|in a box|reason(?:ing)?|step[- ]by[- ]step|final answer|show (?:your|all)(?: of)? "
    r"work|practice|warm[- ]?up|exercise|(?:following|this|next) (?:math )?(?:problem|question)|think|respond|"
    r"response|good luck|explain|justify|simplest form|integer form|lowest terms|no units|express your)\b",
    re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_BOX = re.compile(r"\\boxed\{\s*\}|\$\s*\\boxed\{\s*\}\s*\$")
_MATHY = re.compile(r"[\d$\\=^_{}<>+*/]")
_DRAWING = re.compile(r"\[asy\].*?\[/asy\]|\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", re.DOTALL | re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"))}


def strip_boilerplate(text: str, phrases: Iterable[str] = BOILERPLATE) -> str:
    """`text` without any of `phrases` (exact, case-insensitive matches)."""
    for phrase in phrases:
        if phrase:
            text = re.sub(re.escape(phrase), " ", text, flags=re.IGNORECASE)
    return text


def _is_instruction(sentence: str) -> bool:
    s = _BOX.sub(" ", sentence).strip()
    return not s or (not _MATHY.search(s) and bool(_INSTRUCTION.search(s)))


def strip_instructions(text: str) -> str:
    """`text` without a leading label ("Problem 3:") and without instruction sentences at either end.

    Sentences are removed from the start and the end only while they hold no digits or math and name
    solving or answering; the problem itself is never emptied (a text that is all instruction stays).
    """
    text = _LABEL.sub("", text, count=1)
    parts = [p for p in _SENTENCE.split(text) if p.strip()]
    lo, hi = 0, len(parts)
    while hi - lo > 1 and _is_instruction(parts[lo]):
        lo += 1
    while hi - lo > 1 and _is_instruction(parts[hi - 1]):
        hi -= 1
    return " ".join(parts[lo:hi]) if (lo, hi) != (0, len(parts)) else text


def problem_text(row: dict[str, Any], phrases: Iterable[str] = BOILERPLATE) -> str:
    """The problem a row asks: `extra_info.problem` if set, else the last user message; boilerplate and
    instruction sentences around it removed."""
    info = row.get("extra_info")
    if isinstance(info, dict) and isinstance(info.get("problem"), str) and info["problem"].strip():
        return strip_instructions(strip_boilerplate(info["problem"], phrases))
    users = [m.get("content") or "" for m in row.get("prompt") or [] if isinstance(m, dict) and m.get("role") == "user"]
    return strip_instructions(strip_boilerplate(users[-1] if users else "", phrases))


def numbers(text: str) -> Counter:
    """The multiset of numbers a text states: digit runs (`1,000` and `3.5` as one) and number words up to
    twenty, so "$4$ tokens" and "four tokens" agree. A paraphrase keeps it; a new problem rarely does."""
    text = _DRAWING.sub(" ", text)  # coordinates of a drawing are not numbers the problem states
    found = [m.group(0).replace(",", "") for m in _NUMBER.finditer(text)]
    found += [_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS]
    return Counter(found)


def tokens(text: str) -> list[str]:
    """Lower-case word tokens: letters and digits runs (LaTeX commands become words: `\\frac` -> `frac`)."""
    return _TOKEN.findall(text.lower())


def ngrams(toks: Sequence[str], n: int) -> set[str]:
    """The set of contiguous `n`-token strings; a text shorter than `n` tokens is one n-gram of itself."""
    if len(toks) < n:
        return {" ".join(toks)} if toks else set()
    return {" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def shingles(toks: Sequence[str], n: int) -> list[bytes]:
    """`ngrams` encoded for MinHash, in a fixed order."""
    return [s.encode("utf-8") for s in sorted(ngrams(toks, n))]


def minhashes(shingle_sets: Sequence[Sequence[bytes]], num_perm: int, seed: int = 1) -> list[Any]:
    """One datasketch `MinHash` per shingle set, built in bulk (one vectorised pass per set)."""
    from datasketch import MinHash

    return list(MinHash.bulk(shingle_sets, num_perm=num_perm, seed=seed))
