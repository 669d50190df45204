"""The packaged `code_tiny` set: up to date with its builder, in LiveCodeBench's format, and solvable:
every reference program passes the real code verifier in its sandbox, and wrong programs do not."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from or1.eval.code_tiny import PATH, build_rows
from or1.eval.code_tiny_problems import CALL, STDIN
from or1.eval.datasets import load_eval_set
from or1.problems.schema import load_problems
from or1.rewards.registry import ScoreRequest, default_registry

PROBLEMS = (*STDIN, *CALL)


def _response(program: str) -> str:
    """A response shaped like a reasoning model's: thoughts, `</think>`, then a fenced program."""
    return f"Let me write it.\n</think>\nHere is the solution.\n```python\n{program}```\n"


def test_packaged_file_matches_its_builder():
    assert pq.read_table(PATH).to_pylist() == build_rows()


def test_rows_follow_the_livecodebench_format():
    problems = load_problems(PATH)
    assert len(problems) == len(PROBLEMS) >= 20
    styles = {p.extra_info["style"] for p in problems}
    assert styles == {"stdin", "call"}
    for p in problems:
        assert p.ability == "code" and p.prompt[0]["role"] == "user" and "```python" in p.prompt[0]["content"]
        raw = pq.read_table(PATH).to_pylist()[int(p.extra_info["index"])]["reward_model"]["ground_truth"]
        gt = json.loads(raw)
        assert isinstance(raw, str) and set(gt) <= {"inputs", "outputs", "fn_name"}
        assert len(gt["inputs"]) == len(gt["outputs"]) >= 3
        assert all(isinstance(x, str) for x in gt["inputs"] + gt["outputs"])
        assert ("fn_name" in gt) == (p.extra_info["style"] == "call")


def test_packaged_set_loads_by_name():
    s = load_eval_set("code_tiny")
    assert s.name == "code_tiny" and s.path == PATH and len(s.problems) == len(PROBLEMS)


@pytest.fixture(scope="module")
def registry():
    with default_registry(workers=2, code_time_limit_s=4.0) as r:
        yield r


def test_reference_programs_pass_the_real_verifier(registry):
    problems = load_problems(PATH)
    reqs = [ScoreRequest(_response(ref.reference), p.ability, p.data_source, p.ground_truth)
            for p, ref in zip(problems, PROBLEMS, strict=True)]
    results = registry.score(reqs)
    failed = {ref.name: (r.status, r.detail) for ref, r in zip(PROBLEMS, results, strict=True) if not r.correct}
    assert not failed


@pytest.mark.parametrize(("name", "program"), [
    ("sum_two", "a, b = map(int, input().split())\nprint(a - b)\n"),  # wrong answer
    ("fizzbuzz", "print(1)\n"),  # right on the first line only
    ("two_sum", "class Solution:\n    def twoSum(self, nums, target):\n        return [0, 1]\n"),  # right on 2 of 3
    ("mean", "input()\nprint(int(input().split()[0]))\n"),  # not within float tolerance
])
def test_wrong_programs_fail(registry, name, program):
    problems = {p.extra_info["name"]: p for p in load_problems(PATH)}
    p = problems[name]
    [result] = registry.score([ScoreRequest(_response(program), p.ability, p.data_source, p.ground_truth)])
    assert not result.correct
