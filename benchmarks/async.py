"""Synchronous against asynchronous rollouts (`rollout.mode: async`) on the tiny world, in one invocation.

Usage: python benchmarks/async.py [--seeds 0 1 2] [--steps 30] [--budget 90] [--quick]

Contenders, with the same total threads on a 2-core machine:
  sync   one process, 2 torch threads, sampling then training each step (the recipe as it runs by default);
  s=1    the trainer with 1 thread and the rollout worker with 1, the worker sampling one step ahead;
  s=2    the same, up to two steps ahead.
All start from the benchmarks' cached SFT warm start (tiny_world.py) and run the recipe of `vs_trl.py`'s
recipe arm (8 prompts × 8 responses, online filter with refills, adaptive entropy control), π_old
recomputed by the trainer in every contender (async needs it; sync does it too, so both do the same work).

Arm `time`: learning rate 1e-12 (no float32 weight of this size moves, so every contender does the same
work each step), `--steps` steps after one warm-up step: wall-clock seconds per step, rollout tokens/s.
Arm `learn`: the recipe's learning rate, `--budget` seconds of wall clock each (after the first step,
which pays the one-time costs: the worker's start), then held-out Avg@4 at τ 0.6 and 1.0 on 128 test rows,
with the same evaluator and seeds for all.

Contenders run one at a time, each in its own process (an async worker would otherwise take the others'
cores), in an order that rotates with the seed, so machine load falls on all of them alike.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CONTENDERS = {"sync": None, "s=1": 1, "s=2": 2}  # name -> rollout.max_staleness (None: sync mode)


@dataclass(frozen=True)
class Setup:
    model_dir: str
    train_file: str
    test_file: str
    seed: int
    contender: str
    steps: int = 30  # arm time
    budget_s: float = 0.0  # arm learn (0: arm time)
    prompts: int = 8
    group: int = 8
    max_tokens: int = 48
    lr: float = 2e-4
    eval_k: int = 4
    eval_rows: int = 128


def _config(s: Setup, out: str) -> Any:
    from or1.config import TrainConfig
    from or1.config_load import build

    staleness = CONTENDERS[s.contender]
    rollout: dict[str, Any] = {"mode": "sync"} if staleness is None else \
        {"mode": "async", "max_staleness": staleness, "worker_threads": 1}
    return build(TrainConfig, {
        "seed": s.seed, "out_dir": out, "threads": 2 if staleness is None else 1, "model": {"path": s.model_dir},
        "data": {"train_files": [s.train_file]}, "rollout": rollout,
        "stages": [{"steps": 10**6, "max_response_length": s.max_tokens, "batch_size": s.prompts,
                    "mini_batch_size": s.prompts, "group_size": s.group, "temperature": 1.0}],
        "algo": {"lr": s.lr if s.budget_s else 1e-12, "clip_low": 0.2, "clip_high": 0.26,
                 "micro_batch_size": s.prompts * s.group, "recompute_old_logp": True},
        "entropy": {"adaptive": True, "coef": 0.0, "target": 0.2, "delta": 1e-3, "coef_max": 0.005},
        "filter": {"online": True, "max_refills": 2, "offline": False},
        "validation": {"every": 0}, "reward": {"workers": 1}, "checkpoint_every": 10**6})


def _evaluate(model: Any, tok: Any, s: Setup) -> dict[str, float]:
    """Held-out Avg@K at τ 0.6 and 1.0 with or1's evaluator: the same code for every contender."""
    from tiny_world import held_out_avg

    return held_out_avg(model, tok, s.test_file, s.eval_k, s.eval_rows, s.max_tokens)


def _contender(conn: Any, s: Setup) -> None:
    """One contender in its own process: train, time, evaluate; the result goes back over `conn`."""
    import torch

    from or1.trainer.loop import setup, train_step

    run = setup(_config(s, tempfile.mkdtemp(prefix="or1_async_bench_")))
    rows: list[dict[str, float]] = []
    try:
        def step() -> dict[str, float]:
            m = train_step(run, run.schedule.at(run.state.step))
            run.state.step += 1
            return m

        step()  # one-time costs (the worker's start, the first batch with nothing to overlap): not timed
        t0 = time.perf_counter()
        while (time.perf_counter() - t0 < s.budget_s) if s.budget_s else (len(rows) < s.steps):
            rows.append(step())
        wall = time.perf_counter() - t0
        n = s.prompts * s.group
        out: dict[str, Any] = {
            "steps": len(rows), "wall_s": wall, "step_s": wall / len(rows),
            "rollout_tokens_per_s": sum(r["rollout/len_mean"] * n * r["filter/tries"] for r in rows) / wall,
            "trainer_wait_s": statistics.mean(r.get("async/trainer_wait_s", r["perf/rollout_s"]) for r in rows),
            "update_s": statistics.mean(r["perf/update_s"] for r in rows),
            "rollout_s": statistics.mean(r.get("async/rollout_s", r["perf/rollout_s"]) for r in rows),
            "reward": statistics.mean(r["reward/mean"] for r in rows),
            # steps without an informative group have no estimate (all of them with --quick's barely trained model)
            "entropy": statistics.mean([r["entropy/estimate"] for r in rows if "entropy/estimate" in r] or [math.nan]),
            "threads": torch.get_num_threads()}
        if s.budget_s:
            out |= _evaluate(run.model, run.tokenizer, s)
        conn.send(out)
    finally:
        run.rollouts.close()
        if run.scorer is not None:
            run.scorer.close()


def _run(s: Setup) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_contender, args=(child, s))
    proc.start()
    child.close()  # so that a contender that dies ends the wait (EOFError) instead of hanging it
    try:
        res = parent.recv()
    except EOFError:
        proc.join()
        raise SystemExit(f"contender {s.contender} (seed {s.seed}) died with exit code {proc.exitcode}; "
                         "its traceback is above") from None
    proc.join()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--steps", type=int, default=30, help="timed steps per contender and seed in arm time")
    ap.add_argument("--budget", type=float, default=90.0, help="wall-clock seconds per contender in arm learn")
    ap.add_argument("--arms", nargs="+", default=["time", "learn"], choices=["time", "learn"])
    ap.add_argument("--cache", default="runs/bench/warm_start", help="where the SFT warm start is cached")
    ap.add_argument("--quick", action="store_true", help="smoke run: the tiny warm start, 4 steps, 10 s, 1 seed")
    ap.add_argument("--out", default="runs/bench/async.json")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from tiny_world import warm_start

    seeds = args.seeds[:1] if args.quick else args.seeds
    model_dir, paths = warm_start(Path(args.cache) / ("quick" if args.quick else "full"), threads=1, quick=args.quick)
    base = Setup(str(model_dir), str(paths["train"]), str(paths["test"]), seed=0, contender="sync",
                 steps=4 if args.quick else args.steps)
    if args.quick:
        base = replace(base, eval_k=1, eval_rows=16)
    names = list(CONTENDERS)
    results: dict[str, dict[str, dict[int, Any]]] = {arm: {c: {} for c in names} for arm in args.arms}
    loads = []
    for i, seed in enumerate(seeds):
        order = names[i % len(names):] + names[: i % len(names)]  # rotates with the seed
        for arm in args.arms:
            for c in order:
                budget = (10.0 if args.quick else args.budget) if arm == "learn" else 0.0
                res = _run(replace(base, seed=seed, contender=c, budget_s=budget))
                results[arm][c][seed] = res
                loads.append(os.getloadavg()[0])
                print(f"[{arm}] seed {seed} {c:5s} " + " ".join(
                    f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in res.items()), flush=True)
    print(f"\n1-minute load average after each contender: {min(loads):.1f}–{max(loads):.1f}")
    if "time" in results:
        t = results["time"]
        for c in names[1:]:
            ratios = [t[c][s]["step_s"] / t["sync"][s]["step_s"] for s in seeds]
            toks = [t[c][s]["rollout_tokens_per_s"] / t["sync"][s]["rollout_tokens_per_s"] for s in seeds]
            print(f"[time] {c} step time / sync: " + " / ".join(f"{r:.2f}" for r in ratios)
                  + "; rollout tokens/s / sync: " + " / ".join(f"{r:.2f}" for r in toks))
    if "learn" in results:
        lr = results["learn"]
        for key in (k for k in lr["sync"][seeds[0]] if k.startswith("avg@")):
            for c in names[1:]:
                ahead = sum(lr[c][s][key] >= lr["sync"][s][key] for s in seeds)
                print(f"[learn] {key} after the budget, {c} vs sync: "
                      + " / ".join(f"{lr[c][s][key]:.3f} vs {lr['sync'][s][key]:.3f}" for s in seeds)
                      + f" (≥ sync on {ahead} of {len(seeds)} seeds)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"seeds": seeds, "quick": args.quick, "results": results}, indent=2))


if __name__ == "__main__":
    main()
