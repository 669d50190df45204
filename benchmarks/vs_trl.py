"""or1 against TRL's GRPOTrainer: the same GRPO run by both, step by step in turn, in one invocation.

Usage: python benchmarks/vs_trl.py [--seeds 0 1 2] [--budget 150] [--threads 1] [--quick]

Both trainers start from the same cached SFT warm start (benchmarks/tiny_world.py) of the tiny Qwen2 model
and train on the same `a+b-c` rows, rewarded by or1's math verifier (wrapped as a TRL reward function for
TRL), with the same batch (prompts × group size), response length cap, learning rate, clip range, seed,
threads and one optimiser step per step. TRL runs with its settings closest to the recipe: beta 0 (no KL, no
reference model), token-level "dapo" loss, epsilon / epsilon_high as or1's clip range, temperature 1,
top_p 1, top_k off, num_iterations 1, rewards scaled by the group std, constant learning rate, AdamW
(weight decay as or1's; TRL's Trainer exempts biases and norms from it). or1 runs with the recipe's extras
that TRL has no counterpart for turned off (online/offline filtering, adaptive entropy), so both do the
same work per step.

Each trainer lives in its own process (clean peak RSS). The parent lets them take one step each in turn,
so machine load falls on both alike, until each has spent `--budget` seconds in training steps; then
both are evaluated with the same code (or1's Avg@K on held-out rows, same seeds). Step times are timed
inside each process around one whole step (rollout + reward + update), TRL's from its step-begin to
step-end callbacks (its logging between steps is not counted).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing as mp
import os
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ARMS = {
    "time": "plain GRPO at learning rate ~0 (1e-12), so both do the same work at every step (the step-time check; a "
            "trained policy's response lengths drift apart between trainers); no evaluation",
    "same": "plain GRPO from the same start (held-out accuracy after the budget)",
    "recipe": "or1 adds online filtering with refill and adaptive entropy, TRL its adaptive entropy "
              "(held-out accuracy after the budget)",
}


@dataclass(frozen=True)
class Setup:
    """What both trainers share."""

    model_dir: str
    train_file: str
    test_file: str
    seed: int
    threads: int
    prompts: int = 8  # prompts per step
    group: int = 8  # responses per prompt
    max_tokens: int = 48  # response length cap
    lr: float = 2e-4
    clip_low: float = 0.2
    clip_high: float = 0.26
    eval_k: int = 4
    eval_rows: int = 128
    recipe: bool = False  # or1: online filtering with refill + adaptive entropy; TRL: its adaptive entropy
    evaluate: bool = True
    entropy_delta: float = 1e-3  # the demo config's controller (target 0.2, α_max 0.005)


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not ru_maxrss: Linux carries that over fork and exec, so a
    spawned child would report the parent's peak if it was higher."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: KiB (macOS: bytes)


def _evaluate(model: Any, tok: Any, s: Setup) -> dict[str, float]:
    """Held-out Avg@K at τ 0.6 and 1.0 with or1's evaluator: the same code for every contender."""
    from tiny_world import held_out_avg

    return held_out_avg(model, tok, s.test_file, s.eval_k, s.eval_rows, s.max_tokens)


def _or1_worker(conn: Any, s: Setup) -> None:
    import torch

    torch.set_num_threads(s.threads)
    from or1.config import TrainConfig
    from or1.config_load import build
    from or1.trainer.loop import setup, train_step

    out = tempfile.mkdtemp(prefix="or1_bench_")
    n = s.prompts * s.group
    cfg = build(TrainConfig, {
        "seed": s.seed, "out_dir": out, "threads": s.threads, "model": {"path": s.model_dir},
        "data": {"train_files": [s.train_file]},
        "stages": [{"steps": 10**6, "max_response_length": s.max_tokens, "batch_size": s.prompts,
                    "mini_batch_size": s.prompts, "group_size": s.group, "temperature": 1.0}],
        "algo": {"lr": s.lr, "clip_low": s.clip_low, "clip_high": s.clip_high, "micro_batch_size": n},
        "entropy": {"adaptive": s.recipe, "coef": 0.0, "target": 0.2, "delta": s.entropy_delta, "coef_max": 0.005},
        "filter": {"online": s.recipe, "max_refills": 2, "offline": False},
        "validation": {"every": 0}, "reward": {"workers": 1}, "checkpoint_every": 10**6})
    run = setup(cfg)
    conn.send(("ready", None))
    try:
        while True:
            cmd, k = conn.recv()
            if cmd == "stop":
                break
            block = []
            for _ in range(k):
                m = train_step(run, run.schedule.at(run.state.step))
                run.state.step += 1
                kept = m["filter/groups"] / s.prompts  # < 1 when the online filter kept fewer groups
                block.append({"step_s": m["perf/step_s"], "rollout_s": m["perf/rollout_s"],
                              "rollout_tokens": m["rollout/len_mean"] * n * m["filter/tries"],  # refills: approx.
                              "train_tokens": m["rollout/len_mean"] * n * kept, "reward": m["reward/mean"]})
            conn.send(("steps", block))
        peak = _peak_rss_mb()
        conn.send(("done", {"peak_rss_mb": peak, **(_evaluate(run.model, run.tokenizer, s) if s.evaluate else {})}))
    finally:
        run.scorer.close()


def _trl_worker(conn: Any, s: Setup) -> None:
    import torch

    torch.set_num_threads(s.threads)
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from or1.problems.schema import load_problems
    from or1.rewards.registry import ScoreRequest, default_registry

    tok = AutoTokenizer.from_pretrained(s.model_dir, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(s.model_dir, dtype=torch.float32)
    problems = load_problems(s.train_file)
    data = Dataset.from_list([{"prompt": list(p.prompt), "ground_truth": p.ground_truth, "ability": p.ability,
                               "data_source": p.data_source} for p in problems])
    scorer = default_registry(workers=1)

    def or1_math_reward(prompts: list, completions: list, ground_truth: list, ability: list, data_source: list,
                        **_: Any) -> list[float]:
        texts = [c[0]["content"] if isinstance(c, list) else c for c in completions]
        reqs = [ScoreRequest(t, a, d, g) for t, a, d, g in zip(texts, ability, data_source, ground_truth, strict=True)]
        rewards = [r.reward for r in scorer.score(reqs)]
        rollout["reward"] = sum(rewards) / len(rewards)
        return rewards

    rollout = {"s": 0.0, "tokens": 0.0, "reward": 0.0}
    n = s.prompts * s.group
    args = GRPOConfig(
        output_dir=tempfile.mkdtemp(prefix="trl_bench_"), use_cpu=True, seed=s.seed, data_seed=s.seed,
        per_device_train_batch_size=n, gradient_accumulation_steps=1, num_generations=s.group,
        max_completion_length=s.max_tokens, temperature=1.0, top_p=1.0, top_k=0, beta=0.0, num_iterations=1,
        epsilon=s.clip_low, epsilon_high=s.clip_high, loss_type="dapo", scale_rewards="group",
        mask_truncated_completions=False, learning_rate=s.lr, lr_scheduler_type="constant", warmup_steps=0,
        weight_decay=0.01, max_grad_norm=1.0, optim="adamw_torch", max_steps=10**6, logging_steps=10**6,
        save_strategy="no", report_to="none", disable_tqdm=True, dataloader_num_workers=0, log_completions=False,
        bf16=False, fp16=False, use_adaptive_entropy=s.recipe, entropy_coef=0.0, entropy_coef_min=0.0,
        entropy_coef_max=0.005, entropy_coef_delta=s.entropy_delta, entropy_target=0.2)
    trainer = GRPOTrainer(model=model, reward_funcs=or1_math_reward, args=args, train_dataset=data,
                          processing_class=tok)
    generate = trainer._generate_and_score_completions

    def timed_generate(*a: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        out = generate(*a, **kw)
        rollout["s"] += time.perf_counter() - t0
        rollout["tokens"] += float(out["completion_mask"].sum())
        return out

    trainer._generate_and_score_completions = timed_generate

    class Gate(TrainerCallback):
        """Runs the blocks of steps the parent grants; times each step from begin to end."""

        left, block, t0 = 0, [], 0.0

        def _wait(self, control: Any) -> None:
            cmd, k = conn.recv()
            if cmd == "stop":
                control.should_training_stop = True
            self.left = k or 0

        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            conn.send(("ready", None))
            self._wait(control)

        def on_step_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            rollout["s"], rollout["tokens"] = 0.0, 0.0
            self.t0 = time.perf_counter()

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self.block.append({"step_s": time.perf_counter() - self.t0, "rollout_s": rollout["s"],
                               "rollout_tokens": rollout["tokens"], "train_tokens": rollout["tokens"],
                               "reward": rollout["reward"]})
            self.left -= 1
            if self.left <= 0:
                conn.send(("steps", self.block))
                self.block = []
                self._wait(control)

    trainer.add_callback(Gate())
    trainer.train()
    peak = _peak_rss_mb()
    conn.send(("done", {"peak_rss_mb": peak, **(_evaluate(trainer.model, tok, s) if s.evaluate else {})}))
    scorer.close()


def _one_seed(s: Setup, budget: float) -> dict[str, Any]:
    """Both trainers, one step each in turn, until each has trained for `budget` seconds; then evaluate."""
    ctx = mp.get_context("spawn")
    procs, conns = {}, {}
    for name, target in (("or1", _or1_worker), ("trl", _trl_worker)):
        parent, child = ctx.Pipe()
        procs[name] = ctx.Process(target=target, args=(child, s), name=f"bench-{name}")
        procs[name].start()
        conns[name] = parent
    for name in conns:
        assert conns[name].recv()[0] == "ready", name
    steps: dict[str, list[dict]] = {"or1": [], "trl": []}
    spent = {"or1": 0.0, "trl": 0.0}
    load = [os.getloadavg()[0]]
    turn = 0
    while any(spent[n] < budget for n in spent):
        order = ("or1", "trl") if turn % 2 == 0 else ("trl", "or1")  # who goes first alternates too
        for name in order:
            if spent[name] >= budget:
                continue
            conns[name].send(("run", 1))
            _, block = conns[name].recv()
            steps[name] += block
            spent[name] += sum(b["step_s"] for b in block)
        turn += 1
        load.append(os.getloadavg()[0])
    results: dict[str, Any] = {}
    for name in ("or1", "trl"):  # evaluate one at a time
        conns[name].send(("stop", None))
        _, res = conns[name].recv()
        procs[name].join()
        results[name] = {**res, **_summary(steps[name], spent[name]),
                         "reward_per_step": [round(b["reward"], 4) for b in steps[name]]}
    results["load"] = {"min": min(load), "median": statistics.median(load), "max": max(load)}
    return results


def _summary(steps: list[dict], spent: float) -> dict[str, float]:
    timed = steps[1:] or steps  # the first step pays one-time costs: left out of the medians
    med = lambda key: statistics.median(b[key] for b in timed)  # noqa: E731
    upd = [b["step_s"] - b["rollout_s"] for b in timed]
    return {"steps": len(steps), "train_s": spent, "step_s": med("step_s"), "rollout_s": med("rollout_s"),
            "update_s": statistics.median(upd),
            "rollout_tok_s": sum(b["rollout_tokens"] for b in timed) / sum(b["rollout_s"] for b in timed),
            "train_tok_s": sum(b["train_tokens"] for b in timed) / max(sum(upd), 1e-9)}


def _print(seed: int, r: dict[str, Any], k: int) -> None:
    o, t = r["or1"], r["trl"]
    print(f"\nseed {seed}  (1-min load average during the run: median {r['load']['median']:.1f}, "
          f"min {r['load']['min']:.1f}, max {r['load']['max']:.1f})")
    print(f"{'':28s}{'or1':>12s}{'TRL':>12s}{'or1/TRL':>10s}")
    rows = [("median step s", "step_s", ".3f"), ("  of which rollout s", "rollout_s", ".3f"),
            ("  of which update s", "update_s", ".3f"), ("rollout tokens/s", "rollout_tok_s", ".0f"),
            ("training tokens/s", "train_tok_s", ".0f"), ("steps in budget", "steps", "d"),
            ("training seconds", "train_s", ".1f"), ("peak RSS MB", "peak_rss_mb", ".0f"),
            (f"held-out Avg@{k} τ0.6", f"avg@{k}_t0.6", ".3f"), (f"held-out Avg@{k} τ1.0", f"avg@{k}_t1", ".3f")]
    for label, key, fmt in rows:
        if key not in o:
            continue
        ratio = o[key] / t[key] if t[key] else float("nan")
        print(f"{label:28s}{o[key]:>12{fmt}}{t[key]:>12{fmt}}{ratio:>10.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--budget", type=float, default=150.0, help="training seconds per trainer and seed")
    ap.add_argument("--threads", type=int, default=1, help="torch threads of each trainer")
    ap.add_argument("--cache", default="runs/bench/warm_start", help="where the SFT warm start is cached")
    ap.add_argument("--out", default="runs/bench/vs_trl.json")
    ap.add_argument("--quick", action="store_true", help="smoke run: tiny warm start, 15 s budget, one seed")
    ap.add_argument("--arms", nargs="+", choices=list(ARMS), default=list(ARMS),
                    help="; ".join(f"{k}: {v}" for k, v in ARMS.items()))
    ap.add_argument("--time-budget", type=float, default=45.0, help="training seconds per trainer, arm 'time'")
    args = ap.parse_args()
    import sys

    sys.path.insert(0, str(HERE))
    from tiny_world import warm_start

    seeds, budget = (args.seeds[:1], 15.0) if args.quick else (args.seeds, args.budget)
    time_budget = 10.0 if args.quick else args.time_budget
    t0 = time.perf_counter()
    model_dir, paths = warm_start(Path(args.cache) / ("quick" if args.quick else "full"), threads=args.threads,
                                  quick=args.quick)
    print(f"warm start: {model_dir} ({time.perf_counter() - t0:.0f} s)")
    base = dict(model_dir=str(model_dir), train_file=str(paths["train"]), test_file=str(paths["test"]),
                threads=args.threads)
    if args.quick:
        base |= {"prompts": 4, "group": 4, "max_tokens": 40, "eval_k": 1, "eval_rows": 16}
    with_base = Setup(seed=0, **base)
    k = with_base.eval_k
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir, padding_side="left")
    start_acc = _evaluate(AutoModelForCausalLM.from_pretrained(model_dir), tok, with_base)
    print("warm start held-out: " + ", ".join(f"{key} {v:.3f}" for key, v in start_acc.items()))
    all_res: dict[str, dict[int, Any]] = {arm: {} for arm in args.arms}
    for seed in seeds:
        for arm in args.arms:
            s = Setup(seed=seed, recipe=arm == "recipe", evaluate=arm != "time", **base)
            if arm == "time":  # or1 rejects lr 0; 1e-12 moves no float32 weight of this size
                s = dataclasses.replace(s, lr=1e-12)
            all_res[arm][seed] = _one_seed(s, time_budget if arm == "time" else budget)
            print(f"\n[{arm}]", end="")
            _print(seed, all_res[arm][seed], k)
    print(f"\nover seeds {seeds} (budget {budget:.0f} s of training steps per trainer, {time_budget:.0f} s in arm "
          f"'time'; {args.threads} thread(s)):")
    for arm, res in all_res.items():
        ratios = [r["or1"]["step_s"] / r["trl"]["step_s"] for r in res.values()]
        check = f"(check <= 0.70: {'yes' if max(ratios) <= 0.7 else 'NO'})" if arm == "time" else "(not checked)"
        print(f"  [{arm}] median step time or1/TRL per seed: {', '.join(f'{x:.2f}' for x in ratios)}  {check}")
        if arm == "time":
            continue
        for key in (f"avg@{k}_t0.6", f"avg@{k}_t1"):
            pairs = [(r["or1"][key], r["trl"][key]) for r in res.values()]
            ok = all(a >= b for a, b in pairs)
            print(f"  [{arm}] held-out {key} after the budget, or1 vs TRL: "
                  f"{', '.join(f'{a:.3f} vs {b:.3f}' for a, b in pairs)}  (or1 >= TRL on every seed: "
                  f"{'yes' if ok else 'NO'}; mean {statistics.mean(a for a, _ in pairs):.3f} vs "
                  f"{statistics.mean(b for _, b in pairs):.3f})")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"budget_s": budget, "threads": args.threads, "quick": args.quick,
                                          "warm_start": start_acc, "arms": all_res}, indent=2))

if __name__ == "__main__":
    main()
