"""Hostile answers return in bounded time: in-process through the sympy guards, and in the batch
verifier through the pool's hard limit (a real sympy computation killed mid-way)."""

import time

import pytest

from or1.rewards.math.verifier import MathVerifier, score, verify

HOSTILE = [
    ("2^{10^{10}}", "3"),
    ("10^{100000}", "1"),
    ("9^{9^{9}}", "9"),
    ("2^{999999}", "2"),
    ("100000!", "1"),
    ("(10^{9999})!", "1"),
    ("999999999999^{999999999}", "1"),
    ("e^{e^{e^{e^{10}}}}", "1"),
    ("x^{x^{x^{x}}}", "1"),
    ("2**2**2**2**2", "3"),
    ("1.5 \\times 10^{100000}", "1"),
    ("(" * 5000 + "1" + ")" * 5000, "1"),
    ("\\frac{" * 2000 + "1" + "}{2}" * 2000, "1"),
    ("\\sqrt{" * 3000 + "2" + "}" * 3000, "2"),
    ("{" * 100_000, "1"),
    ("[" * 50_000 + "]" * 50_000, "1"),
    ("1" * 100_000, "1"),
    ("x+" * 50_000 + "1", "1"),
    ("1, " * 30_000 + "1", "1"),
    ("\\{" + "1," * 30_000 + "1\\}", "\\{1\\}"),
    ("\\begin{pmatrix}" + "1&" * 3000 + "1\\end{pmatrix}", "1"),
    ("\\frac{1}{0}", "1"),
    ("\\tan(\\pi/2)", "1"),
    ("38^16!", "1"),  # 38^(16!): a factorial inside an exponent
    ("yz/33bc>4+38^16!", "3"),
    ("2^{20!}", "1"),
    ("The answer is $9^{9^{9}}$ since", "1"),  # a tower inside a sentence, read by math-verify's extraction
]

RESPONSES = [
    "\\boxed{" * 20_000,
    "<think>" + "a" * 100_000 + "</think>\\boxed{1}",
    "</think>" + "\\boxed{1}" * 10_000,
    "</think>" + "{" * 50_000 + "\\boxed{1}",
    "</think>" + "\\\\" * 50_000 + "\\boxed{1}",
    "</think>" + "}" * 100_000,
]


@pytest.mark.parametrize(("pred", "gold"), HOSTILE, ids=lambda s: s[:20])
def test_hostile_answer_is_wrong_and_fast(pred: str, gold: str) -> None:
    start = time.perf_counter()
    assert verify(gold=gold, pred=pred) is False
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("response", RESPONSES, ids=lambda s: s[:12])
def test_hostile_response_is_scored_fast(response: str) -> None:
    start = time.perf_counter()
    score(response, "1")
    assert time.perf_counter() - start < 2.0


def test_long_exact_text_still_matches() -> None:
    assert verify(gold="1" * 2000, pred="1" * 2000)


@pytest.fixture(scope="module")
def verifier():
    with MathVerifier(workers=2, timeout_s=5.0) as v:
        yield v


def test_batch_in_order_with_every_status(verifier: MathVerifier) -> None:
    responses = [
        "<think></think>\\boxed{025}",
        "<think></think>\\boxed{24}",
        "<think>\\boxed{25}",
        "<think></think>no box",
        "<think></think>\\boxed{(x+1)^2}",
        "<think></think>\\boxed{2^{10^{10}}}",
    ]
    golds: list[str | list[str]] = ["25", "25", "25", "25", "x^2+2x+1", "3"]
    results = verifier.score_batch(responses, golds)
    assert [r.status for r in results] == ["ok", "wrong", "unfinished", "no_answer", "ok", "wrong"]
    assert [r.reward for r in results] == [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    assert results[0].extracted == "025"


def test_batch_matches_pure_score_and_uses_the_cache(verifier: MathVerifier) -> None:
    answers = ["\\sqrt{8}", "2\\sqrt{2}", "3", "\\frac{\\pi}{2}", "x=3", "\\{1,2\\}"]
    golds: list[str | list[str]] = ["2\\sqrt{2}", "\\sqrt{8}", "4", "\\pi/2", "3", "\\{2,1\\}"]
    first = verifier.score_batch(answers, golds, mode="answer")
    pure = [score(a, g, mode="answer").correct for a, g in zip(answers, golds, strict=True)]
    assert [r.correct for r in first] == pure
    hits = verifier.stats["cache_hits"]
    second = verifier.score_batch(answers, golds, mode="answer")
    assert [r.correct for r in second] == [r.correct for r in first]
    assert verifier.stats["cache_hits"] == hits + len(answers)


def test_batch_rejects_bad_input(verifier: MathVerifier) -> None:
    with pytest.raises(ValueError, match="golds"):
        verifier.score_batch(["1"], [])
    with pytest.raises(ValueError, match="mode"):
        verifier.score_batch(["1"], ["1"], mode="text")


def test_slow_symbolic_check_times_out_and_the_verifier_recovers() -> None:
    # Showing these equal or not means expanding degree-60 polynomials in three variables: over a
    # minute of sympy, far past a 50 ms limit (sin(10^9999), used before, now takes ~50 ms).
    slow, gold = "(x+y+z+2)^{30}(x+y+z+1)^{30}", "(x+y+z+1)^{60}"
    with MathVerifier(workers=1, timeout_s=0.05) as v:
        v.start()
        v.score_batch(["x+1"], ["1+x"], mode="answer")  # the worker is up (its warm-up is not timed)
        start = time.monotonic()
        results = v.score_batch([slow, "7"], [gold, "007"], mode="answer")
        assert time.monotonic() - start < 5.0
        assert [r.status for r in results] == ["timeout", "ok"]
        assert results[0].reward == 0.0 and v.stats["timeouts"] == 1
        assert v.score_batch(["\\sqrt{4}"], ["2"], mode="answer")[0].correct
