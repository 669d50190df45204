"""Dedup of code problems: on the statement, and on reference solutions with names and literals abstracted.

The rows are the kinds a merged code pool holds: the same Codeforces/AtCoder problem from two mirrors
with the statement rewritten and the program renamed, Python 2 solutions, and different problems with
similar short programs.
"""

from __future__ import annotations

import json

import pytest

from or1.config import DedupOptions
from or1.data.code_solutions import normalize_solution
from or1.data.dedup import dedup_rows

PREFIX_SUMS = """import sys
input = sys.stdin.readline

def main():
    n, q = map(int, input().split())
    a = list(map(int, input().split()))
    pre = [0] * (n + 1)
    for i in range(n):
        pre[i + 1] = pre[i] + a[i]
    out = []
    for _ in range(q):
        l, r = map(int, input().split())
        out.append(pre[r] - pre[l - 1])
    print("\\n".join(map(str, out)))

main()
"""
# The same program from another mirror: other names, comments, quotes, spacing and redundant parentheses.
PREFIX_SUMS_RENAMED = """import sys
input = sys.stdin.readline


def main():
    # read sizes
    N, Q = map(int, (input().split()))
    arr = list(map(int, input().split()))
    s = [0]*(N+1)
    for k in range(N):
        s[k+1] = s[k] + arr[k]   # running total
    res = []
    for _ in range(Q):
        x, y = map(int, input().split())
        res.append(s[y] - s[x-1])
    print('\\n'.join(map(str, res)))

main()
"""
# A different problem (range maximum, not range sum) with a program of the same shape.
PREFIX_MAX = PREFIX_SUMS.replace("pre[i] + a[i]", "max(pre[i], a[i])").replace("pre[r] - pre[l - 1]", "pre[r]")
GCD_PY2 = "import sys\nt = int(raw_input())\nfor _ in xrange(t):\n    a, b = map(int, raw_input().split())\n" \
          "    while b:\n        a, b = b, a % b\n    print a\n"
GCD_PY2_RENAMED = "import sys\ncases = int(raw_input())\nfor case in xrange(cases):\n" \
                  "  x, y = map(int, raw_input().split())\n  while y:\n    x, y = y, x % y\n  print x\n"
UPPER = "s = input().strip()\nwords = s.split()\nresult = []\nfor w in words:\n    result.append(w.upper())\n" \
        "print(' '.join(result))\n"
LOWER = UPPER.replace("upper", "lower")


def _code(index: int, statement: str, solution: str | None, source: str = "taco") -> dict:
    info = {"index": index, "problem": statement, "split": "train"}
    if solution is not None:
        info["solution"] = solution
    return {"data_source": source, "prompt": [{"role": "user", "content": statement}], "ability": "code",
            "reward_model": {"style": "rule", "ground_truth": json.dumps({"inputs": ["1\n"], "outputs": ["1\n"]})},
            "extra_info": info}


ROWS = [
    _code(0, "You are given an array of n integers and q queries. Each query gives l and r; print the sum of "
             "a_l through a_r.", PREFIX_SUMS),
    _code(1, "Answer Q range-sum queries on a sequence A of length N: for each pair (L, R) output "
             "A_L + ... + A_R.", PREFIX_SUMS_RENAMED, "codecontests"),
    _code(2, "You are given an array of n integers and q queries. Each query gives r; print the maximum of "
             "a_1 through a_r.", PREFIX_MAX),
    _code(3, "For each of T test cases, print the greatest common divisor of A and B.", GCD_PY2),
    _code(4, "Given pairs of numbers, compute gcd(a, b) for every pair.", GCD_PY2_RENAMED, "codechef"),
    _code(5, "Read a line of words and print each word in upper case.", UPPER),
    _code(6, "Read a line of words and print each word in lower case.", LOWER),
    _code(7, "Print twice the number N.", "print(int(input()) * 2)"),
    _code(8, "Print three times the number N.", "print(int(input()) * 3)"),
    _code(9, "Read N and print the sum 1+2+...+N.", None),
    # the statement of row 0 again, behind a different answer-format note: a statement duplicate
    _code(10, "You are given an array of n integers and q queries. Each query gives l and r; print the sum of "
              "a_l through a_r.", None, "apps"),
]


def _outcome(rows: list[dict], **opts) -> tuple[list[int], dict[int, tuple[str, str]]]:
    out = dedup_rows(rows, DedupOptions(**opts))
    kept = [r["extra_info"]["index"] for r in out.kept]
    removed = {int(r.uid.split("/")[1]): (r.reason, r.detail["duplicate_of"]) for r in out.removed}
    return kept, removed


def test_code_pool_dedups_on_statement_and_solution():
    kept, removed = _outcome(ROWS)
    assert removed == {1: ("solution_duplicate", "taco/0"), 4: ("solution_duplicate", "taco/3"),
                       10: ("exact_duplicate", "taco/0")}
    assert kept == [0, 2, 3, 5, 6, 7, 8, 9]


def test_solution_evidence_in_the_report():
    out = dedup_rows(ROWS, DedupOptions())
    (entry,) = [r for r in out.removed if r.reason == "solution_duplicate" and r.uid == "codecontests/1"]
    assert entry.detail["solution_tokens"] >= 30 and len(entry.detail["solution_sha256"]) == 16
    assert out.stats["solutions_compared"] == 7  # rows 0-6: rows 7 and 8 are too short, 9 and 10 have none
    (cluster,) = [c for c in out.stats["cluster_list"] if c["kept"] == "taco/0"]
    assert {r["uid"] for r in cluster["removed"]} == {"codecontests/1", "apps/10"}


def test_solutions_can_be_left_out_and_short_programs_count_when_asked():
    _, removed = _outcome(ROWS, solutions=False)
    assert set(removed) == {10}
    _, removed = _outcome(ROWS, solution_min_tokens=5)
    assert removed[8] == ("solution_duplicate", "taco/7")  # * 2 and * 3 abstract to the same program


def test_math_rows_are_not_compared_on_solutions():
    math = [{**r, "ability": "math"} for r in ROWS[3:5]]
    assert _outcome(math)[1] == {}


@pytest.mark.parametrize("a, b, same", [
    ("x = 3\nprint(x + 1)\n", "n=10  # size\nprint((n+2))\n", True),  # names, literals, comments, parentheses
    ("def f(a):\n    '''Doc.'''\n    return a * a\n", "def g(b):\n    return b*b\n", True),  # docstring
    ("if a:\n\tb = 1\n", "if c:\n  d = 2\n", True),  # tab and two-space indents
    ("print 'hi %d' % n", "print 'yo %d' % m", True),  # Python 2 through tokenize alone
    ("a + b", "a + a", False),  # consistent renaming keeps which names repeat
    ("print(sum(x))", "print(len(x))", False),  # builtins are kept
    ("s.upper()", "s.lower()", False),  # attribute names are kept
    ("for i in range(n):\n    pass\n", "while i < n:\n    pass\n", False),
])
def test_normalised_solutions(a, b, same):
    assert (normalize_solution(a) == normalize_solution(b)) is same


def test_untokenizable_and_short_programs_have_no_normal_form():
    assert normalize_solution("def f(:\n    '''unterminated") is None
    assert normalize_solution("print(1)", min_tokens=30) is None
