"""DataParallelEngine on 2 gloo ranks: each data-parallel group samples its slice, every rank gets all.

The engine under it samples each response with its own seed, derived from the response's index in the
whole batch (the convention of VLLMEngine, which cannot run on CPU): real sampling with the tiny model
through HFEngine, one response at a time.

    torchrun --nproc_per_node 2 dp_rollout_run.py OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from or1.distributed import init_distributed, shutdown
from or1.distributed.dp_rollout import DataParallelEngine
from or1.rollout.hf_engine import HFEngine
from or1.rollout.prompts import encode_prompt, eos_token_ids
from or1.rollout.types import RolloutBatch, SamplingParams, cat_batches
from or1.rollout.vllm_params import request_seed
from or1.tiny.model import build_tiny_model
from or1.tiny.tokenizer import build_tokenizer

PARAMS = SamplingParams(n=3, temperature=1.0, max_tokens=10)


class PerResponseSeeds:
    """HFEngine sampled one response at a time, response j seeded as `request_seed(seed, first_index + j)`."""

    def __init__(self, engine: HFEngine, pad_id: int) -> None:
        self.engine, self.pad_id = engine, pad_id

    def generate(self, prompt_ids: list[list[int]], params: SamplingParams, seed: int,
                 first_index: int = 0) -> RolloutBatch:
        one = SamplingParams(n=1, temperature=params.temperature, top_p=params.top_p, max_tokens=params.max_tokens)
        parts = [self.engine.generate([p], one, request_seed(seed, first_index + i * params.n + j))
                 for i, p in enumerate(prompt_ids) for j in range(params.n)]
        batch = cat_batches(parts, self.pad_id)
        batch.prompt_ids, batch.group_size = [list(p) for p in prompt_ids], params.n
        return batch

    def sync_weights(self) -> None:
        pass


def setup() -> tuple[PerResponseSeeds, list[list[int]], int]:
    tok = build_tokenizer()
    model = build_tiny_model(tok, hidden_size=64, num_layers=2, intermediate_size=256, seed=0)
    prompts = [encode_prompt(tok, [{"role": "user", "content": f"{a}+{a}-1"}]) for a in range(1, 6)]  # 5 prompts
    pad = tok.pad_token_id
    return PerResponseSeeds(HFEngine(model, eos_token_ids(tok), pad), pad), prompts, pad


def main() -> None:
    torch.set_num_threads(1)
    w = init_distributed("gloo")
    engine, prompts, pad = setup()
    out = {}
    for tp in (1, 2):  # 2 data-parallel groups of 1 rank (shares of 2 and 3 prompts), then 1 group of 2 ranks
        b = DataParallelEngine(engine, w, tp, pad).generate(prompts, PARAMS, seed=7)
        out[tp] = {"ids": b.response_ids, "mask": b.resp_mask, "logp": b.old_logp, "trunc": b.truncated,
                   "prompts": b.prompt_ids}
    torch.save(out, Path(sys.argv[1]) / f"rank{w.rank}.pt")
    shutdown()


if __name__ == "__main__":
    main()
