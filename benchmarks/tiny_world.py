"""The tiny world shared by the training benchmarks: task files and one cached SFT warm start.

The warm start is the demo's own (SFT on an imperfect teacher's traces until greedy dev accuracy reaches
40%), run once per cache directory and seed; every trainer the benchmarks compare starts from its weights.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch

from or1.demo.run import FULL, QUICK, demo_config, sft_warm_start, write_splits
from or1.trainer.setup import build_scorer

__all__ = ["held_out_avg", "warm_start"]


def warm_start(cache: Path, seed: int = 0, threads: int | None = None, quick: bool = False
               ) -> tuple[Path, dict[str, Path]]:
    """The SFT model directory and the task files (train/dev/test parquet), built on first use.

    `quick` uses the demo's smoke-test sizes (10 SFT steps: a barely trained model, for a fast check).

    Returns:
        (model directory, split name -> parquet path); a second call with the same `cache` reuses both.
    """
    cache = Path(cache)
    model_dir, meta = cache / "sft_model", cache / "warm_start.json"
    paths = {split: cache / "data" / f"{split}.parquet" for split in ("train", "dev", "test")}
    if meta.is_file() and (model_dir / "config.json").is_file():
        return model_dir, paths
    if threads:
        torch.set_num_threads(threads)
    cache.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    size = QUICK if quick else FULL
    paths = write_splits(cache / "data", size, seed)
    cfg = demo_config(cache, paths, None, size, seed)
    t0 = time.perf_counter()
    with build_scorer(cfg.reward) as scorer:
        model_dir, losses, checks = sft_warm_start(cache, paths, size, seed, scorer, cfg, progress=False)
    meta.write_text(json.dumps({"seed": seed, "sft_steps": len(losses), "seconds": time.perf_counter() - t0,
                                "checks": checks}, indent=2))
    return model_dir, paths


def held_out_avg(model: Any, tok: Any, test_file: str | Path, k: int, rows: int, max_tokens: int) -> dict[str, float]:
    """Avg@k at τ 0.6 and 1.0 on the first `rows` test rows with or1's evaluator and fixed seeds, so every
    contender of a benchmark is scored by the same code: {"avg@K_t0.6": ..., "avg@K_t1": ...}."""
    from or1.eval.avg_at_k import evaluate
    from or1.problems.schema import load_problems
    from or1.rewards.registry import default_registry
    from or1.rollout.hf_engine import HFEngine
    from or1.rollout.prompts import eos_token_ids

    test = load_problems(test_file)[:rows]
    with default_registry(workers=1) as scorer:
        res = evaluate(HFEngine(model, eos_token_ids(tok), tok.pad_token_id), tok, test, scorer, k=k,
                       temperatures=[0.6, 1.0], max_tokens=max_tokens, seed=4242)
    return {f"avg@{k}_t{r.temperature:g}": r.avg for r in res}


if __name__ == "__main__":
    import argparse
    import logging

    ap = argparse.ArgumentParser(description="Build (or reuse) the benchmarks' cached warm start.")
    ap.add_argument("cache", nargs="?", default="runs/bench/warm_start")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(warm_start(Path(args.cache), threads=args.threads))
