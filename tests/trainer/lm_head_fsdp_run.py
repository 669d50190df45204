"""Chunked log-probs under torchrun + FSDP2 (gloo on CPU): the LM head sees its full weight, gradients are right.

Run by tests/trainer/test_lm_head_fsdp.py under `torchrun --nproc_per_node 2`. Each rank backpropagates the
summed log-probs and entropies of its half of the rows through the FSDP-wrapped tiny model (chunks of 3
positions), with and without activation checkpointing (the whole-row and the shared-prompt forwards). Rank 0
writes the summed full gradients, the same gradient of one unwrapped process from the full logits, and the
type and shape of every weight the chunked head was given.

    python -m torch.distributed.run --nproc_per_node 2 lm_head_fsdp_run.py --out DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from torch.distributed.tensor import DTensor

import or1.trainer.forward as forward
from or1.distributed import init_distributed, is_main, shutdown, wrap_model
from or1.rollout.prompts import encode_prompt
from or1.tiny.model import build_tiny_model
from or1.tiny.tokenizer import build_tokenizer

ROWS, WIDTH, CHUNK, TAU = 8, 9, 3, 0.8


def batch(tok) -> tuple[list[list[int]], torch.Tensor, torch.Tensor]:
    prompts = [encode_prompt(tok, [{"role": "user", "content": f"{i}+{7 * i}-2"}]) for i in range(ROWS // 2)]
    rows = [p for p in prompts for _ in range(2)]  # groups of 2
    gen = torch.Generator().manual_seed(0)
    resp = torch.randint(0, len(tok), (ROWS, WIDTH), generator=gen)
    mask = torch.arange(WIDTH)[None] < torch.randint(1, WIDTH + 1, (ROWS,), generator=gen)[:, None]
    return rows, resp, mask


def grads(model, tok, rows, resp, mask, chunk: int | None) -> dict[str, torch.Tensor]:
    """Full (summed over ranks) gradients of Σ (logp - 0.3·entropy) over the masked tokens of `rows`."""
    logp, ent = forward.response_logp(model, rows, resp, mask, TAU, tok.pad_token_id, with_entropy=True,
                                      chunk_tokens=chunk)
    ((logp - 0.3 * ent) * mask).sum().backward()
    out = {}
    for name, p in model.named_parameters():
        g = p.grad.full_tensor() if isinstance(p.grad, DTensor) else p.grad
        out[name] = g.detach().clone()
    model.zero_grad(set_to_none=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    w = init_distributed("gloo")
    torch.set_num_threads(1)
    tok = build_tokenizer()
    rows, resp, mask = batch(tok)
    seen: list[list] = []
    inner = forward.chunked_token_logp

    def watched(hidden, weight, *a, **k):  # records what the head computes from, then computes
        seen.append([type(weight).__name__, list(weight.shape)])
        return inner(hidden, weight, *a, **k)

    forward.chunked_token_logp = watched
    mine = slice(w.rank * ROWS // 2, (w.rank + 1) * ROWS // 2)
    result: dict = {"seen": seen}
    for ac in (False, True):
        model = wrap_model(build_tiny_model(tok, hidden_size=64, num_layers=2, intermediate_size=256, seed=0),
                           activation_checkpointing=ac)
        result[f"fsdp_ac={ac}"] = grads(model, tok, rows[mine], resp[mine], mask[mine], CHUNK)
    if is_main():
        ref = build_tiny_model(tok, hidden_size=64, num_layers=2, intermediate_size=256, seed=0)
        result["one_process_full_logits"] = grads(ref, tok, rows, resp, mask, None)
        args.out.mkdir(parents=True, exist_ok=True)
        torch.save({k: v for k, v in result.items() if k != "seen"}, args.out / "grads.pt")
        (args.out / "seen.json").write_text(json.dumps({"world_size": w.world_size, "seen": seen}))
    shutdown()


if __name__ == "__main__":
    main()
