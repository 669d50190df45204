"""Data for the data-pipeline tests: the eval sets, AIME paraphrases, synthetic and released-layout files.

Nothing is downloaded: rows are generated, and the AIME files are the ones in ../shared/data/eval/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

EVAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "eval"
AIME24, AIME25 = EVAL / "aime24.parquet", EVAL / "aime25.parquet"

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
PARAPHRASE_REASON = {0: "minhash_similar", 2: "minhash_similar", 3: "ngram_overlap"}


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
    from or1.data.schema import write_rows
    from or1.data.synthetic import synthetic_rows

    rows = [{"data_source": "syn", "prompt": [{"role": "user", "content": r["problem"]}], "ability": "math",
             "reward_model": {"style": "rule", "ground_truth": r["answer"]},
             "extra_info": {"index": i, "split": "train"}} for i, r in enumerate(synthetic_rows(n, seed=3))]
    return write_rows(rows, tmp_path / "syn.parquet")


def write_released(tmp_path: Path) -> Path:
    """A `data/` folder as the release ships it: one parquet file per split."""
    from or1.data.schema import write_rows

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
