"""A synthetic multi-step arithmetic task in the original release's parquet schema (DESIGN.md §3, §6).

Each problem is `a+b-c` with two-digit numbers. The reference trace does the two steps, closes the
reasoning with `</think>` and gives `\\boxed{answer}`, the shape a distilled reasoning model answers in.
A ~1M-parameter model learns it in a few minutes of SFT but makes carry/borrow mistakes for a long time,
which leaves room for RL to improve it.

`slip_rate` makes the references those of an imperfect teacher: that fraction of traces slips by ±1 or ±10
in the first step and carries the slip to a wrong boxed answer, as a distilled model inherits its teacher's
mistakes. The ground truth is always right, so RL with the verifier's reward can remove what SFT copied.
"""

from __future__ import annotations

import random
from pathlib import Path

__all__ = ["DATA_SOURCE", "make_problem", "make_rows", "reference_response", "write_task_files"]

DATA_SOURCE = "or1-tiny-arith"


def make_problem(rng: random.Random, low: int = 10, high: int = 99) -> tuple[int, int, int]:
    """Three numbers in [low, high] with a + b - c >= 0 (two-digit by default; 1..9 is an easy variant)."""
    a, b = rng.randint(low, high), rng.randint(low, high)
    c = rng.randint(low, min(high, a + b))
    return a, b, c


def reference_response(a: int, b: int, c: int, slip: int = 0) -> str:
    """The reference completion after the generation prompt (which already opened `<think>`).

    `slip` is added to the first step's result (a teacher's arithmetic slip) and carried through.
    """
    s = a + b + slip
    return f"{a}+{b}={s}\n{s}-{c}={s - c}\n</think>\n\\boxed{{{s - c}}}"


def _row(a: int, b: int, c: int, index: int, split: str, slip: int) -> dict:
    return {
        "data_source": DATA_SOURCE,
        "prompt": [{"role": "user", "content": f"{a}+{b}-{c}"}],
        "ability": "math",
        "reward_model": {"style": "rule", "ground_truth": str(a + b - c)},
        "extra_info": {"index": index, "split": split, "reference": reference_response(a, b, c, slip),
                       "reference_correct": slip == 0},
    }


def _slip(rng: random.Random, a: int, b: int, c: int, slip_rate: float) -> int:
    if slip_rate <= 0 or rng.random() >= slip_rate:
        return 0
    options = [d for d in (-10, -1, 1, 10) if a + b + d - c >= 0]
    return rng.choice(options)


def make_rows(n: int, seed: int, split: str, exclude: set[str] | None = None, low: int = 10,
              high: int = 99, slip_rate: float = 0.0) -> list[dict]:
    """`n` distinct problems as schema rows; questions in `exclude` are skipped (keeps splits disjoint).

    A fraction `slip_rate` of the reference traces (extra_info.reference) holds a teacher's slip; the
    ground truth is always correct.

    Raises:
        ValueError: fewer than `n` distinct problems exist in [low, high] outside `exclude`.
    """
    space = sum(min(high, a + b) - low + 1 for a in range(low, high + 1) for b in range(low, high + 1))
    if n > space - len(exclude or ()):
        raise ValueError(f"only {space} distinct problems with numbers in [{low}, {high}], asked for {n}")
    rng = random.Random(f"{seed}-{split}")
    seen = set(exclude or ())
    rows: list[dict] = []
    while len(rows) < n:
        a, b, c = make_problem(rng, low, high)
        question = f"{a}+{b}-{c}"
        if question in seen:
            continue
        seen.add(question)
        rows.append(_row(a, b, c, len(rows), split, _slip(rng, a, b, c, slip_rate)))
    return rows


def write_task_files(out_dir: str | Path, n_train: int, n_test: int, seed: int = 0, low: int = 10,
                     high: int = 99) -> dict[str, Path]:
    """Write disjoint `train.parquet` and `test.parquet` splits; returns their paths by split name."""
    from or1.problems.schema import write_rows

    out = Path(out_dir)
    train = make_rows(n_train, seed, "train", low=low, high=high)
    test = make_rows(n_test, seed, "test", exclude={r["prompt"][0]["content"] for r in train}, low=low, high=high)
    paths = {"train": out / "train.parquet", "test": out / "test.parquet"}
    write_rows(train, paths["train"])
    write_rows(test, paths["test"])
    return paths
