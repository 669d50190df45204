"""Call-based code tests (LeetCode / LiveCodeBench / TACO styles): comparison and real sandbox runs."""

from __future__ import annotations

import json
import marshal

import pytest

from or1.rewards.code.compare import call_matches, parse_ground_truth
from or1.rewards.code.verifier import CodeVerifier, score, verify

# LiveCodeBench style: each input a string of newline-separated JSON arguments, each output JSON text.
LCB_GT = {
    "inputs": ["[2,7,11,15]\n9", "[3,2,4]\n6", "[3,3]\n6"],
    "outputs": ["[0, 1]", "[1, 2]", "[0, 1]"],
    "fn_name": "twoSum",
}
# TACO style: inputs are argument lists, outputs wrap the value in a one-element list.
TACO_GT = {
    "inputs": [[[2, 7, 11, 15], 9], [[3, 2, 4], 6]],
    "outputs": [[[0, 1]], [[1, 2]]],
    "fn_name": "twoSum",
}
LEETCODE = """class Solution:
    def twoSum(self, nums: List[int], target: int) -> List[int]:
        seen = {}
        for i, x in enumerate(nums):
            if target - x in seen:
                return [seen[target - x], i]
            seen[x] = i
"""
PLAIN = """def twoSum(nums, target):
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            if nums[i] + nums[j] == target:
                return (i, j)
"""


@pytest.fixture(scope="module")
def verifier():
    with CodeVerifier(workers=2, time_limit_s=2.0) as v:
        yield v


@pytest.mark.parametrize(
    ("got", "want", "same"),
    [
        (b"[0, 1]", [0, 1], True),
        (b"[0, 1]", [[0, 1]], True),  # TACO wrapping
        (b"[[0, 1]]", [[0, 1]], True),
        (b"[1, 0]", [0, 1], False),
        (b"1", True, False),  # bool is not int
        (b"true", True, True),
        (b"0.30000000000000004", 0.3, True),
        (b"3", 3.0, True),
        (b"3", 4, False),
        (b'{"a": [1, 2]}', {"a": [1, 2]}, True),
        (b'{"a": [1, 2]}', {"a": [1, 3]}, False),
        (b'"abc"', "abc", True),
        (b"null", None, True),
        (b"not json", "not json", False),
        (b"[" * 100_000, [], False),  # deeply nested garbage: rejected, never a crash
        # An expected int needs the exact value, also inside lists and dicts; floats get the tolerance.
        (b"1000000008.0", 1000000007, False),
        (b"1e+18", 1000000000000000007, False),
        (b"[1000000008.0]", [1000000007], False),
        (b'{"a": [1000000008.0]}', {"a": [1000000007]}, False),
        (b"7.0", 7, True),  # the same value (LiveCodeBench's == agrees)
        (b"1", 1.0, True),
        (b"1.0000001", 1.0, True),
        (b"true", 1, False),  # bool is its own JSON type, also where an int is expected
        (b"1", False, False),
        (b"1" + b"0" * 400, 1.0, False),  # an int beyond any float: not near it, no crash
        (b"[" + b"0," * 10_000 + b"0]", [0], False),  # far longer than the expected JSON: not parsed
    ],
)
def test_call_matches(got, want, same):
    assert call_matches(got, want) is same


def test_parse_ground_truth_call_forms():
    lcb = parse_ground_truth(json.dumps(LCB_GT))
    assert lcb.fn_name == "twoSum"
    assert marshal.loads(lcb.inputs[0]) == [[2, 7, 11, 15], 9]
    assert lcb.expected[0] == [0, 1]
    taco = parse_ground_truth(TACO_GT)
    assert marshal.loads(taco.inputs[1]) == [[3, 2, 4], 6] and taco.expected[1] == [[1, 2]]
    with pytest.raises(ValueError):
        parse_ground_truth({**LCB_GT, "fn_name": "os.system"})


@pytest.mark.parametrize(
    ("program", "gt", "status"),
    [
        (LEETCODE, LCB_GT, "ok"),
        (LEETCODE, TACO_GT, "ok"),
        (PLAIN, LCB_GT, "ok"),  # plain function; a tuple return compares as a list
        (PLAIN, TACO_GT, "ok"),
        (LEETCODE.replace("[seen[target - x], i]", "[i, seen[target - x]]"), LCB_GT, "wrong_answer"),
        ("class Solution:\n    def other(self): pass", LCB_GT, "runtime_error"),  # no such method
        ("import sys\nsys.exit(0)", LCB_GT, "runtime_error"),  # exits before defining anything
        ("def twoSum(nums, target):\n    return {1, 2}", LCB_GT, "wrong_answer"),  # a set is not JSON
        ("def twoSum(nums, target):\n    raise ValueError('x')", LCB_GT, "runtime_error"),
        ("def twoSum(nums, target):\n    while True: pass", LCB_GT, "timeout"),
    ],
)
def test_call_programs(verifier, program, gt, status):
    result = verifier.score_batch([program], [gt], mode="program")[0]
    assert result.status == status, result.detail


def test_arguments_are_fresh_per_test(verifier):
    # The function empties its argument; the next test must still get its own, intact list.
    program = "def f(xs):\n    n = len(xs)\n    xs.clear()\n    return n"
    gt = {"inputs": [[[1, 2, 3]], [[1, 2, 3]]], "outputs": [3, 3], "fn_name": "f"}
    assert verifier.score_batch([program], [gt], mode="program")[0].status == "ok"


def test_score_and_verify_helpers():
    response = f"<think>two sum</think>\n```python\n{LEETCODE}```"
    assert score(response, json.dumps(LCB_GT), time_limit_s=2.0).reward == 1.0
    assert verify(gold=LCB_GT, pred=PLAIN) is True
    assert verify(gold=LCB_GT, pred="def twoSum(a, b):\n    return [0, 0]") is False
