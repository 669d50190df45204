"""Problem text for similarity: which text, its word tokens, n-gram shingles and MinHash signatures.

Dedup and decontamination compare what a problem asks, not how a data set prompts for it: the raw
problem kept at ingest (`extra_info.problem`) when there is one, else the last user message with the
common answer-format instructions removed (the released eval sets end every prompt with one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["BOILERPLATE", "minhashes", "ngrams", "problem_text", "shingles", "strip_boilerplate", "tokens"]

# Instructions that data sets append to every problem; shared by all rows, they say nothing about content.
BOILERPLATE: tuple[str, ...] = (
    "Let's think step by step and output the final answer within \\boxed{}.",
    "Please reason step by step, and put your final answer within \\boxed{}.",
    "Return your final response within \\boxed{}.",
)
# CJK characters are words of their own; other scripts split on non-word characters.
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W_]+")


def strip_boilerplate(text: str, phrases: Iterable[str] = BOILERPLATE) -> str:
    """`text` without any of `phrases` (exact, case-insensitive matches)."""
    for phrase in phrases:
        if phrase:
            text = re.sub(re.escape(phrase), " ", text, flags=re.IGNORECASE)
    return text


def problem_text(row: dict[str, Any], phrases: Iterable[str] = BOILERPLATE) -> str:
    """The problem a row asks, minus boilerplate: `extra_info.problem` if set, else the last user message."""
    info = row.get("extra_info")
    if isinstance(info, dict) and isinstance(info.get("problem"), str) and info["problem"].strip():
        return strip_boilerplate(info["problem"], phrases)
    users = [m.get("content") or "" for m in row.get("prompt") or [] if isinstance(m, dict) and m.get("role") == "user"]
    return strip_boilerplate(users[-1] if users else "", phrases)


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
