"""`or1 data decontaminate`: remove training rows close to evaluation problems (DESIGN.md §3).

Two tests per row, against every problem of every `against` file:
- ngram_overlap: the row shares a word 13-gram (the usual contamination test) with an eval problem.
  An eval problem shorter than 13 words counts as one n-gram of its own length.
- minhash_similar: the MinHash estimate of the Jaccard similarity of word-shingle sets (single words
  by default, which survives rewording) is >= `minhash_threshold`. It catches paraphrases that keep
  no 13 words in a row. Every row is compared with every eval problem (vectorised), so no candidate
  is missed as an LSH index could; eval sets are small.
N-grams and shingles found in at least `common_frac` of the eval problems (and at least 2) are template
or function words ("the", "find", "relatively prime positive integers"), not content: both tests ignore
them. On AIME24/25 this moves paraphrases to a similarity of about 0.6 and unrelated pairs under 0.15.
A row that fails both is reported as ngram_overlap; the detail always names the eval problem.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from or1.data.rows import Removal, StepOutcome, read_table_rows, row_uid
from or1.data.text import minhashes, ngrams, problem_text, tokens

__all__ = ["DecontamOptions", "EvalIndex", "decontaminate_rows"]


@dataclass(frozen=True)
class DecontamOptions:
    """Decontamination settings.

    Attributes:
        against: evaluation parquet files (schema rows), e.g. aime24.parquet aime25.parquet.
        ngram: words per n-gram for the overlap test (13 is the common choice).
        minhash_threshold: estimated Jaccard similarity at or above which a row is a paraphrase.
        minhash_ngram: words per shingle of the similarity test.
        num_perm: MinHash permutations.
        seed: MinHash seed.
        common_frac: n-grams and shingles in at least this fraction of the eval problems are ignored.
    """

    against: tuple[str, ...] = ()
    ngram: int = 13
    minhash_threshold: float = 0.4
    minhash_ngram: int = 1
    num_perm: int = 128
    seed: int = 1
    common_frac: float = 0.05

    def __post_init__(self) -> None:
        if not self.against:
            raise ValueError("decontaminate.against: give at least one evaluation file")
        if self.ngram < 1 or self.minhash_ngram < 1:
            raise ValueError("decontaminate.ngram and decontaminate.minhash_ngram must be >= 1")
        if not 0.0 < self.common_frac <= 1.0:
            raise ValueError(f"decontaminate.common_frac={self.common_frac} must be in (0, 1]")
        if not 0.0 < self.minhash_threshold <= 1.0:
            raise ValueError(f"decontaminate.minhash_threshold={self.minhash_threshold} must be in (0, 1]")


class EvalIndex:
    """The evaluation problems: their n-grams and MinHash signatures, common ones left out."""

    def __init__(self, files: tuple[str, ...], opts: DecontamOptions) -> None:
        self.opts = opts
        self.names: list[tuple[str, str]] = []  # (benchmark, uid) per eval problem
        toks: list[list[str]] = []
        for f in files:
            rows, _ = read_table_rows(f)
            for i, r in enumerate(rows):
                self.names.append((Path(f).stem, row_uid(r, i)))
                toks.append(tokens(problem_text(r)))
        min_docs = max(2, math.ceil(opts.common_frac * len(toks)))
        owners = _owners([ngrams(t, opts.ngram) for t in toks])
        self.common = {g for g, docs in owners.items() if len(docs) >= min_docs}
        self.ngram_owner = {g: min(docs) for g, docs in owners.items() if g not in self.common}
        self.short_sizes = sorted({len(t) for t in toks if 0 < len(t) < opts.ngram})
        shingle_owners = _owners([ngrams(t, opts.minhash_ngram) for t in toks])
        self.common_shingles = {g for g, docs in shingle_owners.items() if len(docs) >= min_docs}
        self.signatures, self.empty = self.sign(toks)  # (E, num_perm), (E,)

    def sign(self, toks: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """MinHash signatures of token lists without common shingles, and which lists had none left."""
        sets = [sorted(ngrams(t, self.opts.minhash_ngram) - self.common_shingles) for t in toks]
        sigs = minhashes([[g.encode("utf-8") for g in s] for s in sets], self.opts.num_perm, self.opts.seed)
        stacked = np.stack([m.hashvalues for m in sigs]) if sigs else np.empty((0, self.opts.num_perm))
        return stacked, np.array([not s for s in sets], dtype=bool)

    def ngram_hit(self, toks: list[str]) -> tuple[int, str] | None:
        """(eval problem, shared n-gram) of the first shared n-gram in reading order, or None."""
        for n in (self.opts.ngram, *self.short_sizes):
            for k in range(max(1, len(toks) - n + 1)):
                g = " ".join(toks[k : k + n])
                if g in self.ngram_owner:
                    return self.ngram_owner[g], g
        return None

    def similarities(self, signatures: np.ndarray) -> np.ndarray:
        """Estimated Jaccard similarity of each row to each eval problem: (B, num_perm) -> (B, E)."""
        out = np.empty((signatures.shape[0], self.signatures.shape[0]))
        step = max(1, 4_000_000 // max(1, self.signatures.size))  # rows per chunk, bounding memory
        for s in range(0, signatures.shape[0], step):
            chunk = signatures[s : s + step]  # (b, P)
            out[s : s + step] = (chunk[:, None, :] == self.signatures[None]).mean(-1)  # (b, E)
        out[:, self.empty] = 0.0  # an empty set resembles nothing (its signature would equal every other empty)
        return out


def _owners(sets: Iterable[set[str]]) -> dict[str, set[int]]:
    """{item: indices of the sets holding it}."""
    owners: dict[str, set[int]] = defaultdict(set)
    for e, items in enumerate(sets):
        for g in items:
            owners[g].add(e)
    return owners


def decontaminate_rows(rows: list[dict[str, Any]], opts: DecontamOptions) -> StepOutcome:
    """Drop rows that overlap or resemble an evaluation problem (reasons in the module docstring)."""
    index = EvalIndex(opts.against, opts)
    toks = [tokens(problem_text(r)) for r in rows]
    sigs, empty = index.sign(toks)
    sims = index.similarities(sigs)  # (N, E)
    sims[empty] = 0.0
    kept, removed = [], []
    per_benchmark: dict[str, int] = defaultdict(int)
    for i, row in enumerate(rows):
        best = int(sims[i].argmax()) if sims.shape[1] else -1
        hit = index.ngram_hit(toks[i])
        if hit is not None:
            e, gram = hit
            detail = {"ngram": gram, "similarity": round(float(sims[i, e]), 4)}
            reason = "ngram_overlap"
        elif best >= 0 and sims[i, best] >= opts.minhash_threshold:
            e, reason, detail = best, "minhash_similar", {"similarity": round(float(sims[i, best]), 4)}
        else:
            kept.append(row)
            continue
        bench, eval_uid = index.names[e]
        per_benchmark[bench] += 1
        removed.append(Removal(row_uid(row, i), reason, {"benchmark": bench, "eval_uid": eval_uid, **detail}))
    stats = {"eval_problems": len(index.names), "ignored_common_ngrams": len(index.common),
             "ignored_common_shingles": len(index.common_shingles),
             "per_benchmark": dict(per_benchmark)}
    return StepOutcome(kept, removed, stats)
