"""Code problems for the decontamination tests: LiveCodeBench-style eval rows and a training pool.

Hand-written in the layouts the platforms use (AtCoder's Input/Output/Constraints sections, LeetCode's
examples and constraints), so unrelated problems share the platform's template the way real ones do.
"""

from __future__ import annotations

import json

ATCODER_IO = ("\n\nInput\n\nThe input is given from Standard Input in the following format:\n{fmt}\n\nOutput\n\n"
              "{out}\n\nConstraints\n\n{constraints}\n- All input values are integers.\n\n{samples}")

PAIRS = ("You are given a string S of length N consisting of lowercase English letters. Find the number of "
         "pairs of integers (i, j) with 1 \\leq i < j \\leq N such that S_i = S_j and no character strictly "
         "between positions i and j equals S_i." + ATCODER_IO.format(
             fmt="N\nS", out="Print the answer.",
             constraints="- 2 \\leq N \\leq 2 \\times 10^5\n- S consists of lowercase English letters.",
             samples="Sample Input 1\n\n7\nabacaba\n\nSample Output 1\n\n4"))
BOXES = ("There are N boxes in a row, and box i contains A_i balls. Takahashi repeats the following operation "
         "K times: take one ball from the box with the most balls (the leftmost one if several) and put it into "
         "the box just to its right, or throw it away if it is the last box. Print the number of balls in each "
         "box after the K operations." + ATCODER_IO.format(
             fmt="N K\nA_1 A_2 \\ldots A_N", out="Print N integers separated by spaces.",
             constraints="- 1 \\leq N \\leq 2 \\times 10^5\n- 1 \\leq K \\leq 10^9\n- 0 \\leq A_i \\leq 10^9",
             samples="Sample Input 1\n\n3 2\n5 1 4\n\nSample Output 1\n\n3 3 4"))
GRID = ("There is a grid with H rows and W columns. Each cell is a wall (#) or empty (.). Takahashi starts at the "
        "empty cell (S_r, S_c) and reads a string X of the letters L, R, U and D from left to right; for each "
        "letter he moves one cell in that direction if the cell exists and is empty, and stays otherwise. Print "
        "the cell where he ends." + ATCODER_IO.format(
            fmt="H W\nS_r S_c\nC_{1,1}...C_{1,W}\n\\vdots\nC_{H,1}...C_{H,W}\nX", out="Print the row and column.",
            constraints="- 1 \\leq H, W \\leq 50\n- X has length between 1 and 50.",
            samples="Sample Input 1\n\n2 3\n2 1\n.#.\n...\nULDRR\n\nSample Output 1\n\n2 3"))
BALANCED = ("You are given a 0-indexed integer array nums and an integer k. A subarray is called balanced if the "
            "difference between its maximum and its minimum element is at most k. Return the number of balanced "
            "subarrays of nums.\n\nExample 1:\n\nInput: nums = [3,1,4,2], k = 2\nOutput: 6\nExplanation: the "
            "balanced subarrays are [3], [1], [4], [2], [3,1] and [4,2].\n\nConstraints:\n\n1 <= nums.length <= 10^5\n"
            "1 <= nums[i] <= 10^9\n0 <= k <= 10^9")
K_SPECIAL = ("You are given a string word and an integer k. We call word k-special if |freq(word[i]) - "
             "freq(word[j])| <= k for all indices i and j, where freq(x) is the frequency of the character x in "
             "word. Return the minimum number of characters you need to delete to make word k-special.\n\n"
             "Example 1:\n\nInput: word = \"aabcaba\", k = 0\nOutput: 3\n\nConstraints:\n\n"
             "1 <= word.length <= 10^5\n0 <= k <= 10^5\nword consists only of lowercase English letters.")

# (question_id, platform, contest_date, statement, func_name)
EVAL = [
    ("abc901_c", "atcoder", "2024-08-17T00:00:00", PAIRS, None),
    ("abc880_d", "atcoder", "2024-06-01T00:00:00", BOXES, None),  # before the 2024-08-01 window
    ("abc905_b", "atcoder", "2024-09-28T00:00:00", GRID, None),
    ("3901", "leetcode", "2024-10-05T00:00:00", BALANCED, "countBalanced"),
    ("3085", "leetcode", "2024-03-16T00:00:00", K_SPECIAL, "minimumDeletions"),  # before the window
]


def lcb_rows() -> list[dict]:
    """The eval problems as LiveCodeBench release rows (private tests as plain JSON, which it also reads)."""
    stdin = json.dumps([{"input": "1\n", "output": "1\n", "testtype": "stdin"}])
    functional = json.dumps([{"input": "[1]\n1", "output": "1", "testtype": "functional"}])
    return [{"question_title": qid, "question_content": text, "platform": platform, "question_id": qid,
             "contest_id": qid.split("_")[0], "contest_date": when, "starter_code": "", "difficulty": "medium",
             "public_test_cases": functional if fn else stdin, "private_test_cases": functional if fn else stdin,
             "metadata": json.dumps({"func_name": fn} if fn else {})} for qid, platform, when, text, fn in EVAL]


# Training problems: (text, expected reason or None, eval uid it comes from)
TRAIN = [
    # a mirror's copy of PAIRS: own heading, Unicode relations instead of LaTeX, samples kept
    ("Problem Statement\n" + PAIRS.replace("\\leq", "≤").replace("\\times", "×"), "ngram_overlap",
     "livecodebench/abc901_c"),
    # a copy of BOXES, dated before the window
    (BOXES, "ngram_overlap", "livecodebench/abc880_d"),
    # a light paraphrase of BALANCED: clauses reordered, synonyms, the same example and constraints (cosine
    # 0.43 and a few shared numbers: the example is what gives it away)
    ("Call a contiguous subarray of the integer array nums balanced when its largest and smallest elements "
     "differ by no more than k. Count the balanced subarrays.\n\nExample: for nums = [3,1,4,2] and k = 2 the "
     "answer is 6.\n\nConstraints: 1 <= nums.length <= 10^5, 1 <= nums[i] <= 10^9, 0 <= k <= 10^9",
     "sample_overlap", "livecodebench/3901"),
    # a reworded GRID with the sample kept
    ("Takahashi stands on an empty square (S_r, S_c) of an H by W grid whose squares are walls (#) or empty (.). "
     "He follows the instructions in a string X of letters L, R, U, D one at a time, moving one square in that "
     "direction when that square is inside the grid and empty and not moving otherwise. Output the square he "
     "finishes on.\n\nInput\n\nH W\nS_r S_c\nthe grid\nX\n\nConstraints: 1 <= H, W <= 50, 1 <= |X| <= 50.\n\n"
     "Sample Input 1\n\n2 3\n2 1\n.#.\n...\nULDRR\n\nSample Output 1\n\n2 3", "sample_overlap",
     "livecodebench/abc905_b"),
    # a LeetCode dump's copy of K_SPECIAL: markdown headings, the constraints reflowed
    ("You are given a string word and an integer k.\n\nWe call word k-special if |freq(word[i]) - freq(word[j])| "
     "<= k for all indices i and j, where freq(x) is the frequency of the character x in word.\n\nReturn the "
     "minimum number of characters you need to delete to make word k-special.\n\n**Example 1:**\n\n"
     "**Input:** word = \"aabcaba\", k = 0\n**Output:** 3\n\n**Constraints:** `1 <= word.length <= 10^5`, "
     "`0 <= k <= 10^5`", "ngram_overlap", "livecodebench/3085"),
    # unrelated AtCoder problems with the same template and constraints
    ("You are given a sequence A of N positive integers. Find the maximum of A_i + A_j over pairs 1 \\leq i < j "
     "\\leq N with A_i + A_j even, or print -1 if there is no such pair." + ATCODER_IO.format(
         fmt="N\nA_1 A_2 \\ldots A_N", out="Print the answer.",
         constraints="- 2 \\leq N \\leq 2 \\times 10^5\n- 1 \\leq A_i \\leq 10^9",
         samples="Sample Input 1\n\n4\n1 3 4 6\n\nSample Output 1\n\n10"), None, None),
    ("You are given a string S of length N consisting of lowercase English letters. Find the length of the "
     "longest substring of S in which every character appears an even number of times." + ATCODER_IO.format(
         fmt="N\nS", out="Print the answer.",
         constraints="- 1 \\leq N \\leq 2 \\times 10^5\n- S consists of lowercase English letters.",
         samples="Sample Input 1\n\n6\nabbaca\n\nSample Output 1\n\n4"), None, None),
    ("There are N boxes in a row. Box i holds A_i coins and a cost C_i. Choose K boxes with the largest total "
     "number of coins whose total cost is at most M, and print that total." + ATCODER_IO.format(
         fmt="N K M\nA_1 C_1\n\\vdots\nA_N C_N", out="Print the answer.",
         constraints="- 1 \\leq K \\leq N \\leq 100\n- 1 \\leq M \\leq 10^5\n- 1 \\leq A_i, C_i \\leq 10^9",
         samples="Sample Input 1\n\n3 2 5\n4 2\n3 3\n5 4\n\nSample Output 1\n\n7"), None, None),
    # unrelated LeetCode problems with the same template
    ("You are given a 0-indexed integer array nums and an integer k. Return the number of subarrays of nums "
     "whose sum is divisible by k.\n\nExample 1:\n\nInput: nums = [4,5,0,-2,-3,1], k = 5\nOutput: 7\n\n"
     "Constraints:\n\n1 <= nums.length <= 3 * 10^4\n-10^4 <= nums[i] <= 10^4\n2 <= k <= 10^4", None, None),
    ("You are given a 0-indexed integer array nums and an integer k. Return the maximum sum of a subarray of "
     "nums of length exactly k whose elements are distinct, or 0 if none exists.\n\nExample 1:\n\nInput: "
     "nums = [1,5,4,2,9,9,9], k = 3\nOutput: 15\n\nConstraints:\n\n1 <= k <= nums.length <= 10^5\n"
     "1 <= nums[i] <= 10^5", None, None),
    # another problem on the same example input: its output differs, so the samples do not match
    ("You are given a 0-indexed integer array nums and an integer k. Return the sum of the k largest elements "
     "of nums.\n\nExample 1:\n\nInput: nums = [3,1,4,2], k = 2\nOutput: 7\n\nConstraints:\n\n"
     "1 <= k <= nums.length <= 10^5", None, None),
    ("You are given a string word and an integer k. Return the number of substrings of word in which every "
     "character occurs exactly k times.\n\nExample 1:\n\nInput: word = \"igigee\", k = 2\nOutput: 3\n\n"
     "Constraints:\n\n1 <= word.length <= 10^5\n1 <= k <= word.length", None, None),
    # a TACO-style stdin problem on another subject
    ("Chef has N dishes with tastiness values. For each of T test cases, print the sum of the two largest "
     "values.\n\nInput\nThe first line contains T. Each test case has N followed by N integers.\n\nOutput\n"
     "For each test case, print one line.\n\nConstraints\n1 ≤ T ≤ 100\n2 ≤ N ≤ 10^5", None, None),
]


def train_rows(ability: str = "code") -> list[dict]:
    """The training pool as schema rows with the statement in `extra_info.problem`, as ingest writes it."""
    return [{"data_source": "pool", "prompt": [{"role": "user", "content": text}], "ability": ability,
             "reward_model": {"style": "rule", "ground_truth": json.dumps({"inputs": ["1\n"], "outputs": ["1\n"]})},
             "extra_info": {"index": i, "problem": text}} for i, (text, _, _) in enumerate(TRAIN)]
