"""math-verify's own reading of the raw texts: the second opinion that keeps or1 at least as right as
math-verify, behind or1's guards against hedged and malformed answers (runs in the worker pool).

or1 compares its own extraction and normalisation first (math_equiv). When that does not show the
answers equal, the pool also asks math-verify (default extraction configs, float rounding 6, strict)
on the texts as they were written, so a form or1's normalisation does not know is still accepted
where math-verify accepts it. math-verify alone is hackable, so its reading passes or1's guards
first: the piece it extracted must be well-formed (`math_wellformed`), and must not list several
candidates for a one-answer gold. Its signal timeouts are off: the pool owns the time limit.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from or1.rewards.math.normalize import normalize
from or1.rewards.math.sympy_compare import covers, hazard_free, parse_math, strict_parse, sympy_safe
from or1.rewards.math.wellformed import malformed, names_a_value

__all__ = ["library_equal", "library_reading", "math_text"]

_MAX_TEXT = 20_000  # math-verify's extraction scans the whole text; longer answers are not read
logging.getLogger("math_verify").setLevel(logging.ERROR)


def math_text(answer: str) -> str:
    """A bare answer wrapped as math (`$...$`), the way math-verify's own tests give golds; a text
    that already has delimiters or a box is kept as written."""
    if any(tok in answer for tok in ("$", "\\(", "\\[", "\\boxed", "\\fbox")):
        return answer
    return f"${answer}$"


@lru_cache(maxsize=4096)
def library_reading(text: str, latex_only: bool = False) -> tuple[Any, ...]:
    """math-verify's parse of `text`: (sympy object, extracted string), or () when it finds nothing
    or the text is too long. Default extraction configs, or LaTeX only for one extracted answer
    (`$answer$`): its plain-expression fallback reads the first number of a broken answer, so
    `3*+9.zbc` would read as 3."""
    if len(text) > _MAX_TEXT:
        return ()
    from math_verify import parse

    try:
        if text.startswith("$") and text.endswith("$") and text.count("$") == 2:
            # One answer: the same (cached) LaTeX parse or1's own comparison uses, so a pair costs
            # one parse per side however many checks read it.
            found = parse_math(text[1:-1])
            if found or latex_only:
                return found
        elif latex_only:
            return ()
        found = tuple(parse(text, parsing_timeout=None))
    except Exception:  # its parser raises on some hostile inputs; nothing found is the answer
        return ()
    if not found and not text.startswith("$"):
        found = tuple(parse(f"${text}$", parsing_timeout=None))
    return found


def _safe_text(text: str) -> bool:
    """Whether math-verify may parse `text`: its parser evaluates what it reads, so the sympy guards
    (power towers, huge exponents and factorials, deep nesting) apply before the parse."""
    return len(text) <= _MAX_TEXT and hazard_free(text)


def _extracted(reading: tuple[Any, ...]) -> str | None:
    strings = [x for x in reading if isinstance(x, str)]
    return strings[-1] if strings else None


def _hedged(gold: str, pred: str) -> bool:
    """A prediction that lists several candidates where the gold states one answer."""
    from or1.rewards.math.equiv import hedged

    return hedged(normalize(gold), normalize(pred))


def _covers(piece: str, answer: str) -> bool:
    """math-verify read the whole answer, not a fragment of it (`3z7a` must not read as 3)."""
    squash = str.maketrans("", "", " $")
    return normalize(piece).translate(squash) == normalize(answer).translate(squash)


def library_equal(gold_text: str, pred_text: str, whole: str | None = None) -> tuple[bool, str | None]:
    """math-verify's verdict on two raw texts, behind or1's guards.

    Args:
        gold_text: the gold as written (a bare answer is wrapped as math, see `math_text`).
        pred_text: the prediction as math-verify should read it (a sentence, or `$answer$`).
        whole: when `pred_text` holds one extracted answer, that answer: math-verify must then have
            read all of it (a parser that stops at the first junk character reads `3z7a` as 3).

    Returns:
        (equal, the prediction's piece math-verify extracted). Not equal when either side has no
        reading, when the extracted piece is malformed, hedged or unsafe for sympy.
    """
    if not (_safe_text(gold_text) and _safe_text(pred_text)):
        return False, None
    gold, pred = library_reading(math_text(gold_text)), library_reading(pred_text, latex_only=whole is not None)
    piece = _extracted(pred)
    if not gold or not pred or piece is None:
        return False, piece
    gold_piece = _extracted(gold) or gold_text
    if malformed(piece) or not sympy_safe(normalize(piece)) or _hedged(gold_piece, piece):
        return False, piece
    if whole is not None and not (_covers(piece, whole) and covers(pred, piece)):
        return False, piece
    if whole is not None and "=" not in gold_piece and not names_a_value(piece):
        return False, piece  # a boxed `zz 2 = 3` is no answer of 3 (a sentence's equation keeps math-verify's reading)
    from math_verify import verify

    try:
        equal = bool(verify(list(gold), list(pred), timeout_seconds=None))
    except Exception:
        return False, piece
    # A sentence's answer: the piece math-verify took must parse whole (checked last: it costs a parse).
    return equal and (whole is not None or strict_parse(piece)), piece
