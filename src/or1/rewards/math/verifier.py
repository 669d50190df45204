"""Math reward: extract the final answer, decide its equivalence with the gold (DESIGN.md §2).

Pure, in-process functions (`extract_boxed`, `extract_answer`, `verify`, `score`) and `MathVerifier`,
the batch scorer the trainer uses: it extracts and normalises in the caller, settles plain cases
(numbers, text, structure) without sympy, caches by normalised (answer, gold), and sends the rest to a
persistent pool of worker processes with a hard wall-clock limit per verification.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict

from or1.config import VerifyConfig
from or1.rewards.math.equiv import equivalent, settled
from or1.rewards.math.extract import extract_answer, extract_boxed
from or1.rewards.math.normalize import normalize, strip_delimiters
from or1.rewards.math.reading import Mode, Reading, gold_answers, gold_forms, read_response
from or1.rewards.math.second_opinion import library_equal
from or1.rewards.math.wellformed import malformed
from or1.rewards.pool import WorkerPool
from or1.rewards.types import RewardResult

__all__ = ["MathVerifier", "extract_answer", "extract_boxed", "gold_answers", "score", "verify"]

_WORKER_MEMORY_MB = 4096  # sympy on hostile input can eat memory; a MemoryError is a wrong answer


# (normalised golds, normalised candidates, golds as written, candidates as written, sentence)
_Key = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...], str]


def _key(reading: Reading, gold: str | list[str]) -> _Key:
    golds, written = gold_forms(gold)
    cands = tuple(normalize(c) for c in reading.candidates)
    return golds, cands, written, reading.candidates, reading.sentence


def _match(golds: tuple[str, ...], preds: tuple[str, ...], symbolic: bool) -> tuple[bool | None, int]:
    """(equal, index of the matching candidate); equal is None when the fast path cannot decide."""
    undecided = False
    for i, pred in enumerate(preds):
        for gold in golds:
            eq = equivalent(gold, pred, symbolic)
            if eq:
                return True, i
            undecided = undecided or eq is None or (not symbolic and not settled(gold, pred))
    return (None if undecided or not golds else False), 0


def verify_normalized(
    golds: tuple[str, ...], cands: tuple[str, ...], written: tuple[str, ...], raw: tuple[str, ...], sentence: str
) -> tuple[bool, int, str | None]:
    """Pool task: the full comparison of one key (see `_Key`, whose fields are the arguments): or1's
    own (symbolic) comparison, then math-verify's reading of the texts as written, behind or1's
    guards (math_second_opinion).

    Returns:
        (equal, index of the matching candidate, the piece math-verify extracted from a sentence).
    """
    if golds and cands:
        fast, index = _match(golds, cands, symbolic=False)
        if fast is not None:  # plain numbers, hedges, a set for a tuple: or1's verdict is final
            return fast, index, None
    # math-verify's reading next: it settles most equal pairs with one parse per side, and or1's
    # own symbolic comparison (a parse per fragment) then only runs on what it did not accept.
    for i, cand in enumerate(raw):
        for g in written:
            if library_equal(g, f"${cand}$", whole=cand)[0]:
                return True, i, None
    piece = None
    if sentence:
        for g in written:
            ok, piece = library_equal(g, sentence)
            if ok:
                return True, 0, piece
    if golds and cands:
        eq, index = _match(golds, cands, symbolic=True)
        if eq:
            return True, index, None
    if piece and golds and not malformed(piece) and _match(golds, (normalize(piece),), symbolic=True)[0]:
        return True, 0, piece
    return False, 0, piece


def verify(*, gold: str | list[str], pred: str) -> bool:
    """Whether the answer `pred` equals the gold answer (or any of a list of gold answers).

    Pure and in-process, without a time limit: `MathVerifier` adds the limit. `pred` is read as in
    answer mode (its box, a stated answer, or the text itself). Examples:
    verify(gold="025", pred="25") -> True; verify(gold="336^\\circ", pred="336") -> True;
    verify(gold="5", pred="5, 7") -> False (several candidates for one answer);
    verify(gold="24", pred="\\boxed{24 (25}") -> False (malformed).

    Args:
        gold: the gold answer, a list of acceptable answers, or a JSON-encoded list of strings.
        pred: the predicted final answer.

    Returns:
        True when equivalent to at least one gold answer.
    """
    return score(pred, gold, mode="answer").correct


def score(response: str, gold: str | list[str], mode: Mode = "response") -> RewardResult:
    """Reward of one response, in-process (no time limit: use MathVerifier in training).

    Args:
        response: a full model response ("response" mode) or a final answer ("answer" mode).
        gold: the gold answer or answers.
        mode: see `extract_answer`.

    Returns:
        RewardResult with status "ok" (correct), "wrong", "unfinished" or "no_answer".
    """
    start = time.perf_counter()
    reading = read_response(response, mode)
    if not reading.candidates and not reading.sentence:
        return _empty(reading, gold, time.perf_counter() - start)
    correct, index, piece = verify_normalized(*_key(reading, gold))
    return _result(correct, _shown(reading, index, piece), time.perf_counter() - start)


def _empty(reading: Reading, gold: str | list[str], seconds: float) -> RewardResult:
    """Nothing to compare: unfinished and no_answer keep their status; a malformed answer is wrong
    unless it is the gold's own text (a gold may be written oddly too)."""
    if reading.status == "malformed":
        written = {strip_delimiters(g) for g in gold_answers(gold)}
        same = next((r for r in reading.rejected if strip_delimiters(r) in written), None)
        if same is not None:
            return RewardResult(1.0, "ok", seconds, same)
        return RewardResult(0.0, "wrong", seconds, reading.rejected[0], {"reason": "malformed answer"})
    return RewardResult(0.0, reading.status, seconds)


def _shown(reading: Reading, index: int, piece: str | None) -> str | None:
    if reading.candidates:
        return reading.candidates[min(index, len(reading.candidates) - 1)]
    return piece


def _result(correct: bool, extracted: str | None, seconds: float) -> RewardResult:
    return RewardResult(1.0 if correct else 0.0, "ok" if correct else "wrong", seconds, extracted)


# One answer of each common shape. math-verify's LaTeX parser (ANTLR) learns its prediction cache as
# it parses, per process: a fresh worker parses its first inputs several times slower than a warm one.
_WARM_UP = (
    ("\\frac{1}{2}", "\\sqrt{2}/2"), ("(1, \\frac{9}{2})", "(1, 4.5)"), ("[-1, 2) \\cup (3, \\infty)", "x > 3"),
    ("\\begin{pmatrix}1 & 0\\\\ 0 & 1\\end{pmatrix}", "\\begin{bmatrix}1&0\\\\0&1\\end{bmatrix}"),
    ("x^2+2x+1", "(x+1)^2"), ("\\sin^2 x + \\cos^2 x", "1"), ("y = 2x + 3", "2x - y + 3 = 0"),
    ("\\{1, 2\\}", "\\{2, 1\\}"), ("\\sum_{k=0}^{n} k", "\\frac{n(n+1)}{2}"), ("10\\%", "0.1"),
    ("\\text{Evelyn}", "Evelyn"), ("3 \\sqrt{13}", "\\sqrt{117}"),
)  # fmt: skip


def _warm_up() -> None:
    """Worker initializer: pay sympy's and math-verify's imports and warm the LaTeX parser before the
    first timed task (a few seconds, once per worker)."""
    for gold, pred in _WARM_UP:
        verify_normalized((gold,), (pred,), (gold,), (pred,), f"The answer is ${pred}$.")


class MathVerifier:
    """Batch math scorer with a persistent worker pool, a hard time limit and a cache.

    Args:
        workers: worker processes; default os.cpu_count().
        timeout_s: wall-clock limit per verification; past it the worker is killed and the result is
            reward 0 with status "timeout".
        cache_size: entries of the LRU cache keyed by normalised (golds, candidates); 0 disables it.

    Workers start on the first batch that needs sympy (or on `start()`). Not thread-safe. Use as a
    context manager or call `close()`.
    """

    def __init__(self, workers: int | None = None, timeout_s: float = VerifyConfig.math_timeout_s,
                 cache_size: int = 100_000) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.timeout_s = timeout_s
        self.cache_size = cache_size
        self._cache: OrderedDict[_Key, _Outcome] = OrderedDict()
        self._pool: WorkerPool | None = None
        self.stats = {"fast": 0, "pool": 0, "cache_hits": 0, "timeouts": 0, "errors": 0}

    def start(self) -> None:
        """Start the worker processes now (they import sympy, about a second) instead of lazily."""
        if self._pool is None:
            self._pool = WorkerPool(
                verify_normalized, self.workers, self.timeout_s, _warm_up, _WORKER_MEMORY_MB, chunk_size=8
            )
        self._pool.start()

    def _remember(self, key: _Key, outcome: _Outcome) -> None:
        if self.cache_size <= 0:
            return
        self._cache[key] = outcome
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _lookup(self, key: _Key) -> _Outcome | None:
        outcome = self._cache.get(key)
        if outcome is not None:
            self._cache.move_to_end(key)
            self.stats["cache_hits"] += 1
        return outcome

    def _run_pool(self, keys: list[_Key]) -> dict[_Key, tuple[_Outcome, float]]:
        """Full comparison of each key in the pool: key -> (outcome, worker seconds)."""
        self.start()
        assert self._pool is not None
        out = {}
        for key, res in zip(keys, self._pool.map(keys), strict=True):
            if res.status == "ok":
                correct, index, piece = res.value
                out[key] = (("ok" if correct else "wrong", index, piece), res.seconds)
            else:
                self.stats["timeouts" if res.status == "timeout" else "errors"] += 1
                out[key] = ((res.status, 0, None), res.seconds)
            self._remember(key, out[key][0])
        self.stats["pool"] += len(keys)
        return out

    def score_batch(
        self, responses: list[str], golds: list[str | list[str]], mode: str = "response"
    ) -> list[RewardResult]:
        """Score a batch of responses against their golds, results in order.

        Args:
            responses: full responses ("response" mode) or final answers ("answer" mode).
            golds: one gold (string, list, or JSON-encoded list) per response.
            mode: "response" or "answer", as in `extract_answer`.

        Returns:
            One RewardResult per response; status "ok", "wrong", "unfinished", "no_answer", "timeout"
            or "error". `seconds` is the time spent on that response (worker time for pooled ones).
        """
        if len(responses) != len(golds):
            raise ValueError(f"{len(responses)} responses but {len(golds)} golds")
        if mode not in ("response", "answer"):
            raise ValueError(f"mode={mode!r} must be 'response' or 'answer'")
        results: list[RewardResult | None] = [None] * len(responses)
        waiting: dict[_Key, list[tuple[int, Reading, float]]] = {}
        for i, (response, gold) in enumerate(zip(responses, golds, strict=True)):
            start = time.perf_counter()
            reading = read_response(response, mode)  # type: ignore[arg-type]
            if not reading.candidates and not reading.sentence:
                results[i] = _empty(reading, gold, time.perf_counter() - start)
                continue
            key = _key(reading, gold)
            outcome = self._lookup(key)
            if outcome is None and key[0] and key[1]:
                eq, index = _match(key[0], key[1], symbolic=False)
                if eq is not None:
                    self.stats["fast"] += 1
                    outcome = ("ok" if eq else "wrong", index, None)
                    self._remember(key, outcome)
            if outcome is None:
                waiting.setdefault(key, []).append((i, reading, time.perf_counter() - start))
            else:
                results[i] = _outcome(outcome, reading, time.perf_counter() - start)
        if waiting:
            for key, (outcome, seconds) in self._run_pool(list(waiting)).items():
                for i, reading, spent in waiting[key]:
                    results[i] = _outcome(outcome, reading, spent + seconds)
        return [r for r in results if r is not None]

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __enter__(self) -> MathVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_Outcome = tuple[str, int, str | None]  # (status, index of the matching candidate, extracted piece)


def _outcome(outcome: _Outcome, reading: Reading, seconds: float) -> RewardResult:
    status, index, piece = outcome
    return RewardResult(1.0 if status == "ok" else 0.0, status, seconds, _shown(reading, index, piece))
