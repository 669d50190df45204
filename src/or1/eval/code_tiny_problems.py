"""The problems of the packaged `code_tiny` evaluation set: statement, tests, oracle, reference program.

Each problem has two independent answers: an `oracle` (a Python expression of the test input) that
computes the expected outputs when the set is built, and a `reference` program that must pass those
tests in the real code sandbox (tests/eval/test_code_tiny.py). Half the problems read stdin and print,
the other half are LeetCode-style `class Solution` methods (call-based, LiveCodeBench's format).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["CALL", "STDIN", "CallProblem", "StdinProblem"]


@dataclass(frozen=True)
class StdinProblem:
    """Reads stdin, prints the answer; `oracle(input text) -> expected stdout`."""

    name: str
    statement: str
    inputs: tuple[str, ...]
    oracle: Callable[[str], str]
    reference: str


@dataclass(frozen=True)
class CallProblem:
    """A `Solution` method; `oracle(*args) -> return value`; `signature` is the starter code's def line."""

    name: str
    statement: str
    signature: str
    inputs: tuple[tuple[Any, ...], ...]
    oracle: Callable[..., Any]
    reference: str


def _ints(text: str) -> list[int]:
    return [int(t) for t in text.split()]


def _is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, math.isqrt(n) + 1))


def _fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def _max_sub(nums: list[int]) -> int:
    best = cur = nums[0]
    for x in nums[1:]:
        cur = max(x, cur + x)
        best = max(best, cur)
    return best


def _longest_unique(s: str) -> int:
    return max((j - i for i in range(len(s) + 1) for j in range(i, len(s) + 1) if len(set(s[i:j])) == j - i),
               default=0)


STDIN = (
    StdinProblem("sum_two", "Read two integers a and b on one line and print a + b.",
                 ("1 2", "-5 5", "1000000000 1000000000", "0 -7"), lambda s: str(sum(_ints(s))),
                 "a, b = map(int, input().split())\nprint(a + b)\n"),
    StdinProblem("reverse", "Read one line of text and print it reversed.",
                 ("hello", "abc def", "x", "racecar!"), lambda s: s[::-1],
                 "print(input()[::-1])\n"),
    StdinProblem("vowels", "Read one line and print how many of its characters are vowels (a, e, i, o, u, "
                 "either case).", ("Hello World", "xyz", "AEIOU aeiou", "Programming"),
                 lambda s: str(sum(c in "aeiouAEIOU" for c in s)),
                 "print(sum(c in 'aeiouAEIOU' for c in input()))\n"),
    StdinProblem("maximum", "The first line holds n, the second n integers. Print the largest.",
                 ("3\n1 9 4", "1\n-3", "5\n-1 -2 -3 -4 -5", "4\n7 7 2 7"), lambda s: str(max(_ints(s)[1:])),
                 "input()\nprint(max(map(int, input().split())))\n"),
    StdinProblem("fizzbuzz", "Read n and print the numbers 1..n, one per line, but Fizz for multiples of 3, "
                 "Buzz for multiples of 5 and FizzBuzz for multiples of both.", ("5", "15", "1"),
                 lambda s: "\n".join("FizzBuzz" if i % 15 == 0 else "Fizz" if i % 3 == 0 else "Buzz" if i % 5 == 0
                                     else str(i) for i in range(1, int(s) + 1)),
                 "n = int(input())\nfor i in range(1, n + 1):\n"
                 "    print('Fizz' * (i % 3 == 0) + 'Buzz' * (i % 5 == 0) or i)\n"),
    StdinProblem("factorial", "Read n (0 <= n <= 20) and print n!.", ("0", "5", "20"),
                 lambda s: str(math.factorial(int(s))),
                 "import math\nprint(math.factorial(int(input())))\n"),
    StdinProblem("prime", "Read n (1 <= n <= 10^9) and print YES if it is prime, else NO.",
                 ("1", "2", "97", "91", "1000000007"), lambda s: "YES" if _is_prime(int(s)) else "NO",
                 "n = int(input())\nok = n > 1\nd = 2\nwhile ok and d * d <= n:\n    ok = n % d != 0\n    d += 1\n"
                 "print('YES' if ok else 'NO')\n"),
    StdinProblem("gcd", "Read two positive integers and print their greatest common divisor.",
                 ("12 18", "7 13", "100 10", "1071 462"), lambda s: str(math.gcd(*_ints(s))),
                 "a, b = map(int, input().split())\nwhile b:\n    a, b = b, a % b\nprint(a)\n"),
    StdinProblem("sort", "The first line holds n, the second n integers. Print them in increasing order, "
                 "separated by spaces.", ("3\n3 1 2", "1\n5", "6\n5 -1 3 3 0 2"),
                 lambda s: " ".join(map(str, sorted(_ints(s)[1:]))),
                 "input()\nprint(*sorted(map(int, input().split())))\n"),
    StdinProblem("palindrome", "Read a word and print YES if it reads the same backwards, else NO.",
                 ("level", "abc", "a", "abba", "abca"), lambda s: "YES" if s == s[::-1] else "NO",
                 "w = input().strip()\nprint('YES' if w == w[::-1] else 'NO')\n"),
    StdinProblem("digit_sum", "Read a non-negative integer and print the sum of its digits.",
                 ("0", "12345", "999999999999"), lambda s: str(sum(map(int, s))),
                 "print(sum(int(c) for c in input().strip()))\n"),
    StdinProblem("fibonacci", "Read n (0 <= n <= 90) and print the n-th Fibonacci number (F0 = 0, F1 = 1).",
                 ("0", "1", "10", "90"), lambda s: str(_fib(int(s))),
                 "n = int(input())\na, b = 0, 1\nfor _ in range(n):\n    a, b = b, a + b\nprint(a)\n"),
    StdinProblem("mean", "The first line holds n, the second n integers. Print their mean (any output within "
                 "1e-6 of the exact value is accepted).", ("2\n1 2", "3\n1 1 2", "1\n-4"),
                 lambda s: repr(sum(_ints(s)[1:]) / _ints(s)[0]),
                 "n = int(input())\nprint(sum(map(int, input().split())) / n)\n"),
)

CALL = (
    CallProblem("two_sum", "Given an array nums and a target, return the indices [i, j] (i < j) of the two "
                "numbers that add up to target. Exactly one answer exists.",
                "def twoSum(self, nums: List[int], target: int) -> List[int]:",
                (([2, 7, 11, 15], 9), ([3, 2, 4], 6), ([3, 3], 6)),
                lambda nums, t: next([i, j] for j in range(len(nums)) for i in range(j) if nums[i] + nums[j] == t),
                "class Solution:\n    def twoSum(self, nums, target):\n        seen = {}\n"
                "        for i, x in enumerate(nums):\n            if target - x in seen:\n"
                "                return [seen[target - x], i]\n            seen[x] = i\n"),
    CallProblem("palindrome_number", "Return true if the integer x reads the same backwards.",
                "def isPalindrome(self, x: int) -> bool:", ((121,), (-121,), (10,), (0,)),
                lambda x: str(x) == str(x)[::-1],
                "class Solution:\n    def isPalindrome(self, x):\n        return str(x) == str(x)[::-1]\n"),
    CallProblem("max_subarray", "Return the largest sum of a non-empty contiguous subarray of nums.",
                "def maxSubArray(self, nums: List[int]) -> int:",
                (([-2, 1, -3, 4, -1, 2, 1, -5, 4],), ([1],), ([-3, -1, -2],)), _max_sub,
                "class Solution:\n    def maxSubArray(self, nums):\n        best = cur = nums[0]\n"
                "        for x in nums[1:]:\n            cur = max(x, cur + x)\n            best = max(best, cur)\n"
                "        return best\n"),
    CallProblem("climb_stairs", "You climb 1 or 2 steps at a time. Return the number of ways to climb n steps.",
                "def climbStairs(self, n: int) -> int:", ((1,), (2,), (5,), (30,)), lambda n: _fib(n + 1),
                "class Solution:\n    def climbStairs(self, n):\n        a, b = 1, 1\n        for _ in range(n):\n"
                "            a, b = b, a + b\n        return a\n"),
    CallProblem("reverse_words", "Return the words of s in reverse order, separated by single spaces.",
                "def reverseWords(self, s: str) -> str:", (("the sky is blue",), ("  hello world  ",), ("a",)),
                lambda s: " ".join(reversed(s.split())),
                "class Solution:\n    def reverseWords(self, s):\n        return ' '.join(s.split()[::-1])\n"),
    CallProblem("count_bits", "Return a list whose i-th entry (0 <= i <= n) is the number of 1 bits of i.",
                "def countBits(self, n: int) -> List[int]:", ((2,), (5,), (0,)),
                lambda n: [bin(i).count("1") for i in range(n + 1)],
                "class Solution:\n    def countBits(self, n):\n        out = [0] * (n + 1)\n"
                "        for i in range(1, n + 1):\n            out[i] = out[i >> 1] + (i & 1)\n        return out\n"),
    CallProblem("missing_number", "nums holds n distinct numbers from 0..n; return the one that is missing.",
                "def missingNumber(self, nums: List[int]) -> int:", (([3, 0, 1],), ([0, 1],), ([9, 6, 4, 2, 3, 5, 7,
                                                                                            0, 1],)),
                lambda nums: len(nums) * (len(nums) + 1) // 2 - sum(nums),
                "class Solution:\n    def missingNumber(self, nums):\n        n = len(nums)\n"
                "        return n * (n + 1) // 2 - sum(nums)\n"),
    CallProblem("longest_unique", "Return the length of the longest substring of s without repeated characters.",
                "def lengthOfLongestSubstring(self, s: str) -> int:", (("abcabcbb",), ("bbbbb",), ("pwwkew",),
                                                                        ("",)), _longest_unique,
                "class Solution:\n    def lengthOfLongestSubstring(self, s):\n        last, start, best = {}, 0, 0\n"
                "        for i, c in enumerate(s):\n            if last.get(c, -1) >= start:\n"
                "                start = last[c] + 1\n            last[c] = i\n"
                "            best = max(best, i - start + 1)\n        return best\n"),
)
