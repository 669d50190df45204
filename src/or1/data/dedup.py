"""`or1 data dedup`: exact and near-duplicate removal with MinHash LSH (datasketch), with a cluster report.

Two passes, both keep the first row of a group in file order:
1. exact: rows whose problem has the same word tokens (case, spacing, punctuation and answer-format
   boilerplate ignored) -> reason exact_duplicate;
2. near: each remaining row queries an LSH index of the rows kept so far; the most similar candidate
   whose estimated Jaccard similarity of word n-gram sets is >= threshold, which states the same
   numbers (`text.numbers`, as a multiset) and whose gold answer is not a different one makes it a
   near_duplicate, else the row joins the index. Problems that differ only in a number ("3x + 7 = 25"
   and "3x + 7 = 31") or in a word that changes the answer ("largest" and "smallest prime factor of
   2024") are different problems.
   One query and at most one insert per row: near-linear in the number of rows.
3. solution (code rows with a reference program, `extra_info.solution`): a row whose normalised
   reference solution (code_solutions.py: identifiers renamed in order of use, literals abstracted) is
   identical to a kept row's -> reason solution_duplicate. The same problem from another mirror often
   has a rewritten statement but the same program.
The statement passes read `text.problem_text`: instruction sentences around a problem ("Solve the
following problem.", "Problem 3:") are not part of it, so a copy with such a prefix is a copy.

Clusters in the report are the kept row with every row removed as its copy, directly or through a chain.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from or1.config import DedupOptions
from or1.data.code_solutions import normalize_solution, solution_of
from or1.data.rows import Removal, StepOutcome, row_uid
from or1.data.text import minhashes, numbers, problem_text, shingles, tokens

__all__ = ["dedup_rows"]


def _exact_pass(rows: list[dict[str, Any]], uids: list[str], texts: list[str]
                ) -> tuple[list[int], dict[int, Removal], dict[int, int], list[list[str]]]:
    """Positions of first occurrences, removals of later ones, {removed: kept position}, tokens per row."""
    first: dict[tuple[str, str], int] = {}
    survivors: list[int] = []
    removed: dict[int, Removal] = {}
    parent: dict[int, int] = {}
    toks = [tokens(t) for t in texts]
    for i, row in enumerate(rows):
        key = (str(row.get("ability")), " ".join(toks[i]))
        j = first.setdefault(key, i)
        if j == i:
            survivors.append(i)
            continue
        parent[i] = j
        gt = lambda r: (r.get("reward_model") or {}).get("ground_truth")  # noqa: E731
        detail = {"duplicate_of": uids[j], "similarity": 1.0}
        if gt(row) != gt(rows[j]):
            detail["answer_conflict"] = True
        removed[i] = Removal(uids[i], "exact_duplicate", detail)
    return survivors, removed, parent, toks


def _answer(row: dict[str, Any]) -> str | None:
    """The gold answer as dedup compares it (spacing ignored); None for code rows and missing answers."""
    gt = (row.get("reward_model") or {}).get("ground_truth")
    return "".join(gt.split()) if row.get("ability") == "math" and isinstance(gt, str) and gt.strip() else None


def _near_pass(survivors: list[int], toks: list[list[str]], texts: list[str], answers: list[str | None],
               uids: list[str], opts: DedupOptions) -> tuple[list[int], dict[int, Removal], dict[int, int]]:
    """Greedy LSH pass over the exact-pass survivors (see the module docstring)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=opts.threshold, num_perm=opts.num_perm)
    sigs = minhashes([shingles(toks[i], opts.ngram) for i in survivors], opts.num_perm, opts.seed)
    index: dict[int, Any] = {}
    kept: list[int] = []
    removed: dict[int, Removal] = {}
    parent: dict[int, int] = {}
    nums: dict[int, Any] = {}
    for i, m in zip(survivors, sigs, strict=True):
        best, best_sim = -1, -1.0
        mine = nums.setdefault(i, numbers(texts[i]))
        for j in lsh.query(m):
            sim = float(m.jaccard(index[j]))
            same = nums[j] == mine and (answers[i] is None or answers[j] is None or answers[i] == answers[j])
            if sim >= opts.threshold and same and (sim > best_sim or (sim == best_sim and j < best)):
                best, best_sim = j, sim
        if best >= 0:
            parent[i] = best
            removed[i] = Removal(uids[i], "near_duplicate", {"duplicate_of": uids[best],
                                                             "similarity": round(best_sim, 4)})
            continue
        if toks[i]:  # an empty text has no shingles: it can only be an exact duplicate
            lsh.insert(i, m)
            index[i] = m
        kept.append(i)
    return kept, removed, parent


def _solution_pass(rows: list[dict[str, Any]], survivors: list[int], uids: list[str], min_tokens: int
                   ) -> tuple[list[int], dict[int, Removal], dict[int, int], int]:
    """Later code rows whose normalised reference solution equals a kept row's; also how many rows had one."""
    first: dict[str, int] = {}
    kept: list[int] = []
    removed: dict[int, Removal] = {}
    parent: dict[int, int] = {}
    for i in survivors:
        source = solution_of(rows[i]) if rows[i].get("ability") == "code" else None
        norm = normalize_solution(source, min_tokens) if source is not None else None
        if norm is None:
            kept.append(i)
            continue
        j = first.setdefault(norm[0], i)
        if j == i:
            kept.append(i)
            continue
        parent[i] = j
        removed[i] = Removal(uids[i], "solution_duplicate", {"duplicate_of": uids[j], "solution_tokens": norm[1],
                                                             "solution_sha256": norm[0][:16]})
    return kept, removed, parent, len(first) + len(removed)


def _clusters(parent: dict[int, int], uids: list[str], reasons: dict[int, str], max_clusters: int
              ) -> tuple[list[dict[str, Any]], int]:
    """Group removed rows under the kept row at the end of their `duplicate_of` chain."""
    members: dict[int, list[int]] = defaultdict(list)
    for i in parent:
        root = i
        while root in parent:
            root = parent[root]
        members[root].append(i)
    order = sorted(members, key=lambda r: (-len(members[r]), r))
    listed = [{"kept": uids[r], "size": 1 + len(members[r]),
               "removed": [{"uid": uids[i], "reason": reasons[i]} for i in sorted(members[r])]}
              for r in order[:max_clusters]]
    return listed, len(members)


def dedup_rows(rows: list[dict[str, Any]], opts: DedupOptions) -> StepOutcome:
    """Remove exact and near duplicates, keeping the first row of each group in input order."""
    uids = [row_uid(r, i) for i, r in enumerate(rows)]
    texts = [problem_text(r) for r in rows]
    survivors, exact_removed, parent, toks = _exact_pass(rows, uids, texts)
    kept, near_removed, near_parent = _near_pass(survivors, toks, texts, [_answer(r) for r in rows], uids, opts)
    parent.update(near_parent)
    removed = {**exact_removed, **near_removed}
    with_solution = 0
    if opts.solutions:
        kept, sol_removed, sol_parent, with_solution = _solution_pass(rows, kept, uids, opts.solution_min_tokens)
        parent.update(sol_parent)
        removed.update(sol_removed)
    clusters, n_clusters = _clusters(parent, uids, {i: r.reason for i, r in removed.items()}, opts.max_clusters)
    sizes = [c["size"] for c in clusters]
    stats = {"clusters": n_clusters, "largest_cluster": max(sizes, default=0), "cluster_list": clusters,
             "solutions_compared": with_solution}
    return StepOutcome([rows[i] for i in kept], [removed[i] for i in sorted(removed)], stats)
