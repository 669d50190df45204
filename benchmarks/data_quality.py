"""Data-pipeline fidelity on a planted set: recall and precision per removal reason of clean -> dedup ->
decontaminate (against the release's AIME24/25), and every good problem kept.

Usage: python benchmarks/data_quality.py [--synthetic 150] [--json out.json]

The planted set (all labelled, built here, nothing downloaded):
- good: hand-written competition-style problems (planted_math.py) including Asymptote/TikZ figures,
  "figure" used as a word, problems sharing only a template phrase with AIME problems and pairs that
  differ in one number or condition, plus synthetic word problems (or1.data.synthetic);
- needs_figure: problems whose picture is gone but whose text points at it, and the Asymptote/TikZ
  problems with their drawing stripped;
- exact_duplicate / near_duplicate: re-cased copies; copies behind an instruction prefix or label, or
  with one word changed;
- ngram_overlap: AIME problems verbatim or inside other text;
- paraphrase: every AIME24/25 problem rewritten (paraphrase.py: clauses reordered, synonyms, the same
  numbers); the word 5-gram Jaccard with the original is printed.
Recall of a reason = planted rows of that reason removed with it; precision = rows removed with it that
were planted with it. The run fails (exit 1) when a recall is under 0.98 or a good problem is removed.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from paraphrase import paraphrase, word_ngram_jaccard
from planted_math import ASY, GOOD, MISSING_FIGURE, TEMPLATE_SHARING, TIKZ

from or1.config import CleanOptions, DecontamOptions, DedupOptions
from or1.data.clean import clean_rows
from or1.data.decontaminate import EvalIndex, decontaminate_rows
from or1.data.dedup import dedup_rows
from or1.data.eval_files import load_eval_problems
from or1.data.figures import figure_verdict
from or1.data.rows import read_table_rows
from or1.data.synthetic import synthetic_rows
from or1.data.text import numbers, problem_text, tokens
from or1.problems.builtin import resolve_data_file

AIME = (resolve_data_file("aime24"), resolve_data_file("aime25"))  # the release's files, packaged with or1
_DRAWING = re.compile(r"\s*(?:\[asy\].*?\[/asy\]|\\begin\{tikzpicture\}.*?\\end\{tikzpicture\})", re.DOTALL)
PREFIXES = ("Solve the following math problem. Make sure to put the answer (and only answer) inside \\boxed{}.\n\n",
            "Problem 7: ", "Practice problem.\n", "Answer the following question.\n", "Question: ")
SUFFIXES = (" Give your answer as an integer.", "\nShow your work.", " Express your answer in simplest form.")


Planted = list[tuple[str, str, str, str | None]]  # (id, problem, answer, planted reason or None)


def build(n_synthetic: int = 150) -> tuple[Planted, list[float]]:
    """The planted rows in file order, and the paraphrases' word 5-gram Jaccards with their originals."""
    good = GOOD + ASY + TIKZ + TEMPLATE_SHARING + [(r["problem"], r["answer"]) for r in
                                                   synthetic_rows(n_synthetic, seed=21)]
    rows: list[tuple[str, str, str, str | None]] = [(f"good-{k}", t, a, None) for k, (t, a) in enumerate(good)]
    rows += [(f"fig-{k}", t, a, "needs_figure") for k, (t, a) in enumerate(MISSING_FIGURE)]
    rows += [(f"fig-stripped-{k}", _DRAWING.sub("", t), a, "needs_figure") for k, (t, a) in enumerate(ASY + TIKZ)]
    # Copies come after their originals: the first row of a group is the one kept.
    src = GOOD[6:20] + good[-20:]
    rows += [(f"exact-{k}", "  " + t.upper().replace(", ", " , "), a, "exact_duplicate")
             for k, (t, a) in enumerate(src[:10])]
    rows += [(f"prefix-{k}", PREFIXES[k % len(PREFIXES)] + t + (SUFFIXES[k % 3] if k % 2 else ""), a,
              "exact_duplicate") for k, (t, a) in enumerate(src[10:22])]
    rows += [(f"near-{k}", _edit_word(t), a, "near_duplicate") for k, (t, a) in enumerate(src[22:34])]
    # AIME problems that clean removes itself (a URL, a figure it only describes) are not planted here.
    aime_rows = [r for f in AIME for r in read_table_rows(f)[0]]
    aime, gold = [problem_text(r) for r in aime_rows], [r["reward_model"]["ground_truth"] for r in aime_rows]
    usable = [k for k, t in enumerate(aime) if figure_verdict(t).kind != "missing" and "http" not in t]
    index = EvalIndex(load_eval_problems(tuple(map(str, AIME))), DecontamOptions(against=tuple(map(str, AIME))))
    rows += [(f"copy-{k}", aime[k], gold[k], "ngram_overlap") for k in usable[0::6]]
    rows += [(f"embed-{k}", f"Warm-up {k}. {aime[k]} Good luck!", gold[k], "ngram_overlap") for k in usable[3::6]]
    paras = [(k, paraphrase(aime[k], seed=k)) for k in usable if k not in usable[0::6] + usable[3::6]]
    # A paraphrase that still holds a 13-gram of its original (LaTeX and Asymptote are not reworded)
    # is an n-gram overlap; the others only the similarity test can find.
    def label(k: int, text: str) -> str:
        return "ngram_overlap" if any(e == k for _, e in index.shared(tokens(text))) else "paraphrase"

    rows += [(f"para-{k}", p, gold[k], label(k, p)) for k, p in paras]
    return rows, [word_ngram_jaccard(aime[k], p) for k, p in paras]


def _edit_word(text: str) -> str:
    """One word that states no number changed: the same problem, worded a little differently."""
    words = text.split(" ")
    k = next(i for i in range(len(words) // 2, len(words)) if words[i].isalpha() and not numbers(words[i]))
    words[k] = "the" if words[k] != "the" else "a"
    return " ".join(words)


def run(rows: Planted) -> dict[str, str]:
    """{id: reason} of every removed row after clean -> dedup -> decontaminate."""
    schema = [{"data_source": "planted", "prompt": [{"role": "user", "content": t}], "ability": "math",
               "reward_model": {"style": "rule", "ground_truth": a}, "extra_info": {"id": i, "problem": t}}
              for i, t, a, _ in rows]
    removed: dict[str, str] = {}
    current = schema
    for fn, opts in ((clean_rows, CleanOptions(check_answers=False, check_code=False)),
                      (dedup_rows, DedupOptions()),
                      (decontaminate_rows, DecontamOptions(against=tuple(map(str, AIME))))):
        out = fn(current, opts)
        removed |= {r.uid.split("/", 1)[1]: r.reason for r in out.removed}
        current = out.kept
    return removed


def table(rows: Planted, removed: dict[str, str]) -> tuple[str, bool]:
    """Markdown table of recall and precision per reason, and whether the run meets the bar."""
    planted = {i: r for i, _, _, r in rows if r}
    reasons = sorted(set(planted.values()) | set(removed.values()))
    lines = ["| reason | planted | removed with it | recall | precision |", "|---|---:|---:|---:|---:|"]
    ok = True
    for reason in reasons:
        n = sum(1 for r in planted.values() if r == reason)
        hit = sum(1 for i, r in removed.items() if r == reason and planted.get(i) == reason)
        got = sum(1 for r in removed.values() if r == reason)
        recall, precision = (hit / n if n else float("nan")), (hit / got if got else float("nan"))
        ok &= n == 0 or recall >= 0.98
        lines.append(f"| {reason} | {n} | {got} | {recall:.3f} | {precision:.3f} |")
    good = [i for i, _, _, r in rows if r is None]
    lost = [i for i in good if i in removed]
    lines.append(f"| good problems kept | {len(good)} | {len(lost)} removed | | |")
    return "\n".join(lines), ok and not lost


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--synthetic", type=int, default=150, help="synthetic good problems added to the set")
    p.add_argument("--json", help="write {id: reason} of removed rows and the table here")
    a = p.parse_args()
    rows, jaccards = build(a.synthetic)
    removed = run(rows)
    text, ok = table(rows, removed)
    print(f"{len(rows)} rows; paraphrase word 5-gram Jaccard: median {statistics.median(jaccards):.3f}, "
          f"{sum(j <= 0.15 for j in jaccards)} of {len(jaccards)} at most 0.15")
    print(text)
    planted = {i: r for i, _, _, r in rows if r}
    misses = {i: (planted.get(i), removed.get(i)) for i in set(planted) | set(removed)
              if planted.get(i) != removed.get(i)}
    for i, (want, got) in sorted(misses.items()):
        print(f"  {i}: planted {want}, got {got}")
    if a.json:
        Path(a.json).write_text(json.dumps({"removed": removed, "table": text}, indent=1))
    print(Counter(removed.values()))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
