"""`or1 plan CONFIG`: the throughput model's table (`throughput.py`) and the trainer's memory per GPU
(`train_memory.py`) for a training config on a GPU cluster (docs/launch.md §4).

The parser is built with every `or1` invocation: this module imports only the (light) model and config.
"""

from __future__ import annotations

import argparse

from or1.config import TrainConfig
from or1.throughput import GPUS, MODELS, Gpu, ModelShape, config_plan, model_shape, plan_run, rollout_share, total_hours

__all__ = ["add_parser"]

_DESCRIPTION = ("Expected rollout and training time per step, hours per stage and per run, and the trainer's "
                "memory per GPU, from first principles (vLLM decode bandwidth-bound, training compute-bound), "
                "calibrated once on the report's OR1-32B run. See docs/launch.md.")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `or1 plan`."""
    ap = sub.add_parser("plan", help="expected hours per step and per run of a config on a GPU cluster",
                        description=_DESCRIPTION)
    ap.add_argument("config", help="training config YAML (e.g. configs/or1_32b.yaml)")
    ap.add_argument("overrides", nargs="*", help="key.sub=value overrides, as for `or1 train`")
    ap.add_argument("--gpus", type=int, help="GPU count (default: distributed.gpus of the config)")
    ap.add_argument("--gpu", default="H800", choices=sorted(GPUS), help="GPU type (default: H800, the report's)")
    ap.add_argument("--model", choices=sorted(MODELS), help="model shape (default: from model.path)")
    ap.add_argument("--steps", type=int, help="stop after this many steps (the report quotes 1000)")
    ap.add_argument("--original", action="store_true",
                    help="model the original pipeline the report timed (no refill, π_old recomputed)")
    ap.set_defaults(fn=lambda a: _run(a, ap))


def _run(a: argparse.Namespace, ap: argparse.ArgumentParser) -> int:
    from rich.console import Console
    from rich.table import Table

    from or1.config_load import load_config

    cfg = load_config(a.config, a.overrides)
    found = (a.model, MODELS[a.model]) if a.model else model_shape(cfg.model.path)
    if found is None:
        ap.error(f"cannot tell the model shape from model.path={cfg.model.path}; pass --model")
    name, shape = found
    gpus = a.gpus or cfg.distributed.gpus
    if gpus < 1:
        ap.error("the config has distributed.gpus=0; pass --gpus")
    stages, work = config_plan(cfg, a.original)
    rows = plan_run(shape, GPUS[a.gpu], gpus, stages, work, tp=cfg.rollout.tensor_parallel_size,
                    max_steps=a.steps, mem_util=cfg.rollout.gpu_memory_utilization)
    table = Table(title=f"{name} on {gpus} {a.gpu}, vLLM TP {cfg.rollout.tensor_parallel_size} ({a.config})")
    for col in ("stage", "steps", "context", "P x G", "rollout s/step", "train s/step", "step s", "hours"):
        table.add_column(col, justify="right")
    for i, r in enumerate(rows):
        s = r.stage
        table.add_row(str(i + 1), str(s.steps), str(s.max_response_length), f"{s.batch_size}x{s.group_size}",
                      f"{r.rollout_s:.0f}", f"{r.train_s:.0f}", f"{r.step_s:.0f}", f"{r.hours:.1f}")
    hours, steps = total_hours(rows), sum(r.stage.steps for r in rows)
    table.add_row("total", str(steps), "", "", "", "", "", f"{hours:.1f}")
    con = Console()
    con.print(table)
    con.print(f"{hours:.1f} h for {steps} steps ({1000 * hours / max(1, steps):.0f} h per 1000 steps), "
              f"rollout {100 * rollout_share(rows):.0f}% of the time")
    con.print(_memory_table(cfg, shape, gpus, GPUS[a.gpu]))
    return 0


def _memory_table(cfg: TrainConfig, shape: ModelShape, gpus: int, gpu: Gpu) -> object:
    """The trainer's memory per GPU (`train_memory`), with and without activation checkpointing."""
    from rich.table import Table

    from or1.train_memory import train_memory

    S = cfg.algo.micro_batch_tokens or cfg.data.max_prompt_length + max(s.max_response_length for s in cfg.stages)
    with_ac, without = (train_memory(shape, gpus, S, ac) for ac in (True, False))
    full_head = train_memory(shape, gpus, S, True, chunk_tokens=None).logp_head
    mine = "with" if cfg.distributed.activation_checkpointing else "without"
    table = Table(title=f"trainer memory per GPU, GB: FSDP over {gpus}, bf16 compute, micro-batch {S} tokens "
                        f"(the config: {mine} activation checkpointing)")
    for col in ("part", "with checkpointing", "without"):
        table.add_column(col, justify="right")
    parts = [("fp32 weights, grads, AdamW (sharded)", "state"), ("gathered bf16 weights + grads", "gathered"),
             ("activations, one micro-batch", "activations"), ("log-prob head (chunked)", "logp_head")]
    for label, key in parts:
        table.add_row(label, f"{getattr(with_ac, key) / 1e9:.1f}", f"{getattr(without, key) / 1e9:.1f}")
    table.add_row(f"total (of {gpu.mem_bytes / 1e9:.0f})", f"{with_ac.total / 1e9:.1f}", f"{without.total / 1e9:.1f}")
    former = f"{full_head / 1e9:.1f}"
    table.add_row("former full-logits head, in place of the chunked", former, former)
    return table


