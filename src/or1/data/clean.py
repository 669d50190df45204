"""`or1 data clean`: normalise text; drop problems that need a figure or a link, math answers that do not
parse, and code rows whose reference solution fails its own tests in the sandbox (DESIGN.md §3).

Reasons: needs_figure (a picture the model cannot see, or a reference to a figure that is not drawn in the
text; figures.py), inline_figure (drawn as Asymptote/TikZ, only with `drop_inline_figures`; such rows are
kept by default and counted in `stats.flagged`), has_url, answer_unparsable, reference_fails. Normalisation
changes no meaning:
NFC (not NFKC, which would turn `x²` into `x2`), no zero-width or control characters, `\\r\\n` -> `\\n`,
no trailing spaces, at most one blank line in a row.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from typing import Any

from or1.config import CleanOptions
from or1.data.figures import figure_verdict
from or1.data.rows import Removal, StepOutcome, extra, row_uid
from or1.data.text import problem_text
from or1.rewards.math.normalize import normalize
from or1.rewards.math.sympy_compare import sympy_safe
from or1.rewards.math.verifier import gold_answers

__all__ = ["answer_parses", "clean_rows", "needs_figure", "normalize_text"]

log = logging.getLogger(__name__)

_URL = re.compile(r"\bhttps?://\S+|\bwww\.[\w-]+\.\w+", re.IGNORECASE)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRAILING = re.compile(r"[ \t]+\n")
_BLANKS = re.compile(r"\n{3,}")
_TRAILING_OPERATOR = re.compile(r"(?:[+\-*/^=_,]|\\)\s*$")


def normalize_text(text: str) -> str:
    """Meaning-preserving clean-up of one text (see the module docstring)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", _ZERO_WIDTH.sub("", text))
    text = _BLANKS.sub("\n\n", _TRAILING.sub("\n", text))
    return text.strip()


def needs_figure(text: str) -> str | None:
    """The phrase showing that `text` relies on a picture it does not contain, or None (figures.py)."""
    verdict = figure_verdict(text)
    return verdict.matched if verdict.kind == "missing" else None


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += ch == "{"
        depth -= ch == "}"
        if depth < 0:
            return False
    # Interval answers mix brackets ("[0, 1)"), so only the totals of ( [ against ) ] must agree.
    return depth == 0 and s.count("(") + s.count("[") == s.count(")") + s.count("]")


def answer_parses(answer: str) -> bool:
    """Whether a gold answer is well-formed math that the verifier can compare.

    Normalised as the verifier does, then: non-empty, balanced braces and brackets, no dangling
    operator, and (unless it is plain text or a number) math-verify parses it to an expression.
    Answers too large for sympy (`sympy_safe`) are not parsed and count as unparsable.
    """
    s = normalize(answer)
    if not s or not _balanced(s) or _TRAILING_OPERATOR.search(s):
        return False
    if re.fullmatch(r"[A-Za-z][A-Za-z ]*|[+-]?\d+(?:\.\d+)?", s):
        return True
    if not sympy_safe(s):
        return False
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

    return len(parse(f"${s}$", [LatexExtractionConfig(), ExprExtractionConfig()], parsing_timeout=None)) > 1


def _normalize_row(row: dict[str, Any]) -> bool:
    """Normalise prompt texts, the raw problem and a math answer in place; True if anything changed."""
    changed = False
    for m in row.get("prompt") or []:
        new = normalize_text(m["content"])
        changed |= new != m["content"]
        m["content"] = new
    info = extra(row)
    if isinstance(info.get("problem"), str):
        new = normalize_text(info["problem"])
        changed |= new != info["problem"]
        info["problem"] = new
    rm = row.get("reward_model") or {}
    if row.get("ability") == "math" and isinstance(rm.get("ground_truth"), str):
        new = normalize_text(rm["ground_truth"])
        changed |= new != rm["ground_truth"]
        rm["ground_truth"] = new
    return changed


def _text_reason(row: dict[str, Any], opts: CleanOptions, flagged: Counter) -> tuple[str, dict[str, Any]] | None:
    text = " ".join(m["content"] for m in row.get("prompt") or []) + " " + problem_text(row)
    figure = figure_verdict(text)
    if figure.kind == "inline":
        flagged["inline_figure"] += 1
        if opts.drop_inline_figures:
            return "inline_figure", {"matched": figure.matched}
    if opts.drop_figures and figure.kind == "missing":
        return "needs_figure", {"matched": figure.matched}
    if opts.drop_urls and (m := _URL.search(text)):
        return "has_url", {"matched": m.group(0)}
    if opts.check_answers and row.get("ability") == "math":
        gt = row["reward_model"]["ground_truth"]
        bad = [a for a in gold_answers(gt) if not answer_parses(a)]
        if bad:
            return "answer_unparsable", {"answers": bad}
    return None


def clean_rows(rows: list[dict[str, Any]], opts: CleanOptions) -> StepOutcome:
    """Normalise every row, then drop the rows that fail a check (reasons in the module docstring)."""
    kept, removed, code_rows = [], [], []
    changed = 0
    flagged: Counter = Counter()
    for i, row in enumerate(rows):
        changed += _normalize_row(row)
        verdict = _text_reason(row, opts, flagged)
        if verdict:
            removed.append(Removal(row_uid(row, i), *verdict))
        elif row.get("ability") == "code" and opts.check_code and extra(row).get("solution"):
            code_rows.append((i, row))
        else:
            kept.append((i, row))
    # Rows seen with an inline figure, kept or not: the funnel shows them either way.
    stats: dict[str, Any] = {"normalized": changed, "code_checked": 0, "flagged": dict(flagged)}
    unchecked = sum(1 for _, r in kept if r.get("ability") == "code")
    failures = _check_references(code_rows, opts, stats)
    for i, row in code_rows:
        if i in failures:
            removed.append(Removal(row_uid(row, i), "reference_fails", failures[i]))
        else:
            kept.append((i, row))
    stats["code_unchecked"] = unchecked + len(code_rows) - stats["code_checked"]
    if opts.check_code and stats["code_unchecked"]:
        log.warning("%d code rows kept without a reference check (no extra_info.solution or no sandbox)",
                    stats["code_unchecked"])
    kept.sort(key=lambda t: t[0])
    return StepOutcome([r for _, r in kept], removed, stats)


def _check_references(code_rows: list[tuple[int, dict[str, Any]]], opts: CleanOptions,
                      stats: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Run each reference solution on its tests; {row position: failure detail} for those that fail."""
    if not code_rows:
        return {}
    from or1.rewards.code.verifier import CodeVerifier

    try:
        verifier = CodeVerifier(workers=opts.workers, time_limit_s=opts.time_limit_s)
    except PermissionError as e:
        log.warning("code sandbox unavailable (%s): %d reference solutions not checked", e, len(code_rows))
        stats["sandbox"] = f"unavailable: {e}"
        return {}
    with verifier:
        results = verifier.score_batch([r["extra_info"]["solution"] for _, r in code_rows],
                                       [r["reward_model"]["ground_truth"] for _, r in code_rows], mode="program")
    stats["code_checked"] = len(code_rows)
    return {i: {"status": res.status, **{k: v for k, v in res.detail.items() if k != "error"}}
            for (i, _), res in zip(code_rows, results, strict=True) if not res.correct}
