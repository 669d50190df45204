"""Ingest of code release formats (LiveCodeBench, TACO, LeetCode): ground truth the code verifier runs."""

from __future__ import annotations

import base64
import json
import pickle
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from or1.config import IngestOptions
from or1.data.ingest import ingest, rejects_path
from or1.data.ingest_checks import Reject
from or1.data.ingest_code import decode_lcb_tests, detect_code_format
from or1.problems.schema import load_problems

FIXTURES = Path(__file__).parent / "code_formats"


def _rejects(out: Path) -> dict[int, dict]:
    return {r["row"]: r for r in map(json.loads, rejects_path(out).read_text().splitlines())}


def _ingest(tmp_path: Path, name: str, fmt: str = "auto") -> tuple[list, dict[int, dict], dict]:
    out = tmp_path / f"{name}.parquet"
    report = ingest([FIXTURES / name], out, IngestOptions(format=fmt))
    return load_problems(out), _rejects(out), report


@pytest.mark.parametrize("fmt", ["livecodebench", "auto"])
def test_livecodebench_rows_with_compressed_private_tests(tmp_path, fmt):
    problems, rejects, _ = _ingest(tmp_path, "livecodebench.parquet", fmt)
    stdin_p, call_p = problems
    # public + decompressed private tests, in that order
    assert stdin_p.ground_truth == {"inputs": ["3 4\n", "10 20\n", "-5 5\n"], "outputs": ["7\n", "30\n", "0\n"]}
    assert stdin_p.data_source == "livecodebench" and stdin_p.ability == "code"
    assert stdin_p.extra_info["contest_date"] == "2024-09-14" and stdin_p.extra_info["id"] == "abc999_a"
    assert stdin_p.extra_info["num_public_tests"] == 1 and stdin_p.extra_info["platform"] == "atcoder"
    assert "standard input" in stdin_p.prompt[0]["content"]
    # functional: one JSON value per input line -> positional arguments; outputs as JSON text
    assert call_p.ground_truth == {"inputs": [[[1, 5, 3], 2], [[4, 4, 4], 1], [[-1, -2], 2]],
                                   "outputs": ["8", "4", "-3"], "fn_name": "topKSum"}
    assert "def topKSum" in call_p.prompt[0]["content"]
    assert call_p.extra_info["problem"].startswith("Given an array nums")
    # bad rows: each reject names the file, the row and the column
    assert rejects[2]["reason"] == "bad_tests" and rejects[2]["detail"]["column"] == "private_test_cases"
    assert "base64" in rejects[2]["detail"]["error"] and rejects[2]["file"].endswith("livecodebench.parquet")
    assert rejects[3]["reason"] == "missing_field" and rejects[3]["detail"] == {"column": "public_test_cases"}


def test_taco_rows(tmp_path):
    problems, rejects, _ = _ingest(tmp_path, "taco.jsonl")
    tri, swap, even = problems
    assert tri.ground_truth == {"inputs": ["3\n", "10\n"], "outputs": ["6\n", "55\n"]}
    assert tri.extra_info["solution"].startswith("n = int(input())") and tri.extra_info["num_solutions"] == 2
    assert tri.extra_info["time_limit_s"] == 1.0 and tri.extra_info["contest_date"] == "2021-03-01"
    assert swap.ground_truth == {"inputs": ["hello\nworld"], "outputs": ["world\nhello"]}  # lines joined
    assert even.ground_truth == {"inputs": [[[1, 2, 4]], [[]]], "outputs": ["[2]", "[0]"], "fn_name": "count_even"}
    assert rejects[3]["reason"] == "bad_tests" and rejects[3]["detail"]["column"] == "input_output"


def test_leetcode_rows(tmp_path):
    problems, rejects, _ = _ingest(tmp_path, "leetcode.jsonl")
    two, power = problems
    assert two.ground_truth == {"inputs": [[[2, 7, 11, 15], 9], [[-1, 0], -1]], "outputs": ["[1, 2]", "[1, 2]"],
                                "fn_name": "twoSumSorted"}
    assert power.ground_truth["outputs"] == ["true", "false"]  # Python and JSON spellings both read
    assert two.extra_info["contest_date"] == "2015-08-01" and two.extra_info["id"] == "two-sum-sorted"
    assert rejects[2]["reason"] == "unsupported_tests" and rejects[2]["detail"]["column"] == "starter_code"


def test_detection_leaves_mapped_rows_alone():
    assert detect_code_format({"q": "x", "t": "{}"}) is None
    assert detect_code_format({"question": "x", "answer": "1"}) is None
    assert detect_code_format({"question": "x", "input_output": "{}"}) == "taco"
    assert detect_code_format({"content": "x", "input_output": [], "entry_point": "f"}) == "leetcode"


class _Boom:
    def __reduce__(self):
        return (print, ("pwned",))


@pytest.mark.parametrize("payload, needle", [
    (base64.b64encode(b"not zlib").decode(), "not zlib"),
    (base64.b64encode(zlib.compress(b"not a pickle")).decode(), "pickle"),
    (base64.b64encode(zlib.compress(pickle.dumps(_Boom()))).decode(), "refusing global"),
    (base64.b64encode(zlib.compress(pickle.dumps(["a list"]))).decode(), "not JSON text"),
    (base64.b64encode(zlib.compress(pickle.dumps("{oops"))).decode(), "not JSON"),
    (json.dumps([{"input": 1, "output": "2"}]), "must be strings"),
])
def test_bad_private_tests_are_rejected_with_the_step_that_failed(payload, needle, capsys):
    with pytest.raises(Reject) as e:
        decode_lcb_tests(payload)
    assert e.value.reason == "bad_tests" and needle in e.value.detail["error"]
    assert "pwned" not in capsys.readouterr().out  # the pickle's global was never called


def test_cli_format_flag(tmp_path):
    out = tmp_path / "lcb.parquet"
    r = subprocess.run([sys.executable, "-m", "or1.cli", "data", "ingest", str(FIXTURES / "livecodebench.parquet"),
                        "-o", str(out), "--format", "livecodebench"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "4 -> 2 rows" in r.stdout and len(load_problems(out)) == 2


def test_code_release_rows_take_the_code_template(tmp_path):
    out = tmp_path / "taco.parquet"
    opts = IngestOptions(template="{problem} Put your final answer within \\boxed{}.",
                         template_code="{problem}\n\nAnswer with a Python program.")
    ingest([FIXTURES / "taco.jsonl"], out, opts)
    problems = load_problems(out)
    assert problems and all(p.prompt[0]["content"].endswith("\n\nAnswer with a Python program.") for p in problems)
    assert not any("boxed" in p.prompt[0]["content"] for p in problems)


def test_cli_template_flags(tmp_path):
    raw = tmp_path / "mixed.jsonl"
    raw.write_text(json.dumps({"problem": "What is 2+3?", "answer": "5"}) + "\n" + json.dumps(
        {"problem": "Print 1.", "ability": "code", "tests": {"inputs": [""], "outputs": ["1\n"]}}) + "\n")
    out = tmp_path / "mixed.parquet"
    r = subprocess.run([sys.executable, "-m", "or1.cli", "data", "ingest", str(raw), "-o", str(out),
                        "--template", "{problem} Box it: \\boxed{}.", "--template-code", "{problem} Use Python."],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert [p.prompt[0]["content"] for p in load_problems(out)] == ["What is 2+3? Box it: \\boxed{}.",
                                                                     "Print 1. Use Python."]


# The verifier runs what ingest wrote: a right program passes every test, a wrong one fails.
RIGHT = {
    "abc999_a": "a, b = map(int, input().split())\nprint(a + b)\n",
    "3999": "class Solution:\n    def topKSum(self, nums, k):\n        return sum(sorted(nums)[-k:])\n",
}
WRONG = {
    "abc999_a": "a, b = map(int, input().split())\nprint(a - b)\n",  # fails the public test
    "3999": "class Solution:\n    def topKSum(self, nums, k):\n        return sum(nums[:k])\n",  # public test fails
}


@pytest.fixture(scope="module")
def verifier():
    from or1.rewards.code.verifier import CodeVerifier

    try:
        v = CodeVerifier(workers=4, time_limit_s=3.0)
    except PermissionError as e:
        pytest.skip(f"sandbox unavailable: {e}")
    with v:
        yield v


def test_ingested_livecodebench_rows_run_in_the_code_verifier(tmp_path, verifier):
    problems, _, _ = _ingest(tmp_path, "livecodebench.parquet")
    gts = [json.dumps(p.ground_truth) for p in problems]
    ids = [p.extra_info["id"] for p in problems]
    right = verifier.score_batch([RIGHT[i] for i in ids], gts, mode="program")
    wrong = verifier.score_batch([WRONG[i] for i in ids], gts, mode="program")
    assert [r.correct for r in right] == [True, True], [(r.status, r.detail) for r in right]
    assert [r.detail["tests_total"] for r in right] == [3, 3]
    assert [r.correct for r in wrong] == [False, False]
    # through a model response as training scores it
    resp = f"<think>sum the k largest</think>\n```python\n{RIGHT['3999']}```"
    assert verifier.score_batch([resp], [gts[1]])[0].correct


def test_reference_solutions_of_taco_and_leetcode_pass(tmp_path, verifier):
    rows = _ingest(tmp_path, "taco.jsonl")[0][:1] + _ingest(tmp_path, "leetcode.jsonl")[0]
    refs = [p.extra_info["solution"] for p in rows]
    results = verifier.score_batch(refs, [json.dumps(p.ground_truth) for p in rows], mode="program")
    assert all(r.correct for r in results), [(r.status, r.detail) for r in results]
    call_based = _ingest(tmp_path, "taco.jsonl")[0]
    more = verifier.score_batch([p.extra_info["solution"] for p in call_based[1:]],
                                [json.dumps(p.ground_truth) for p in call_based[1:]], mode="program")
    assert all(r.correct for r in more), [(r.status, r.detail) for r in more]
