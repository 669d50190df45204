"""Math reward: extract the final answer, decide its equivalence with the gold (DESIGN.md §2).

Pure, in-process functions (`extract_boxed`, `extract_answer`, `verify`, `score`) and `MathVerifier`,
the batch scorer the trainer uses: it extracts and normalises in the caller, settles plain cases
(numbers, text, structure) without sympy, caches by normalised (answer, gold), and sends the rest to a
persistent pool of worker processes with a hard wall-clock limit per verification.
"""

from __future__ import annotations

import json
import os
import time
from collections import OrderedDict
from typing import Literal

from or1.rewards.extract import answer_section
from or1.rewards.math_equiv import equivalent
from or1.rewards.math_extract import all_boxed, extract_answer, extract_boxed
from or1.rewards.math_normalize import normalize
from or1.rewards.pool import WorkerPool
from or1.rewards.types import RewardResult

__all__ = ["MathVerifier", "extract_answer", "extract_boxed", "gold_answers", "score", "verify"]

Mode = Literal["response", "answer"]
_WORKER_MEMORY_MB = 4096  # sympy on hostile input can eat memory; a MemoryError is a wrong answer


def gold_answers(gold: str | list[str]) -> list[str]:
    """The acceptable answers of a gold: a list as is; a string holding a JSON list of strings
    decoded (the released training data stores lists that way, DESIGN.md §3); any other string alone.

    Only lists of JSON strings are decoded, so an interval gold such as "[0, 1]" stays one answer
    (the original loader turned it into the two answers 0 and 1).
    """
    if isinstance(gold, list | tuple):
        return [str(g) for g in gold]
    if not isinstance(gold, str):  # a number from a lenient loader
        return [str(gold)]
    text = gold.strip()
    if text.startswith("[") and text.endswith("]") and '"' in text:
        try:
            decoded = json.loads(text)
        except ValueError:
            return [gold]
        if isinstance(decoded, list) and decoded and all(isinstance(g, str) for g in decoded):
            return decoded
    return [gold]


def _candidates(response: str, mode: Mode) -> tuple[list[str], str]:
    """The answers to try, last box first; then all boxes of the answer section joined, so a
    multi-answer gold can be matched by one box per answer. Status as in `extract_answer`."""
    answer, status = extract_answer(response, mode)
    if answer is None:
        return [], status
    candidates = [answer]
    if mode == "response":
        boxes = [b.strip() for b in all_boxed(answer_section(response) or "") if b.strip()]
        if len(boxes) > 1:
            candidates.append(", ".join(boxes))
    return candidates, status


def _match(golds: tuple[str, ...], preds: tuple[str, ...], symbolic: bool) -> tuple[bool | None, int]:
    """(equal, index of the matching candidate); equal is None when the fast path cannot decide."""
    undecided = False
    for i, pred in enumerate(preds):
        for gold in golds:
            eq = equivalent(gold, pred, symbolic)
            if eq:
                return True, i
            undecided = undecided or eq is None
    return (None if undecided else False), 0


def verify_normalized(golds: tuple[str, ...], preds: tuple[str, ...]) -> tuple[bool, int]:
    """Pool task: full (symbolic) comparison of normalised candidates against normalised golds."""
    eq, index = _match(golds, preds, symbolic=True)
    return bool(eq), index


def verify(*, gold: str | list[str], pred: str) -> bool:
    """Whether the answer `pred` equals the gold answer (or any of a list of gold answers).

    Pure and in-process, without a time limit: `MathVerifier` adds the limit. Examples:
    verify(gold="025", pred="25") -> True; verify(gold="336^\\circ", pred="336") -> True;
    verify(gold="5", pred="5, 7") -> False (several candidates for one answer).

    Args:
        gold: the gold answer, a list of acceptable answers, or a JSON-encoded list of strings.
        pred: the predicted final answer (already extracted).

    Returns:
        True when equivalent to at least one gold answer.
    """
    golds = tuple(normalize(g) for g in gold_answers(gold))
    return verify_normalized(golds, (normalize(pred),))[0]


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
    candidates, status = _candidates(response, mode)
    if not candidates:
        return RewardResult(0.0, status, time.perf_counter() - start)
    golds = tuple(normalize(g) for g in gold_answers(gold))
    correct, index = verify_normalized(golds, tuple(normalize(c) for c in candidates))
    return _result(correct, candidates[index], time.perf_counter() - start)


def _result(correct: bool, extracted: str | None, seconds: float) -> RewardResult:
    return RewardResult(1.0 if correct else 0.0, "ok" if correct else "wrong", seconds, extracted)


def _warm_up() -> None:
    """Worker initializer: pay sympy's and math-verify's import before the first timed task."""
    verify_normalized(("\\frac{1}{2}",), ("\\sqrt{2}/2",))


_Key = tuple[tuple[str, ...], tuple[str, ...]]  # (normalised golds, normalised candidates)


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

    def __init__(self, workers: int | None = None, timeout_s: float = 5.0, cache_size: int = 100_000) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.timeout_s = timeout_s
        self.cache_size = cache_size
        self._cache: OrderedDict[_Key, tuple[str, int]] = OrderedDict()
        self._pool: WorkerPool | None = None
        self.stats = {"fast": 0, "pool": 0, "cache_hits": 0, "timeouts": 0, "errors": 0}

    def start(self) -> None:
        """Start the worker processes now (they import sympy, about a second) instead of lazily."""
        if self._pool is None:
            self._pool = WorkerPool(
                verify_normalized, self.workers, self.timeout_s, _warm_up, _WORKER_MEMORY_MB, chunk_size=8
            )
        self._pool.start()

    def _remember(self, key: _Key, outcome: tuple[str, int]) -> None:
        if self.cache_size <= 0:
            return
        self._cache[key] = outcome
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _lookup(self, key: _Key) -> tuple[str, int] | None:
        outcome = self._cache.get(key)
        if outcome is not None:
            self._cache.move_to_end(key)
            self.stats["cache_hits"] += 1
        return outcome

    def _run_pool(self, keys: list[_Key]) -> dict[_Key, tuple[str, int, float]]:
        """Full comparison of each key in the pool: key -> (status, candidate index, seconds)."""
        self.start()
        assert self._pool is not None
        out = {}
        for key, res in zip(keys, self._pool.map(keys), strict=True):
            if res.status == "ok":
                correct, index = res.value
                out[key] = ("ok" if correct else "wrong", index, res.seconds)
            else:
                self.stats["timeouts" if res.status == "timeout" else "errors"] += 1
                out[key] = (res.status, 0, res.seconds)
            self._remember(key, out[key][:2])
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
        waiting: dict[_Key, list[tuple[int, list[str], float]]] = {}
        for i, (response, gold) in enumerate(zip(responses, golds, strict=True)):
            start = time.perf_counter()
            candidates, status = _candidates(response, mode)  # type: ignore[arg-type]
            if not candidates:
                results[i] = RewardResult(0.0, status, time.perf_counter() - start)
                continue
            key = (tuple(normalize(g) for g in gold_answers(gold)), tuple(normalize(c) for c in candidates))
            outcome = self._lookup(key)
            if outcome is None:
                eq, index = _match(*key, symbolic=False)
                if eq is not None:
                    self.stats["fast"] += 1
                    outcome = ("ok" if eq else "wrong", index)
                    self._remember(key, outcome)
            if outcome is None:
                waiting.setdefault(key, []).append((i, candidates, time.perf_counter() - start))
            else:
                results[i] = _outcome(outcome, candidates, time.perf_counter() - start)
        if waiting:
            for key, (status, index, seconds) in self._run_pool(list(waiting)).items():
                for i, candidates, spent in waiting[key]:
                    results[i] = _outcome((status, index), candidates, spent + seconds)
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


def _outcome(outcome: tuple[str, int], candidates: list[str], seconds: float) -> RewardResult:
    status, index = outcome
    return RewardResult(1.0 if status == "ok" else 0.0, status, seconds, candidates[index])
