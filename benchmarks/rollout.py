"""or1's HF rollout engine against `transformers` `generate`, and the training step against the CPU's limit.

Usage: python benchmarks/rollout.py [--batches 1 16 64] [--max-tokens 48] [--reps 15] [--threads 1] [--quick]

Rollout: the same model, prompts, sampling (temperature 1, top_p 1, no top-k) and response cap for each.
`generate` runs plain and with `output_logits` (plus the log-softmax gather that turns them into the sampled
tokens' log-probs, which the engine returns and a trainer needs). Each batch size is measured with distinct
prompts (n = 1), and for batch ≥ 16 also as GRPO groups (batch/8 prompts × 8 samples), where the engine
prefills each prompt once. Tokens/s counts response tokens up to and including EOS, the same way for all.

CPU limit: FLOP/s achieved by or1's policy-update forward + backward on a rollout batch (FLOPs counted by
`torch.utils.flop_counter`, padded positions included), as a fraction of torch.mm's FLOP/s on 2048×2048
fp32 matrices measured in the same run. All timings alternate between contenders; medians are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

from or1.rollout.hf_engine import HFEngine, left_pad
from or1.rollout.prompts import encode_prompt, eos_token_ids
from or1.rollout.types import RolloutBatch, SamplingParams
from or1.trainer.forward import response_logp

HERE = Path(__file__).resolve().parent


def _generate_fn(model, tok, rows: list[list[int]], max_tokens: int, with_logp: bool) -> Callable[[int], int]:
    """`model.generate` on left-padded rows; returns the response tokens produced (to EOS inclusive)."""
    eos = eos_token_ids(tok)
    ids, mask = left_pad(rows, tok.pad_token_id)
    cfg = GenerationConfig(max_new_tokens=max_tokens, do_sample=True, temperature=1.0, top_p=1.0, top_k=0,
                           pad_token_id=tok.pad_token_id, eos_token_id=eos, bos_token_id=None,
                           output_logits=with_logp, return_dict_in_generate=with_logp)

    def run(seed: int) -> int:
        torch.manual_seed(seed)
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=mask.long(), generation_config=cfg)
        seqs = out.sequences if with_logp else out
        resp = seqs[:, ids.shape[1]:]  # (B, T')
        if with_logp:  # log-prob of each sampled token, as the engine returns
            logits = torch.stack(out.logits, 1).float()  # (B, T', V)
            torch.log_softmax(logits, -1).gather(-1, resp[..., None])
        is_eos = torch.isin(resp, torch.tensor(eos))
        first = torch.where(is_eos.any(1), is_eos.int().argmax(1) + 1, resp.shape[1])  # (B,) tokens to EOS
        return int(first.sum())

    return run


def _engine_fn(engine: HFEngine, prompts: list[list[int]], n: int, max_tokens: int) -> Callable[[int], int]:
    def run(seed: int) -> int:
        return int(engine.generate(prompts, SamplingParams(n=n, max_tokens=max_tokens), seed).lengths.sum())

    return run


def _alternate(fns: dict[str, Callable[[int], float]], reps: int) -> dict[str, list[tuple[float, float]]]:
    """(seconds, result) of each contender per rep; the order rotates every rep so load falls on all alike."""
    names = list(fns)
    for name in names:  # warm-up
        fns[name](0)
    out: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    for r in range(reps):
        for name in names[r % len(names):] + names[: r % len(names)]:
            t0 = time.perf_counter()
            res = fns[name](r + 1)
            out[name].append((time.perf_counter() - t0, res))
    return out


def rollout_table(model, tok, batches: list[int], max_tokens: int, reps: int) -> dict[str, bool]:
    """Tokens/s of the engine and of `generate` at each batch size; returns engine >= generate per case."""
    questions = [f"{10 + (7 * i) % 89}+{11 + (13 * i) % 88}-{10 + (5 * i) % 40}" for i in range(max(batches))]
    prompts = [encode_prompt(tok, [{"role": "user", "content": q}]) for q in questions]
    engine = HFEngine(model, eos_token_ids(tok), tok.pad_token_id)
    checks = {}
    print(f"rollout: tokens/s (median of {reps}; response cap {max_tokens}; ratio = or1 engine / generate)")
    print(f"{'batch':>14s}{'or1 engine':>12s}{'generate':>11s}{'+logits':>10s}{'ratio':>8s}{'ratio+logits':>14s}"
          f"{'mean len':>10s}")
    cases = [(b, 1) for b in batches] + [(b, 8) for b in batches if b >= 16]
    for b, n in cases:
        ps = prompts[: b // n]
        rows = [p for p in ps for _ in range(n)]
        res = _alternate({"or1": _engine_fn(engine, ps, n, max_tokens),
                          "gen": _generate_fn(model, tok, rows, max_tokens, False),
                          "gen_logits": _generate_fn(model, tok, rows, max_tokens, True)}, reps)
        tps = {k: statistics.median(tok_n / s for s, tok_n in v) for k, v in res.items()}
        mean_len = statistics.mean(t for _, t in res["or1"]) / b
        label = f"{b}" if n == 1 else f"{b} ({b // n}×{n})"
        print(f"{label:>14s}{tps['or1']:>12.0f}{tps['gen']:>11.0f}{tps['gen_logits']:>10.0f}"
              f"{tps['or1'] / tps['gen']:>8.2f}{tps['or1'] / tps['gen_logits']:>14.2f}{mean_len:>10.1f}")
        checks[label] = tps["or1"] >= tps["gen"]
    return checks


def flop_table(model, tok, batch: int, max_tokens: int, reps: int, mm_size: int = 2048) -> None:
    """Achieved FLOP/s of the policy update's forward + backward as a fraction of torch.mm's."""
    questions = [f"{10 + (7 * i) % 89}+{11 + (13 * i) % 88}-{10 + (5 * i) % 40}" for i in range(batch // 8)]
    prompts = [encode_prompt(tok, [{"role": "user", "content": q}]) for q in questions]
    rb: RolloutBatch = HFEngine(model, eos_token_ids(tok), tok.pad_token_id).generate(
        prompts, SamplingParams(n=8, max_tokens=max_tokens), seed=0)
    rows = [p for p in prompts for _ in range(8)]

    def train_step(_: int) -> float:
        model.train()
        model.zero_grad(set_to_none=True)
        logp, ent = response_logp(model, rows, rb.response_ids, rb.resp_mask, 1.0, tok.pad_token_id,
                                  with_entropy=True)
        m = rb.resp_mask
        ((-(logp * m).sum() - 1e-3 * (ent * m).sum()) / m.sum()).backward()  # type: ignore[operator]
        return 0.0

    a, b = torch.randn(mm_size, mm_size), torch.randn(mm_size, mm_size)
    with FlopCounterMode(display=False) as counter:
        train_step(0)
    step_flops = counter.get_total_flops()
    res = _alternate({"train": train_step, "mm": lambda _: float(torch.mm(a, b).sum() * 0)}, reps)
    t_train = statistics.median(s for s, _ in res["train"])
    t_mm = statistics.median(s for s, _ in res["mm"])
    train_fs, mm_fs = step_flops / t_train, 2 * mm_size**3 / t_mm
    print(f"\nCPU limit ({torch.get_num_threads()} thread(s)): policy update forward+backward on {batch} responses "
          f"({int(rb.resp_mask.sum())} response tokens, {step_flops / 1e9:.2f} GFLOP counted)")
    print(f"  training step {t_train * 1e3:.0f} ms = {train_fs / 1e9:.1f} GFLOP/s;  torch.mm {mm_size}² "
          f"{mm_fs / 1e9:.1f} GFLOP/s;  fraction {train_fs / mm_fs:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64])
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--model", default="runs/bench/warm_start/full/sft_model",
                    help="model directory; the benchmarks' cached warm start by default (built if missing)")
    ap.add_argument("--quick", action="store_true", help="smoke run: batches 1 and 16, 3 reps, 24 tokens")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.quick:
        args.batches, args.reps, args.max_tokens = [1, 16], 3, 24
    model_dir = Path(args.model)
    if not (model_dir / "config.json").is_file():
        sys.path.insert(0, str(HERE))
        from tiny_world import warm_start

        model_dir = warm_start(model_dir.parent, threads=args.threads, quick=args.quick)[0]
    tok = AutoTokenizer.from_pretrained(model_dir, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    checks = rollout_table(model, tok, args.batches, args.max_tokens, args.reps)
    flop_table(model, tok, max(args.batches) if max(args.batches) >= 8 else 8, args.max_tokens, args.reps)
    ok = all(checks.values())
    print(f"\ncheck: or1 engine tokens/s >= generate's at every batch size: {'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
