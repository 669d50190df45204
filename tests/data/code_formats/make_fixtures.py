"""Write the code-format fixtures of test_ingest_code.py (run from the repo root; the outputs are committed).

Hand-written problems in LiveCodeBench, TACO and LeetCode release layouts, including the rows each loader
must reject: corrupt base64 private tests, a missing column, unparsable tests, tree-typed arguments.
"""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).parent


def lcb_compress(tests: list[dict]) -> str:
    """As LiveCodeBench stores private tests: base64(zlib(pickle(JSON text)))."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()


def stdin(i: str, o: str) -> dict:
    return {"input": i, "output": o, "testtype": "stdin"}


def functional(i: str, o: str) -> dict:
    return {"input": i, "output": o, "testtype": "functional"}


LCB = [
    {  # AtCoder-style stdin problem: public tests as JSON, private tests compressed
        "question_title": "Sum of Two", "question_id": "abc999_a", "contest_id": "abc999", "platform": "atcoder",
        "difficulty": "easy", "contest_date": "2024-09-14T00:00:00", "starter_code": "",
        "question_content": "You are given integers A and B on one line. Print A+B.",
        "public_test_cases": json.dumps([stdin("3 4\n", "7\n")]),
        "private_test_cases": lcb_compress([stdin("10 20\n", "30\n"), stdin("-5 5\n", "0\n")]),
        "metadata": json.dumps({}),
    },
    {  # LeetCode-style functional problem: one JSON value per input line
        "question_title": "Top K Sum", "question_id": "3999", "contest_id": "weekly-contest-999",
        "platform": "leetcode", "difficulty": "medium", "contest_date": "2024-10-05T00:00:00",
        "starter_code": "class Solution:\n    def topKSum(self, nums: List[int], k: int) -> int:\n        ",
        "question_content": "Given an array nums and an integer k, return the sum of the k largest elements.",
        "public_test_cases": json.dumps([functional("[1, 5, 3]\n2", "8")]),
        "private_test_cases": lcb_compress([functional("[4, 4, 4]\n1", "4"), functional("[-1, -2]\n2", "-3")]),
        "metadata": json.dumps({"func_name": "topKSum"}),
    },
    {  # corrupt private tests: not base64
        "question_title": "Broken", "question_id": "abc999_b", "contest_id": "abc999", "platform": "atcoder",
        "difficulty": "easy", "contest_date": "2024-09-14T00:00:00", "starter_code": "",
        "question_content": "Print the number of vowels in S.",
        "public_test_cases": json.dumps([stdin("abc\n", "1\n")]),
        "private_test_cases": "eJz!!not*base64",
        "metadata": json.dumps({}),
    },
    {  # public tests missing (null)
        "question_title": "No Tests", "question_id": "abc999_c", "contest_id": "abc999", "platform": "atcoder",
        "difficulty": "hard", "contest_date": "2024-09-14T00:00:00", "starter_code": "",
        "question_content": "Print the longest palindrome in S.",
        "public_test_cases": None,
        "private_test_cases": lcb_compress([stdin("aba\n", "aba\n")]),
        "metadata": json.dumps({}),
    },
]

TACO = [
    {  # stdin, inputs and outputs as strings; two reference solutions
        "question": "Read N and print the sum 1+2+...+N.",
        "solutions": json.dumps(["n = int(input())\nprint(n * (n + 1) // 2)\n", "print(sum(range(int(input()) + 1)))"]),
        "starter_code": "", "input_output": json.dumps({"inputs": ["3\n", "10\n"], "outputs": ["6\n", "55\n"]}),
        "difficulty": "EASY", "name": "triangle-sum", "source": "codechef", "time_limit": "1 seconds",
        "date": "2021-03-01", "url": "https://example.org/triangle-sum",
    },
    {  # stdin, TACO lists of lines
        "question": "Read two lines, each with one word, and print them in reverse order, one per line.",
        "solutions": json.dumps(["a = input()\nb = input()\nprint(b)\nprint(a)\n"]),
        "starter_code": "",
        "input_output": json.dumps({"inputs": [["hello", "world"]], "outputs": [["world", "hello"]]}),
        "difficulty": "EASY", "name": "swap-lines", "source": "codeforces", "time_limit": None, "date": None,
    },
    {  # call-based: fn_name, argument lists, outputs wrapped in one-element lists
        "question": "Write a function count_even(xs) that returns how many entries of xs are even.",
        "solutions": json.dumps(["def count_even(xs):\n    return sum(1 for x in xs if x % 2 == 0)\n"]),
        "starter_code": "def count_even(xs):\n\t",
        "input_output": json.dumps({"fn_name": "count_even", "inputs": [[[1, 2, 4]], [[]]], "outputs": [[2], [0]]}),
        "difficulty": "EASY", "name": "count-even", "source": "codewars", "time_limit": None, "date": None,
    },
    {  # unparsable tests
        "question": "Print hello.", "solutions": json.dumps(["print('hello')"]), "starter_code": "",
        "input_output": "{'inputs': ['']", "difficulty": "EASY", "name": "broken", "source": "x",
    },
]

LEETCODE = [
    {
        "task_id": "two-sum-sorted", "question_id": 9001, "difficulty": "Easy", "estimated_date": "2015-08-01",
        "problem_description": "Given a sorted array nums and a target, return the 1-based indices of the two "
                               "numbers that add up to target.",
        "starter_code": "class Solution:\n    def twoSumSorted(self, nums: List[int], target: int) -> List[int]:\n",
        "entry_point": "Solution().twoSumSorted",
        "input_output": [{"input": "nums = [2,7,11,15], target = 9", "output": "[1, 2]"},
                         {"input": "nums = [-1,0], target = -1", "output": "[1, 2]"}],
        "completion": ("class Solution:\n    def twoSumSorted(self, nums, target):\n        i, j = 0, len(nums) - 1\n"
                       "        while nums[i] + nums[j] != target:\n"
                       "            if nums[i] + nums[j] < target:\n                i += 1\n"
                       "            else:\n                j -= 1\n        return [i + 1, j + 1]\n"),
    },
    {
        "task_id": "is-power-of-two", "question_id": 9002, "difficulty": "Easy", "estimated_date": "2015-07-06",
        "problem_description": "Return true if n is a power of two.",
        "starter_code": "class Solution:\n    def isPowerOfTwo(self, n: int) -> bool:\n",
        "entry_point": "Solution().isPowerOfTwo",
        "input_output": [{"input": "n = 16", "output": "True"}, {"input": "n = 6", "output": "false"}],
        "completion": "class Solution:\n    def isPowerOfTwo(self, n):\n        return n > 0 and n & (n - 1) == 0\n",
    },
    {  # tree arguments: not expressible as JSON call arguments
        "task_id": "max-depth", "question_id": 9003, "difficulty": "Easy", "estimated_date": "2014-01-01",
        "problem_description": "Return the maximum depth of the binary tree.",
        "starter_code": "class Solution:\n    def maxDepth(self, root: Optional[TreeNode]) -> int:\n",
        "entry_point": "Solution().maxDepth",
        "input_output": [{"input": "root = [3,9,20,null,null,15,7]", "output": "3"}],
        "completion": "",
    },
]


def main() -> None:
    pq.write_table(pa.Table.from_pylist(LCB), HERE / "livecodebench.parquet")
    for name, rows in (("taco.jsonl", TACO), ("leetcode.jsonl", LEETCODE)):
        with open(HERE / name, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
