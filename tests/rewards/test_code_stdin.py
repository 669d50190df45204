"""stdin/stdout code tests: extraction, output comparison, and real runs in the sandbox."""

from __future__ import annotations

import json

import pytest

from or1.rewards.code.compare import parse_ground_truth, stdout_matches
from or1.rewards.code.verifier import CodeVerifier, extract_program

SUM_GT = {"inputs": ["1 2\n", "10 -3\n", "5 5"], "outputs": ["3\n", "7\n", "10"]}
SUM_PROGRAM = "a, b = map(int, input().split())\nprint(a + b)\n"


@pytest.fixture(scope="module")
def verifier():
    with CodeVerifier(workers=2, time_limit_s=2.0) as v:
        yield v


@pytest.mark.parametrize(
    ("response", "program", "status"),
    [
        ("<think>x</think>\n```python\nprint(1)\n```", "print(1)\n", "ok"),
        # the last block of the answer section wins; blocks inside the reasoning do not count
        (
            "<think>```python\nprint(0)\n```</think>```python\nprint(1)\n```\n```python\nprint(2)\n```",
            "print(2)\n",
            "ok",
        ),
        ("<think>```python\nprint(0)\n```</think> no code", None, "no_answer"),
        ("```python\nprint(1)\n```", None, "unfinished"),  # no </think>: unfinished, never scored
        ("<think>x</think>```python\nprint(1)\n", None, "no_answer"),  # block never closed
        ("<think>x</think>```py\nprint(3)\n```", "print(3)\n", "ok"),
        ("<think>x</think>```cpp\nint main(){}\n```", None, "no_answer"),
    ],
)
def test_extract_program(response, program, status):
    assert extract_program(response) == (program, status)


def test_extract_program_mode():
    assert extract_program("print(1)", mode="program") == ("print(1)", "ok")
    assert extract_program("  \n", mode="program") == (None, "no_answer")


@pytest.mark.parametrize(
    ("got", "want", "same"),
    [
        ("3\n", "3", True),
        ("1 2 3   \n4\n\n", "1 2 3\n4", True),  # trailing spaces and blank lines
        ("3\r\n", "3\n", True),
        ("0.3333333", "0.33333333", True),  # numbers within 1e-6
        ("0.334", "0.333", False),
        ("100000000000000001", "100000000000000000", False),  # integers compare exactly
        ("007", "7", True),
        ("YES", "yes", False),
        ("1 2", "1  2", True),  # token-wise
        ("1 2", "1 2 3", False),
        ("3\n4", "3", False),
        ("", "", True),
        ("nan", "nan", True),
        ("inf", "infinity", False),  # words are not numbers
        # An expected integer needs the exact value; the float tolerance is for expected floats only.
        ("1000000008.0", "1000000007", False),
        ("1e18", "1000000000000000007", False),
        ("3.0000001", "3", False),
        ("1000000007.0", "1000000007", True),  # the same value, as LiveCodeBench's Decimal compare says
        ("1e18", "1000000000000000000", True),
        ("+7", "7", True),
        ("3", "3.0", True),  # an expected float: any number within 1e-6
        ("3.0000001", "3.0", True),
        ("1e-7", "0.0", True),  # absolute tolerance 1e-6
        ("0x10", "16", False),
        ("1,000", "1000", False),
        ("1e999999999999999999", "1", False),  # beyond Decimal: not this integer, and no crash
        ("9" * 5000, "9" * 4999 + "8", False),  # longer than int() parses by default: no crash
        ("3" + " " * (1 << 20) + "\n4", "3\n4", True),  # blank padding at line ends
        ("3 " * (1 << 18), "3", False),  # many tokens for one
        ("3" + "\n" * (1 << 20) + "4", "3\n4", False),  # many lines for two
    ],
)
def test_stdout_matches(got, want, same):
    assert stdout_matches(got, want) is same


def test_parse_ground_truth_stdin():
    suite = parse_ground_truth(json.dumps({"inputs": [["1", "2"], "3\n"], "outputs": [["a", "b"], "c"]}))
    assert suite.fn_name is None
    assert suite.inputs == [b"1\n2", b"3\n"]  # TACO's lists of lines are joined
    assert suite.expected == ["a\nb", "c"]


@pytest.mark.parametrize(
    "bad",
    ["not json", "[1]", {"inputs": [], "outputs": []}, {"inputs": ["1"], "outputs": []}, {"outputs": ["1"]}],
)
def test_parse_ground_truth_rejects(bad):
    with pytest.raises(ValueError):
        parse_ground_truth(bad)


@pytest.mark.parametrize(
    ("program", "status", "passed"),
    [
        (SUM_PROGRAM, "ok", 3),
        ("import sys\na, b = map(int, sys.stdin.read().split())\nsys.stdout.write(str(a + b))", "ok", 3),
        ("import sys\nfor line in sys.stdin:\n    print(sum(map(int, line.split())))", "ok", 3),
        ("import os\na, b = map(int, os.read(0, 100).split())\nos.write(1, b'%d\\n' % (a + b))", "ok", 3),
        ("a, b = map(int, input().split())\nprint(a + b)\nexit()", "ok", 3),  # exit(0) after printing is fine
        ("a, b = map(int, input().split())\nprint(a * b if a == 1 else a + b)", "wrong_answer", 0),
        ("a, b = map(int, input().split())\nprint(a - b if a == 5 else a + b)", "wrong_answer", 2),
        ("a, b = map(int, input().split())\nraise SystemExit(3)", "runtime_error", 0),
        ("print(1/0)", "runtime_error", 0),
        ("def f(:\n", "runtime_error", 0),  # syntax error
        ("x = [1] * 10**10", "memory", 0),
        # prelude names, as LiveCodeBench gives them: Counter, gcd, List without imports
        (
            "a, b = map(int, input().split())\nxs: List[int] = [a, b]\n"
            "print(sum(Counter(xs).elements()) + 0 * gcd(a, b))",
            "ok",
            3,
        ),
        # state does not leak between tests: each test re-runs the program in fresh globals
        (
            "try:\n    seen\nexcept NameError:\n    seen = 0\n"
            "a, b = map(int, input().split())\nprint(a + b + seen)\nseen = 1",
            "ok",
            3,
        ),
    ],
)
def test_stdin_programs(verifier, program, status, passed):
    result = verifier.score_batch([program], [SUM_GT], mode="program")[0]
    assert (result.status, result.detail["tests_passed"]) == (status, passed), result.detail
    assert result.reward == (1.0 if status == "ok" else 0.0)
    assert result.detail["tests_total"] == 3


def test_all_tests_runs_past_a_failure():
    program = "a, b = map(int, input().split())\nprint(a - b if a == 10 else a + b)"
    with CodeVerifier(workers=1, time_limit_s=2.0, all_tests=True) as v:
        result = v.score_batch([program], [SUM_GT], mode="program")[0]
    assert result.status == "wrong_answer"
    assert result.detail["tests_passed"] == 2 and result.detail["failed_test"] == 1


def test_batch_keeps_order_and_mixes_statuses(verifier):
    responses = [
        f"<think>t</think>```python\n{SUM_PROGRAM}```",
        "no think",
        "<think>t</think>```python\nprint(0)\n```",
    ]
    results = verifier.score_batch(responses, [SUM_GT, SUM_GT, json.dumps(SUM_GT)])
    assert [r.status for r in results] == ["ok", "unfinished", "wrong_answer"]
    assert results[0].extracted == SUM_PROGRAM


def test_bad_ground_truth_is_an_error_result(verifier):
    result = verifier.score_batch(["print(1)"], ["{broken"], mode="program")[0]
    assert (result.reward, result.status) == (0.0, "error")


def test_per_row_time_limit(verifier):
    program = "import time\ntime.sleep(0.6)\nprint(3)"
    gt = {"inputs": ["1 2"], "outputs": ["3"]}
    fast, slow = verifier.score_batch([program, program], [gt, gt], mode="program", time_limits_s=[0.3, 2.0])
    assert (fast.status, slow.status) == ("timeout", "ok")
