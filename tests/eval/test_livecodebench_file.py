"""`or1 eval` on a LiveCodeBench release file ingested by `or1 data ingest`: Avg@4 through the code verifier.

The engine returns written responses (right, wrong and code-less programs), so the numbers are known:
problem abc999_a (stdin) is solved by 3 of its 4 samples, problem 3999 (functional) by 1 of 4, hence
Avg@4 = (3/4 + 1/4) / 2 = 0.5, pass@1 (sample 0 only) = (1 + 0) / 2 = 0.5 and pass@4 = 1.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch

from or1.config import EvalConfig, IngestOptions
from or1.data.ingest import ingest
from or1.eval.records import read_records
from or1.eval.run import EvalSpec, run_eval
from or1.rewards.registry import default_registry
from or1.rollout.types import RolloutBatch, SamplingParams

RELEASE = Path(__file__).parents[1] / "data" / "code_formats" / "livecodebench.parquet"


def _response(program: str) -> str:
    return f"Let me think.\n</think>\n```python\n{program}```\n"


ADD = "a, b = map(int, input().split())\nprint(a + b)\n"
SUB = "a, b = map(int, input().split())\nprint(a - b)\n"  # passes no test
TOP = "class Solution:\n    def topKSum(self, nums, k):\n        return sum(sorted(nums)[-k:])\n"
FIRST = "class Solution:\n    def topKSum(self, nums, k):\n        return sum(nums[:k])\n"  # right on 1 of 3 tests
RESPONSES = {  # a marker of the prompt -> its K = 4 responses
    "Print A+B": [_response(ADD), _response(ADD), _response(SUB), _response(ADD)],
    "topKSum": [_response(FIRST), _response(TOP), "I cannot solve this.", _response(FIRST)],
}


class FixedEngine:
    """A rollout engine that answers each prompt with the written responses of its problem."""

    def __init__(self, tokenizer) -> None:
        self.tok = tokenizer

    def generate(self, prompt_ids: list[list[int]], params: SamplingParams, seed: int) -> RolloutBatch:
        texts = []
        for ids in prompt_ids:
            prompt = self.tok.decode(ids)
            (marker,) = [m for m in RESPONSES if m in prompt]
            assert params.n == len(RESPONSES[marker])
            texts += RESPONSES[marker]
        encoded = [self.tok.encode(t, add_special_tokens=False) for t in texts]
        width = max(map(len, encoded))
        ids = torch.full((len(texts), width), self.tok.pad_token_id)
        mask = torch.zeros((len(texts), width), dtype=torch.bool)
        for i, e in enumerate(encoded):
            ids[i, : len(e)], mask[i, : len(e)] = torch.tensor(e), True
        return RolloutBatch(prompt_ids, ids, mask, torch.zeros(ids.shape), torch.zeros(len(texts), dtype=torch.bool),
                            params.n)

    def sync_weights(self) -> None:
        pass


@pytest.fixture(scope="module")
def registry():
    try:
        with default_registry(workers=2, code_time_limit_s=4.0) as r:
            yield r
    except PermissionError as e:
        pytest.skip(f"sandbox unavailable: {e}")


def test_avg_at_4_of_an_ingested_livecodebench_file(tmp_path, tokenizer, registry):
    data = tmp_path / "livecodebench_v5.parquet"
    ingest([RELEASE], data, IngestOptions())
    out = tmp_path / "eval"
    spec = EvalSpec(model_path="fixed", model_dir="fixed", data=(str(data),), out=str(out), settings=EvalConfig(k=4))
    (result,) = run_eval(spec, lambda: (FixedEngine(tokenizer), tokenizer), registry, progress=False)
    assert (result.problems, result.avg, result.first_pass) == (2, 0.5, 0.5)
    assert result.per_problem == {"livecodebench/0": 3, "livecodebench/1": 1}
    assert result.pass_at_k[4] == 1.0
    records = read_records(out / "samples" / "livecodebench_v5.jsonl")
    assert [r.correct for r in records] == [True, True, False, True, False, True, False, False]
    assert records[2].status != "ok" and records[6].status != "ok"
    with open(out / "pass.csv", newline="") as f:
        (row,) = csv.DictReader(f)
    assert (row["dataset"], float(row["avg@4"])) == ("livecodebench_v5.parquet", 0.5)
