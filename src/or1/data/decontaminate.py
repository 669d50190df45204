"""`or1 data decontaminate`: remove training rows close to evaluation problems (DESIGN.md §3).

Two tests per row, against every problem of every `against` file, both decided on content:
- ngram_overlap: the row shares a word 13-gram (the usual contamination test) with an eval problem,
  and its content resembles that problem (TF-IDF cosine >= `ngram_min_similarity`, and the numbers
  agree as below). An eval problem
  shorter than 13 words counts as one n-gram of its own length. Template phrases do not count: an
  n-gram found in at least `common_frac` of the eval problems (and at least 2), or in at least
  `template_rows` training rows whose content is unlike the eval problem ("find the remainder when N
  is divided by 1000", "where m and n are relatively prime positive integers. Find m+n").
- paraphrase: what a light paraphrase keeps (similarity.py). When the numbers agree (the row states at
  least `numbers_min` of the eval problem's numbers, as a multiset; an eval problem without numbers
  agrees with anything), a TF-IDF cosine over word and character n-grams of at least
  `similarity_with_numbers`, or of at least `similarity_with_evidence` when the row also uses
  `rare_min` of the eval problem's rare content words, or of at least `similarity_with_all_numbers`
  when the row states all of the eval problem's numbers and they are specific (at least
  `specific_digits` digits of numbers above 2: "2024" or "9, 4 and 24", not "1 and 2"); whatever
  the numbers, a cosine of at least `similarity`. The IDF is fitted on the eval problems and the training
  pool together, so a phrase that many training problems use weighs little.
The same words with other numbers make another problem (a variant, kept), as in dedup.
Code problems (ability "code", e.g. a LiveCodeBench release file) are compared without their platform's
input-format, output-format and constraints sections (code_text.py), which unrelated problems of one
platform share word for word, and with three changes: the n-gram test also needs `code_ngram_coverage`
of the eval problem's n-grams in the row (a platform's opener, "You are given a 0-indexed integer array
nums and an integer k", is one n-gram); sample_overlap: the row states the eval problem's sample numbers
(inputs and outputs, at least `sample_min_numbers`) in order and resembles it (cosine >=
`ngram_min_similarity`); and with agreeing numbers a paraphrase needs cosine `code_similarity`, as the
numbers of a code problem are its samples and constraints rather than its content. A row is compared
only with eval problems of its own ability.
Every row is compared with every eval problem (eval sets are small). `detail` names the benchmark, the
eval problem's uid, the shared n-gram and the similarity evidence. With `after` (an ISO date), only eval
problems dated on or after it (`extra_info.contest_date`, as LiveCodeBench dates its problems) are
compared, and matches are reported in `stats.window_matches` without removing anything.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

from or1.config import DecontamOptions
from or1.data.code_text import compared_text, number_sequence, sample_numbers
from or1.data.eval_files import EvalProblems, load_eval_problems
from or1.data.rows import Removal, StepOutcome, row_uid
from or1.data.similarity import ContentIndex, PairScore
from or1.data.text import ngrams, problem_text, tokens
from or1.problems.builtin import resolve_data_file

__all__ = ["EvalIndex", "decontaminate_rows"]


class EvalIndex:
    """The evaluation problems: their n-grams (template phrases of the eval set left out) and texts."""

    def __init__(self, evals: EvalProblems, opts: DecontamOptions) -> None:
        self.opts, self.names, self.texts = opts, evals.names, evals.texts
        toks = [tokens(t) for t in self.texts]
        min_docs = max(2, math.ceil(opts.common_frac * len(toks)))
        owners: dict[str, set[int]] = defaultdict(set)
        for e, t in enumerate(toks):
            for g in ngrams(t, opts.ngram):
                owners[g].add(e)
        self.common = {g for g, docs in owners.items() if len(docs) >= min_docs}
        self.owners = {g: docs for g, docs in owners.items() if g not in self.common}
        self.short_sizes = sorted({len(t) for t in toks if 0 < len(t) < opts.ngram})
        self.code = [a == "code" for a in evals.abilities]
        self.grams = [len(ngrams(t, opts.ngram) - self.common) for t in toks]  # content n-grams per problem
        # Code problems' sample numbers as " 3 1 4 2 " strings, for a contiguous match; too few: None.
        seqs = [sample_numbers(t) if a == "code" else [] for t, a in zip(self.texts, evals.abilities, strict=True)]
        self.samples = [f" {' '.join(q)} " if len(q) >= opts.sample_min_numbers else None for q in seqs]

    def shared(self, toks: list[str]) -> list[tuple[str, int]]:
        """(n-gram, eval problem) for every eval n-gram in `toks`, in reading order."""
        out = []
        for n in (self.opts.ngram, *self.short_sizes):
            for k in range(max(1, len(toks) - n + 1)):
                g = " ".join(toks[k : k + n])
                out += [(g, e) for e in sorted(self.owners.get(g, ()))]
        return out


def _numbers_agree(s: PairScore, opts: DecontamOptions) -> bool:
    return s.numbers is None or s.numbers >= opts.numbers_min


def _ngram_hit(i: int, hits: list[tuple[str, int]], cos: np.ndarray, rows_with: dict[str, list[int]],
               content: ContentIndex, index: EvalIndex) -> tuple[str, int, float | None] | None:
    """The first shared n-gram that is content, not template, with an eval problem the row resembles, and for
    a code eval problem the share of its n-grams the row holds (a platform's opener is one n-gram or two)."""
    opts = index.opts
    shared: dict[int, set[str]] = defaultdict(set)
    for gram, e in hits:
        shared[e].add(gram)
    for gram, e in hits:
        if cos[i, e] < opts.ngram_min_similarity or not _numbers_agree(content.pair(content.n_refs + i, e, 0.0), opts):
            continue
        coverage = len(shared[e]) / max(1, index.grams[e]) if index.code[e] else None
        if coverage is not None and coverage < opts.code_ngram_coverage:
            continue
        unlike = sum(1 for q in rows_with[gram] if q != i and cos[q, e] < opts.ngram_min_similarity)
        if unlike < opts.template_rows:
            return gram, e, coverage
    return None


def _sample_hit(i: int, row_numbers: str, cos: np.ndarray, index: EvalIndex) -> int | None:
    """The first code eval problem whose sample numbers the row states in order, among those it resembles."""
    for e, seq in enumerate(index.samples):
        if seq is not None and cos[i, e] >= index.opts.ngram_min_similarity and seq in row_numbers:
            return e
    return None


def _is_paraphrase(s: PairScore, opts: DecontamOptions, code: bool) -> bool:
    if s.cosine >= opts.similarity:
        return True
    if not _numbers_agree(s, opts):
        return False
    if code:  # a code problem's numbers are samples (their own test) and constraints (template)
        return s.cosine >= opts.code_similarity
    if s.cosine >= opts.similarity_with_all_numbers and s.numbers == 1.0 and s.digits >= opts.specific_digits:
        return True
    return s.cosine >= opts.similarity_with_numbers or (
        s.cosine >= opts.similarity_with_evidence and (s.rare or 0.0) >= opts.rare_min)


def _verdict(i: int, text: str, hits: list[tuple[str, int]], cos: np.ndarray, rows_with: dict[str, list[int]],
             content: ContentIndex, index: EvalIndex) -> tuple[str, int, dict[str, Any]] | None:
    """(reason, eval problem, evidence) for row `i` (its compared `text`), or None when it is clean."""
    opts = index.opts
    if (hit := _ngram_hit(i, hits, cos, rows_with, content, index)) is not None:
        gram, e, coverage = hit
        detail = {"ngram": gram, **content.pair(content.n_refs + i, e, float(cos[i, e])).as_dict()}
        return "ngram_overlap", e, detail if coverage is None else {**detail, "ngram_coverage": round(coverage, 4)}
    if (near := _sample_hit(i, f" {' '.join(number_sequence(text))} ", cos, index)) is not None:
        score = content.pair(content.n_refs + i, near, float(cos[i, near]))
        return "sample_overlap", near, {"samples": (index.samples[near] or "").strip(), **score.as_dict()}
    for e in np.argsort(-cos[i])[:3]:  # the closest few: numbers and rare words may decide among them
        score = content.pair(content.n_refs + i, int(e), float(cos[i, e]))
        if _is_paraphrase(score, opts, index.code[int(e)]):
            return "paraphrase", int(e), score.as_dict()
    return None


def _other_abilities_apart(cos: np.ndarray, rows: list[Any], evals: list[str | None]) -> None:
    """Set the similarity of a row to eval problems of another ability (a math row and a LiveCodeBench
    problem): -1 is below every threshold, so neither test can pair them. Unknown abilities are compared."""
    ev = np.asarray([a if isinstance(a, str) else "" for a in evals], dtype=object)  # (E,)
    for i, a in enumerate(rows):
        if isinstance(a, str) and a:
            cos[i, (ev != "") & (ev != a)] = -1.0


def decontaminate_rows(rows: list[dict[str, Any]], opts: DecontamOptions) -> StepOutcome:
    """Drop rows that overlap or resemble an evaluation problem (reasons in the module docstring)."""
    against = tuple(str(resolve_data_file(a)) for a in opts.against)  # `aime24`: the packaged file
    evals = load_eval_problems(against, after=opts.after)
    index = EvalIndex(evals, opts)
    texts = [compared_text(problem_text(r), r.get("ability")) for r in rows]
    content = ContentIndex(evals.texts, texts)
    cos = content.cosines()  # (N, E)
    _other_abilities_apart(cos, [r.get("ability") for r in rows], evals.abilities)
    hits = [index.shared(tokens(t)) for t in texts]
    rows_with: dict[str, list[int]] = defaultdict(list)
    for i, row_hits in enumerate(hits):
        for g in dict.fromkeys(g for g, _ in row_hits):
            rows_with[g].append(i)
    kept, removed, window = [], [], []
    per_benchmark: dict[str, int] = defaultdict(int)
    for i, row in enumerate(rows):
        verdict = _verdict(i, texts[i], hits[i], cos, rows_with, content, index) if evals.names else None
        if verdict is None:
            kept.append(row)
            continue
        reason, e, detail = verdict
        bench, eval_uid = evals.names[e]
        per_benchmark[bench] += 1
        evidence = {"benchmark": bench, "eval_uid": eval_uid, **detail}
        if evals.dates[e] is not None:
            evidence["eval_date"] = evals.dates[e]
        removal = Removal(row_uid(row, i), reason, evidence)
        if opts.after is not None:  # a date window reports what it finds and removes nothing
            window.append(removal.as_dict())
            kept.append(row)
        else:
            removed.append(removal)
    stats: dict[str, Any] = {"eval_problems": len(evals.names), "ignored_common_ngrams": len(index.common),
                             "per_benchmark": dict(per_benchmark)}
    if opts.after is not None:
        stats |= {"after": opts.after, "window_matches": window, "eval_outside_window": evals.outside_window}
    return StepOutcome(kept, removed, stats)
