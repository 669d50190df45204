"""Content similarity between problems, for decontamination and dedup: what a paraphrase keeps.

A light paraphrase reorders clauses and swaps synonyms, so it shares almost no long word n-gram with
its original (word 5-gram Jaccard 0-0.15), but it keeps three things this module measures:
- `cosine`: TF-IDF cosine over word 1-2-grams and character 3-5-grams (scikit-learn), the mean of the
  two. Bags of n-grams ignore order, and character n-grams survive inflection ("walks"/"walking").
  The IDF is fitted on the reference problems and the pool together, so words and phrases that many
  problems use ("relatively prime positive integers", "find the remainder") weigh little.
- `numbers`: the share of the reference problem's numbers (a multiset, `text.numbers`) that the row
  states too. A paraphrase keeps them; an unrelated problem with the same template phrase does not.
- `rare_overlap`: the share of the reference problem's rarest content words (names, objects) that the
  row also uses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from or1.data.text import numbers, tokens

__all__ = ["ContentIndex", "PairScore", "multiset_containment"]

_WORD_PATTERN = r"(?u)[^\W_]+"
_RARE_PER_PROBLEM = 8  # rarest content words kept per reference problem


def multiset_containment(part: Counter, whole: Counter) -> float | None:
    """|part ∩ whole| / |part| of two multisets; None when `part` is empty (no evidence either way)."""
    size = sum(part.values())
    return sum((part & whole).values()) / size if size else None


@dataclass(frozen=True)
class PairScore:
    """How close a row is to one reference problem.

    Attributes:
        ref: index of the reference problem.
        cosine: mean of the word and character TF-IDF cosines, in [0, 1].
        numbers: share of the reference's stated numbers that the row states, None when it states none.
        rare: share of the reference's rare content words found in the row, None when it has none.
        digits: digits of the reference's numbers above 2 that the row states too (how specific the
            agreement of the numbers is: 2024 and 24 say more than 1 and 2).
    """

    ref: int
    cosine: float
    numbers: float | None
    rare: float | None
    digits: int = 0

    def as_dict(self) -> dict[str, float | None]:
        """The evidence, rounded for the report."""
        r = lambda v: None if v is None else round(float(v), 4)  # noqa: E731
        return {"cosine": r(self.cosine), "numbers": r(self.numbers), "rare_words": r(self.rare)}


class ContentIndex:
    """TF-IDF vectors of reference problems and of a pool of rows, fitted on both.

    Args:
        refs: reference problem texts (the eval problems, or the pool itself for dedup).
        pool: the rows to compare with them (may be empty when `refs` is the pool).
    """

    def __init__(self, refs: Sequence[str], pool: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs = [*refs, *pool]
        self.n_refs = len(refs)
        self.word = TfidfVectorizer(token_pattern=_WORD_PATTERN, ngram_range=(1, 2), sublinear_tf=True,
                                    lowercase=True, dtype=np.float32)
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True,
                                    dtype=np.float32)
        # An all-empty corpus has no vocabulary; a single space keeps the vectorisers fittable.
        safe = [d if d.strip() else " x " for d in docs] or [" x "]
        self.w = self.word.fit_transform(safe)  # (R+P, Vw), rows L2-normalised
        self.c = self.char.fit_transform(safe)  # (R+P, Vc)
        self.nums = [numbers(d) for d in docs]
        self.toks = [set(tokens(d)) for d in docs]
        self.rare = self._rare_words()

    def _rare_words(self) -> list[set[str]]:
        """Per reference problem, its content words used by the fewest documents (ties by the word)."""
        df: Counter = Counter()
        for t in self.toks:
            df.update(t)
        limit = max(2, int(0.05 * len(self.toks)))  # words in 5% of the documents are not rare
        out = []
        for t in self.toks[: self.n_refs]:
            words = sorted((w for w in t if w.isalpha() and len(w) >= 3 and df[w] <= limit), key=lambda w: (df[w], w))
            out.append(set(words[:_RARE_PER_PROBLEM]))
        return out

    def cosines(self, rows: Sequence[int] | None = None) -> np.ndarray:
        """Mean word/char TF-IDF cosine of pool documents (positions after the refs) to every reference:
        (B, R). `rows` are document positions; default: the whole pool."""
        idx = np.arange(self.n_refs, self.w.shape[0]) if rows is None else np.asarray(rows, dtype=int)
        if idx.size == 0 or self.n_refs == 0:
            return np.zeros((idx.size, self.n_refs), dtype=np.float32)
        w = (self.w[idx] @ self.w[: self.n_refs].T).toarray()  # (B, R)
        c = (self.c[idx] @ self.c[: self.n_refs].T).toarray()  # (B, R)
        return 0.5 * (w + c)

    def pair(self, doc: int, ref: int, cosine: float) -> PairScore:
        """The evidence of document `doc` (a position in refs + pool) against reference `ref`."""
        rare = self.rare[ref]
        shared = self.nums[ref] & self.nums[doc]
        digits = sum(len(n) * k for n, k in shared.items() if n not in ("0", "1", "2"))
        return PairScore(ref, cosine, multiset_containment(self.nums[ref], self.nums[doc]),
                         len(rare & self.toks[doc]) / len(rare) if rare else None, digits)
