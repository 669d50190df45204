"""A few GRPO policy updates of the tiny model, in one process or under torchrun + FSDP2 (gloo on CPU).

Run by tests/distributed/test_fsdp_gloo.py, once as a plain process (the reference) and twice under
`torchrun --nproc_per_node 2` (a run that saves a sharded checkpoint, then a resumed run). Batches are
real rollouts of the initial policy (seed = step), so every launch trains on the same data whatever its
world size; rewards are a fixed 0/1 draw per step. Rank 0 writes per-step stats and full weights.

    python policy_run.py --out DIR --steps 4 [--save-at 2] [--resume CKPT --first-step 2] [--export DIR]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import torch

from or1.config import AlgoConfig
from or1.distributed import (
    all_reduce_sum,
    full_state_dict,
    init_distributed,
    is_main,
    load_sharded,
    rank_share,
    save_hf,
    save_sharded,
    shutdown,
    wrap_model,
)
from or1.rollout.hf_engine import HFEngine
from or1.rollout.prompts import encode_prompt, eos_token_ids
from or1.rollout.types import RolloutBatch, SamplingParams
from or1.tiny.model import build_tiny_model
from or1.tiny.tokenizer import build_tokenizer
from or1.trainer.update import algo_numbers, policy_update

PROMPTS, GROUP, MINI, MICRO = 8, 4, 4, 3  # 8 groups of 4 per step, 2 optimiser steps of 4 groups each
ALGO = AlgoConfig(lr=2e-3, weight_decay=0.01, micro_batch_size=MICRO, clip_high=0.28)
ENTROPY_COEF = 1e-3


def rollout_batches(model: torch.nn.Module, tok, steps: int) -> list[RolloutBatch]:
    """One batch per step, sampled from the initial policy with seed = step, with fixed 0/1 rewards."""
    engine = HFEngine(model, eos_token_ids(tok), tok.pad_token_id)  # type: ignore[arg-type]
    batches = []
    for step in range(steps):
        gen = torch.Generator().manual_seed(1000 + step)
        abc = torch.randint(1, 10, (PROMPTS, 3), generator=gen).tolist()
        prompts = [encode_prompt(tok, [{"role": "user", "content": f"{a}+{b}-{c}"}]) for a, b, c in abc]
        rb = engine.generate(prompts, SamplingParams(n=GROUP, max_tokens=12), seed=step)
        rewards = torch.randint(0, 2, (PROMPTS * GROUP,), generator=gen).float()  # (N,)
        batches.append(replace(rb, rewards=rewards))
    return batches


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--steps", type=int, required=True, help="train until this step")
    ap.add_argument("--first-step", type=int, default=0, help="first step (with --resume)")
    ap.add_argument("--resume", type=Path, help="sharded checkpoint to start from")
    ap.add_argument("--save-at", type=int, help="write a sharded checkpoint after this step")
    ap.add_argument("--export", type=Path, help="write the final weights as a Hugging Face directory")
    ap.add_argument("--activation-checkpointing", action="store_true")
    ap.add_argument("--local-token-mean", action="store_true",
                    help="negative control: each rank normalises by its own token count")
    args = ap.parse_args()
    w = init_distributed("gloo")
    torch.set_num_threads(1)
    tok = build_tokenizer()
    model = build_tiny_model(tok, hidden_size=64, num_layers=2, intermediate_size=256, seed=0)
    batches = rollout_batches(model, tok, args.steps)
    model = wrap_model(model, mixed_precision=False, activation_checkpointing=args.activation_checkpointing)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=ALGO.lr, weight_decay=ALGO.weight_decay)
    if args.resume is not None:
        load_sharded(args.resume, model, opt)
    if args.local_token_mean:  # each rank sees only its own rows' tokens, so it divides by its own count
        for b in batches:
            for first in range(0, PROMPTS, MINI):
                own = rank_share(first, first + MINI, w.rank, w.world_size)
                for grp in set(range(first, first + MINI)) - set(own):
                    b.resp_mask[grp * GROUP : (grp + 1) * GROUP] = False
    log = []
    args.out.mkdir(parents=True, exist_ok=True)
    for step in range(args.first_step, args.steps):
        stats = policy_update(model, opt, batches[step], mini_batch_groups=MINI, **algo_numbers(ALGO), temperature=1.0,
                              entropy_coef=ENTROPY_COEF, pad_id=tok.pad_token_id, global_sum=all_reduce_sum,
                              rank=w.rank, world_size=w.world_size)
        log.append({"step": step + 1} | stats)
        weights = full_state_dict(model)  # all ranks gather; rank 0 keeps them
        if is_main():
            torch.save(weights, args.out / f"weights_{step + 1}.pt")
        if args.save_at == step + 1:
            save_sharded(args.out / f"ckpt_{step + 1}", model, opt)
    if args.export is not None:
        save_hf(model, tok, args.export)
    if is_main():
        (args.out / "log.json").write_text(json.dumps({"world_size": w.world_size, "steps": log}, indent=1))
    shutdown()


if __name__ == "__main__":
    main()
