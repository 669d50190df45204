"""`or1 data decontaminate`: remove training rows close to evaluation problems (DESIGN.md §3).

Two tests per row, against every problem of every `against` file:
- ngram_overlap: the row shares a word 13-gram (the usual contamination test) with an eval problem.
  An eval problem shorter than 13 words counts as one n-gram of its own length. N-grams found in
  `common_docs` or more eval problems are template text, not content, and are ignored.
- minhash_similar: the MinHash estimate of the Jaccard similarity of word-shingle sets (single words
  by default, which survives rewording) is >= `minhash_threshold`. It catches paraphrases that keep
  no 13 words in a row. Every row is compared with every eval problem (vectorised), so no candidate
  is missed as an LSH index could; eval sets are small.
A row that fails both is reported as ngram_overlap; the detail always names the eval problem.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from or1.data.rows import Removal, StepOutcome, read_table_rows, row_uid
from or1.data.text import minhashes, ngrams, problem_text, shingles, tokens

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
        common_docs: n-grams shared by at least this many eval problems are ignored.
    """

    against: tuple[str, ...] = ()
    ngram: int = 13
    minhash_threshold: float = 0.5
    minhash_ngram: int = 1
    num_perm: int = 128
    seed: int = 1
    common_docs: int = 3

    def __post_init__(self) -> None:
        if not self.against:
            raise ValueError("decontaminate.against: give at least one evaluation file")
        if self.ngram < 1 or self.minhash_ngram < 1 or self.common_docs < 2:
            raise ValueError("decontaminate.ngram and .minhash_ngram must be >= 1, .common_docs >= 2")
        if not 0.0 < self.minhash_threshold <= 1.0:
            raise ValueError(f"decontaminate.minhash_threshold={self.minhash_threshold} must be in (0, 1]")


class EvalIndex:
    """The evaluation problems: their n-grams (ignoring common ones) and MinHash signatures."""

    def __init__(self, files: tuple[str, ...], opts: DecontamOptions) -> None:
        self.opts = opts
        self.names: list[tuple[str, str]] = []  # (benchmark, uid) per eval problem
        toks: list[list[str]] = []
        for f in files:
            rows, _ = read_table_rows(f)
            for i, r in enumerate(rows):
                self.names.append((Path(f).stem, row_uid(r, i)))
                toks.append(tokens(problem_text(r)))
        owners: dict[str, set[int]] = defaultdict(set)
        for e, t in enumerate(toks):
            for g in ngrams(t, opts.ngram):
                owners[g].add(e)
        self.common = {g for g, docs in owners.items() if len(docs) >= opts.common_docs}
        self.ngram_owner = {g: min(docs) for g, docs in owners.items() if g not in self.common}
        self.short_sizes = sorted({len(t) for t in toks if 0 < len(t) < opts.ngram})
        sigs = minhashes([shingles(t, opts.minhash_ngram) for t in toks], opts.num_perm, opts.seed)
        self.signatures = np.stack([m.hashvalues for m in sigs])  # (E, num_perm)

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
        return out


def decontaminate_rows(rows: list[dict[str, Any]], opts: DecontamOptions) -> StepOutcome:
    """Drop rows that overlap or resemble an evaluation problem (reasons in the module docstring)."""
    index = EvalIndex(opts.against, opts)
    toks = [tokens(problem_text(r)) for r in rows]
    sigs = minhashes([shingles(t, opts.minhash_ngram) for t in toks], opts.num_perm, opts.seed)
    sims = index.similarities(np.stack([m.hashvalues for m in sigs])) if rows else np.empty((0, 0))
    kept, removed = [], []
    per_benchmark: dict[str, int] = defaultdict(int)
    for i, row in enumerate(rows):
        best = int(sims[i].argmax()) if toks[i] else -1
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
             "per_benchmark": dict(per_benchmark)}
    return StepOutcome(kept, removed, stats)
