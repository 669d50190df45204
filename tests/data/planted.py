"""Data for the data-pipeline tests: the eval sets, AIME paraphrases, synthetic and released-layout files.

Nothing is downloaded: rows are generated, and the AIME files are the release's, packaged with or1
(`or1.problems.builtin`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

from or1.problems.builtin import resolve_data_file

AIME24, AIME25 = resolve_data_file("aime24"), resolve_data_file("aime25")

# Rewordings of AIME24 problems 0, 2 and 3 (same problem, same answer). 0 and 2 share no 13 words in a row
# with the original, so only the MinHash test can catch them; 3 keeps a few 13-grams.
PARAPHRASES = {
    0: "Each morning, Aya takes a walk of $9$ kilometers and afterwards stops at a coffee shop. Walking at a "
       "constant speed of $s$ km per hour, her walk takes 4 hours, counting $t$ minutes spent in the coffee shop. "
       "If she walks $s+2$ kilometers per hour, the walk lasts 2 hours and 24 minutes, again counting $t$ minutes "
       "in the coffee shop. Suppose she walks at $s+\\frac{1}{2}$ kilometers per hour. How many minutes does the "
       "walk take her, including the $t$ minutes at the coffee shop?",
    2: "Alice and Bob play a game. A stack of $n$ tokens lies in front of them. The players alternate turns, with "
       "Alice going first. On each turn, a player removes either $1$ token or $4$ tokens from the stack. The "
       "player who removes the last token wins. Find how many positive integers $n$ at most $2024$ give Bob a "
       "strategy that guarantees his win regardless of how Alice plays.",
    3: "Jen picks $4$ distinct numbers from $S=\\{1,2,3,\\cdots,9,10\\}$ to enter a lottery, and then $4$ numbers "
       "are chosen at random from $S$. She wins a prize if at least two of her numbers are among the randomly "
       "chosen numbers, and she wins the grand prize if all four of her numbers are chosen. Given that she won a "
       "prize, the probability that she won the grand prize is $\\tfrac{m}{n}$, where $m$ and $n$ are relatively "
       "prime positive integers. Find $m+n$.",
}
PARAPHRASE_REASON = {0: "paraphrase", 2: "paraphrase", 3: "ngram_overlap"}


def aime24_prompts() -> list[str]:
    return [r["prompt"][0]["content"] for r in pq.read_table(AIME24).to_pylist()]


def released_rows() -> dict[str, list[dict]]:
    """Rows in the Skywork-OR1-RL-Data layout: math and code splits, `model_difficulty` a struct keyed by
    base model, null where a model was not sampled; ground truths are strings (JSON for code and lists)."""
    models = ("DeepSeek-R1-Distill-Qwen-1.5B", "DeepSeek-R1-Distill-Qwen-32B", "DeepSeek-R1-Distill-Qwen-7B")
    math_diffs = [(16, 3, 0), (10, 0, 5), (4, None, 16), (12, 2, None), (0, 0, 1), (16, 15, 15)]
    math = [{"data_source": "train-math-numina", "prompt": [{"role": "user", "content": f"Problem {i}: x+{i}=2x."}],
             "ability": "math", "reward_model": {"style": "rule", "ground_truth": json.dumps([str(i)])},
             "extra_info": {"index": i, "model_difficulty": dict(zip(models, d, strict=True))}}
            for i, d in enumerate(math_diffs)]
    tests = json.dumps({"inputs": ["1\n"], "outputs": ["1\n"], "fn_name": None})
    code_diffs = [(8, 4, 2), (None, None, None), (2, 1, 0), (7, 6, 8)]
    code = [{"data_source": "train-code-taco", "prompt": [{"role": "user", "content": f"Echo the number ({i})."}],
             "ability": "code", "reward_model": {"style": "rule", "ground_truth": tests},
             "extra_info": {"index": i, "model_difficulty": dict(zip(models, d, strict=True))}}
            for i, d in enumerate(code_diffs)]
    return {"math": math, "code": code}


def write_syn_parquet(tmp_path: Path, n: int = 60) -> Path:
    """`n` synthetic math problems as schema rows (no planted defects)."""
    from or1.data.synthetic import synthetic_rows
    from or1.problems.schema import write_rows

    rows = [{"data_source": "syn", "prompt": [{"role": "user", "content": r["problem"]}], "ability": "math",
             "reward_model": {"style": "rule", "ground_truth": r["answer"]},
             "extra_info": {"index": i, "split": "train"}} for i, r in enumerate(synthetic_rows(n, seed=3))]
    return write_rows(rows, tmp_path / "syn.parquet")


def write_released(tmp_path: Path) -> Path:
    """A `data/` folder as the release ships it: one parquet file per split."""
    from or1.problems.schema import write_rows

    out = tmp_path / "Skywork-OR1-RL-Data" / "data"
    for split, rows in released_rows().items():
        write_rows(rows, out / f"{split}-00000-of-00001.parquet")
    return out


def write_random_model(out: Path) -> Path:
    """The small tiny-model shape of the shared fixtures, untrained, as an HF directory (a second or so).

    It answers nothing right, so every problem it rates fails N of N: enough to test storage and resume.
    """
    from conftest import SMALL
    from or1.tiny.model import build_tiny_model
    from or1.tiny.tokenizer import build_tokenizer

    tok = build_tokenizer()
    build_tiny_model(tok, **SMALL).save_pretrained(out)
    tok.save_pretrained(out)
    return out


CODE_TESTS = {"inputs": ["2 3\n", "10 -4\n"], "outputs": ["5\n", "6\n"]}
ADD = "a, b = map(int, input().split())\nprint(a + b)"


def _edit_last_word(text: str, word: str) -> str:
    return text.rsplit(" ", 1)[0] + " " + word


def planted_raw(path: Path, model: str = "tiny") -> tuple[dict[str, tuple[str, str]], set[str]]:
    """Write a raw JSONL file of good rows with planted defects, one line per row.

    Returns:
        ({id: (step, reason)} for every planted row, ids of the rows that must survive). Good rows carry a
        precomputed difficulty in 1..3 (of 4 samples) for `model`; rows that cannot be parsed have ids
        `line-<n>`, their line number.
    """
    from or1.data.synthetic import synthetic_rows

    def d(k: int) -> dict:
        return {"model_difficulty": {model: k}}

    good = [dict(r, extra=d(1 + i % 3)) for i, r in enumerate(synthetic_rows(40, seed=11))]
    good += [{"id": "code-ok", "problem": "Read two integers and print their sum.", "ability": "code",
              "tests": CODE_TESTS, "solution": ADD, "extra": d(2)},
             {"id": "four-figure", "problem": "How many four-figure numbers are divisible by 7?", "answer": "1286",
              "extra": d(1)},
             # The figure is drawn in the text: answerable, kept (clean counts it in stats.flagged).
             {"id": "asy", "problem": "Find the area of the triangle shown. [asy] draw((0,0)--(2,0)--(2,2)--cycle); "
              "[/asy]", "answer": "2", "extra": d(1)}]
    planted = _planted({r["id"]: r["problem"] for r in good}, d, {r["id"]: r.get("answer") for r in good})
    rows = good[:20] + [p[0] for p in planted] + good[20:]  # copies come after their originals
    lines = [json.dumps(r).encode() for r in rows]
    lines.insert(5, b'{"id": "line-5", "problem": "caf\xe9 au lait", "answer": "1"}')
    lines.insert(9, b'{"id": "line-9", "problem": broken json')
    path.write_bytes(b"\n".join(lines) + b"\n")
    expected = {p[0]["id"]: (p[1], p[2]) for p in planted}
    expected |= {"line-5": ("ingest", "non_utf8"), "line-9": ("ingest", "unreadable")}
    return expected, {r["id"] for r in good}


def _planted(text: dict[str, str], d: Callable[[int], dict], answer: dict[str, str | None]
             ) -> list[tuple[dict, str, str]]:
    """(raw row, step, reason) of every planted defect; `text` and `answer` hold the good problems by id."""
    from or1.data.synthetic import synthetic_rows

    aime = [r["prompt"][0]["content"] for r in pq.read_table(AIME24).to_pylist()]
    easy = synthetic_rows(2, seed=12)
    return [
        ({"id": "no-answer", "problem": "What is 6 times 7?", "answer": ""}, "ingest", "missing_answer"),
        ({"id": "no-problem", "problem": "  ", "answer": "3"}, "ingest", "missing_problem"),
        ({"id": "too-long", "problem": "Sum the digits. " + "1" * 9000, "answer": "9000"}, "ingest", "too_long"),
        ({"id": "bad-tests", "problem": "Echo.", "ability": "code", "tests": {"inputs": ["1"], "outputs": []}},
         "ingest", "bad_tests"),
        ({"id": "empty-tests", "problem": "Echo!", "ability": "code", "tests": {"inputs": [], "outputs": []}},
         "ingest", "empty_tests"),
        ({"id": "figure", "problem": "As shown in the figure, ABCD is a square of side 3. Find its area.",
          "answer": "9", "extra": d(1)}, "clean", "needs_figure"),
        ({"id": "asy-stripped", "problem": "Find the area of the triangle shown in the diagram.", "answer": "2",
          "extra": d(1)}, "clean", "needs_figure"),
        ({"id": "url", "problem": "Solve the puzzle at https://example.com/puzzle/17 and give the count.",
          "answer": "17", "extra": d(1)}, "clean", "has_url"),
        ({"id": "bad-answer", "problem": "Simplify six over eight.", "answer": "\\frac{3}{", "extra": d(1)},
         "clean", "answer_unparsable"),
        ({"id": "bad-reference", "problem": "Read two integers and print their difference.", "ability": "code",
          "tests": CODE_TESTS, "solution": "print(5)", "extra": d(2)}, "clean", "reference_fails"),
        ({"id": "dup-upper", "problem": "  " + text["syn-3"].upper(), "answer": "1", "extra": d(1)},
         "dedup", "exact_duplicate"),
        ({"id": "dup-spacing", "problem": text["syn-7"].replace(" ", "  ").replace(",", " , "), "answer": "1",
          "extra": d(1)}, "dedup", "exact_duplicate"),
        ({"id": "near-word", "problem": text["syn-12"].replace(" the ", " this ", 1),
          "answer": answer["syn-12"], "extra": d(1)},
         "dedup", "near_duplicate"),
        ({"id": "near-suffix", "problem": text["syn-15"] + " Answer with an integer.", "answer": "1",
          "extra": d(1)}, "dedup", "exact_duplicate"),  # the instruction suffix is not part of the problem
        ({"id": "aime-copy-1", "problem": aime[1], "answer": "25", "extra": d(1)}, "decontaminate", "ngram_overlap"),
        ({"id": "aime-copy-6", "problem": "Practice: " + aime[6], "answer": "540", "extra": d(1)},
         "decontaminate", "ngram_overlap"),
        *[({"id": f"aime-para-{i}", "problem": PARAPHRASES[i], "answer": "1", "extra": d(1)}, "decontaminate",
           PARAPHRASE_REASON[i]) for i in PARAPHRASES],
        *[({"id": f"easy-{k}", "problem": r["problem"], "answer": r["answer"], "extra": d(0)}, "select", "too_easy")
          for k, r in enumerate(easy)],
        # An unreachable gold and no precomputed value: the difficulty step samples these and never solves them.
        *[({"id": f"hard-{k}", "problem": q, "answer": "987654321"}, "select", "too_hard")
          for k, q in enumerate(["7+5-3", "8+1-6"])],
    ]
