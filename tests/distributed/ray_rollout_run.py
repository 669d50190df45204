"""Sample rollouts of the tiny model through Ray rollout actors, sync new weights, lose an actor.

Run by tests/distributed/test_ray_rollout.py inside a loopback-only network namespace:

    python ray_rollout_run.py --out RESULT.pkl

Two engines share one local cluster: 2 actors and 1 actor. Each batch is also sampled in this process
with `HFEngine` (chunk by chunk, with the chunk seeds), so the test can compare. The trainer's weights
then change (the EOS embedding row is scaled up, so responses end early and get padded); batches before
and after `sync_weights()` are recorded. Last, one actor of the 2-actor engine is SIGKILLed and the same
batch is sampled again.
"""

from __future__ import annotations

import argparse
import os
import pickle
import signal
import time
from pathlib import Path

import torch

from or1.distributed.ray_cluster import shutdown, split_even, start_or_join
from or1.distributed.ray_rollout import RayRolloutEngine, chunk_seed
from or1.rollout.hf_engine import HFEngine
from or1.rollout.prompts import encode_prompt, eos_token_ids
from or1.rollout.types import RolloutBatch, SamplingParams, cat_batches
from or1.tiny.model import build_tiny_model
from or1.tiny.task import make_rows
from or1.tiny.tokenizer import build_tokenizer

PARAMS = SamplingParams(n=3, temperature=1.0, max_tokens=20)
SEED = 11


def local_reference(engine: HFEngine, prompts: list[list[int]], actors: int, seed: int) -> RolloutBatch:
    """What `actors` Ray actors should return: `HFEngine` on each contiguous chunk with its chunk seed."""
    parts = [engine.generate([prompts[j] for j in r], PARAMS, chunk_seed(seed, i))
             for i, r in enumerate(split_even(len(prompts), actors))]
    return cat_batches(parts, engine.pad_id)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)  # as in the actors (Ray gives each one thread), so matmuls reduce the same way
    tok = build_tokenizer()
    model = build_tiny_model(tok, hidden_size=64, num_layers=2, num_heads=4, num_kv_heads=2, intermediate_size=256)
    prompts = [encode_prompt(tok, r["prompt"]) for r in make_rows(5, seed=0, split="train")]
    eos, pad = eos_token_ids(tok), tok.pad_token_id
    local = HFEngine(model, eos, pad)
    r: dict = {"prompts": prompts, "group_size": PARAMS.n, "max_tokens": PARAMS.max_tokens, "pad_id": pad,
               "eos_ids": eos}

    t0 = time.monotonic()
    start_or_join(None, num_cpus=2)
    r["ray_start_s"] = time.monotonic() - t0
    t = time.monotonic()
    two = RayRolloutEngine(model, eos, pad, actors=2, max_retries=2)
    one = RayRolloutEngine(model, eos, pad, actors=1, max_retries=2)
    r["actors_start_s"] = time.monotonic() - t

    t = time.monotonic()
    r["two_a"] = two.generate(prompts, PARAMS, SEED)
    r["generate_s"] = time.monotonic() - t
    r["two_b"] = two.generate(prompts, PARAMS, SEED)
    r["two_other_seed"] = two.generate(prompts, PARAMS, SEED + 1)
    r["two_ref"] = local_reference(local, prompts, 2, SEED)
    r["one"] = one.generate(prompts, PARAMS, SEED)
    r["one_ref"] = local.generate(prompts, PARAMS, SEED)
    r["version_before"] = two.version

    with torch.no_grad():  # the trainer's update: EOS becomes likely, so responses end early
        emb = model.get_input_embeddings().weight
        emb[eos] *= 40.0
    r["two_stale"] = two.generate(prompts, PARAMS, SEED)  # not synced yet: still the old weights
    t = time.monotonic()
    two.sync_weights()
    one.sync_weights()
    r["sync_s"] = time.monotonic() - t
    r["version_after"] = (two.version, one.version)
    r["two_new"] = two.generate(prompts, PARAMS, SEED)
    r["two_new_ref"] = local_reference(local, prompts, 2, SEED)
    r["one_new"] = one.generate(prompts, PARAMS, SEED)
    r["one_new_ref"] = local.generate(prompts, PARAMS, SEED)

    pids = two.pids()
    os.kill(pids[1], signal.SIGKILL)
    t = time.monotonic()
    r["two_after_kill"] = two.generate(prompts, PARAMS, SEED)
    r["retry_generate_s"] = time.monotonic() - t
    r["retries"], r["killed_pid"], r["pids_after"] = two.retries, pids[1], two.pids()
    two.close()
    one.close()
    shutdown()
    args.out.write_bytes(pickle.dumps(r))


if __name__ == "__main__":
    main()
