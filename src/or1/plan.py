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
    ap.add_argument("--async", dest="split", action="store_true",
                    help="also tabulate rollout.mode=async on a split: R GPUs sampling while the rest train "
                         "(every feasible R, the best marked; see docs/launch.md §4)")
    ap.add_argument("--rollout-gpus", type=int, metavar="R",
                    help="with --async: the per-stage table of this one split")
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
    if a.split or a.rollout_gpus is not None:
        if a.rollout_gpus is not None and not 1 <= a.rollout_gpus < gpus:
            ap.error(f"--rollout-gpus must be in [1, {gpus - 1}], got {a.rollout_gpus}")
        con.print(_split_table(cfg, shape, gpus, GPUS[a.gpu], stages, work, a.steps, a.rollout_gpus))
    return 0


def _split_table(cfg: TrainConfig, shape: ModelShape, gpus: int, gpu: Gpu, stages: list, work: object,
                 steps: int | None, rollout_gpus: int | None) -> object:
    """Hours and speed-up over colocated of every split (or the stages of one), step-wise and streaming."""
    from rich.console import Group
    from rich.table import Table

    from or1.async_split import best_split, plan_splits

    kw = dict(tp=cfg.rollout.tensor_parallel_size, mem_util=cfg.rollout.gpu_memory_utilization,
              micro_batch_tokens=_micro_batch_tokens(cfg),
              activation_checkpointing=cfg.distributed.activation_checkpointing, max_steps=steps)
    plans = plan_splits(shape, gpu, gpus, stages, work, **kw)  # type: ignore[arg-type]
    streamed = plan_splits(shape, gpu, gpus, stages, work, streaming=True, **kw)  # type: ignore[arg-type]
    best, best_streamed = best_split(plans), best_split(streamed)
    if rollout_gpus is not None:
        one = next((p for p in plans if p.rollout_gpus == rollout_gpus), None)
        if one is None or one.infeasible:
            why = one.infeasible if one else f"not a multiple of tensor_parallel_size={kw['tp']}"
            return f"[red]{rollout_gpus} rollout GPUs: not feasible ({why})[/red]"
        table = Table(title=f"async on {rollout_gpus} rollout + {one.train_gpus} training GPUs, step-wise")
        for col in ("stage", "steps", "rollout s/step", "train s/step", "sync s", "step s", "colocated s", "bound by"):
            table.add_column(col, justify="right")
        for i, r in enumerate(one.stages):
            table.add_row(str(i + 1), str(r.stage.steps), f"{r.rollout_s:.0f}", f"{r.train_s:.0f}", f"{r.sync_s:.1f}",
                          f"{r.step_s:.0f}", f"{r.colocated_s:.0f}", r.bound)
        return Group(table, f"{one.hours:.1f} h, {one.speedup:.2f}x the colocated run")
    table = Table(title=f"async splits of {gpus} GPUs: hours and speed-up over colocated (step-wise: or1's "
                        "worker; streaming: next step's requests fill the tail)")
    for col in ("rollout GPUs", "training GPUs", "step-wise h", "x", "streaming h", "x", "stage 1 bound by"):
        table.add_column(col, justify="right")
    for p, q in zip(plans, streamed, strict=True):
        if p.infeasible:
            table.add_row(str(p.rollout_gpus), str(p.train_gpus), "-", "", "-", "", p.infeasible)
            continue
        mark = " *" if p is best else ""
        table.add_row(str(p.rollout_gpus), str(p.train_gpus), f"{p.hours:.1f}{mark}", f"{p.speedup:.2f}",
                      f"{q.hours:.1f}{' *' if q is best_streamed else ''}", f"{q.speedup:.2f}", p.stages[0].bound)
    if best is None or best_streamed is None:
        return Group(table, "[red]no split is feasible: the trainer does not fit on the GPUs left[/red]")
    verdict = "" if best.speedup > 1 else "; colocated is faster here (keep rollout.mode=sync)"
    return Group(table, f"best step-wise split: {best.rollout_gpus} rollout + {best.train_gpus} training GPUs, "
                        f"{best.speedup:.2f}x; streaming: {best_streamed.rollout_gpus} + {best_streamed.train_gpus}, "
                        f"{best_streamed.speedup:.2f}x (* marks the best){verdict}")


def _memory_table(cfg: TrainConfig, shape: ModelShape, gpus: int, gpu: Gpu) -> object:
    """The trainer's memory per GPU (`train_memory`), with and without activation checkpointing."""
    from rich.table import Table

    from or1.train_memory import train_memory

    S = _micro_batch_tokens(cfg)
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


def _micro_batch_tokens(cfg: TrainConfig) -> int:
    """Tokens per forward/backward: `algo.micro_batch_tokens`, else one longest prompt + response."""
    return cfg.algo.micro_batch_tokens or cfg.data.max_prompt_length + max(s.max_response_length for s in cfg.stages)
