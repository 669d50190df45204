"""`or1 demo`: the whole recipe on a laptop CPU in minutes (DESIGN.md §6).

tiny Qwen2 + `a+b-c` task → SFT on an imperfect teacher's traces until partly right → held-out Avg@K →
multi-stage GRPO with MAGIC (`configs/demo_cpu.yaml`) → held-out Avg@K again → markdown + PNG report.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import torch
from rich.progress import Progress, TextColumn

from or1.checkpoints import resolve_checkpoint
from or1.config import TrainConfig
from or1.config_load import apply_overrides, build
from or1.eval.avg_at_k import AvgAtK, evaluate
from or1.policy import build_policy, hf_engine
from or1.problems.schema import load_problems, write_rows
from or1.rewards.registry import RewardScorer
from or1.tiny.task import make_rows
from or1.trainer.loop import train
from or1.trainer.setup import build_scorer

__all__ = ["DemoSize", "demo_config", "run_demo", "sft_warm_start", "write_splits"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoSize:
    """How big the demo is; `QUICK` only checks that every part runs."""

    n_train: int = 2000
    n_dev: int = 64  # SFT stopping rule and validation during RL
    n_test: int = 128  # held-out evaluation before and after RL
    teacher_slip_rate: float = 0.5  # fraction of SFT references with a teacher's arithmetic slip
    sft_target: float = 0.4  # stop SFT once greedy dev accuracy reaches this: partly right
    sft_chunk: int = 100
    sft_max_steps: int = 1500
    k: int = 8
    eval_max_tokens: int = 56
    rl_overrides: tuple[str, ...] = ()


FULL = DemoSize()
_QUICK_STAGES = tuple(f"stages.{i}.{key}={value}" for i in (0, 1) for key, value in
                      (("steps", 2), ("batch_size", 4), ("mini_batch_size", 4), ("group_size", 4)))
QUICK = DemoSize(n_train=64, n_dev=8, n_test=8, sft_chunk=10, sft_max_steps=10, k=2, eval_max_tokens=40,
                 rl_overrides=(*_QUICK_STAGES, "validation.every=2", "checkpoint_every=2",
                               "filter.offline_samples=2", "filter.max_refills=0"))


def write_splits(data_dir: Path, size: DemoSize, seed: int) -> dict[str, Path]:
    """Disjoint train / dev / test splits of the synthetic task.

    The train split's reference traces come from an imperfect teacher (`teacher_slip_rate`), as the
    released models were distilled from one: SFT copies its slips, and RL with the verifier removes them.
    """
    seen: set[str] = set()
    paths = {}
    for split, n in (("test", size.n_test), ("dev", size.n_dev), ("train", size.n_train)):
        slip = size.teacher_slip_rate if split == "train" else 0.0
        rows = make_rows(n, seed, split, exclude=seen, slip_rate=slip)
        seen |= {r["prompt"][0]["content"] for r in rows}
        paths[split] = write_rows(rows, data_dir / f"{split}.parquet")
    return paths


def sft_warm_start(out: Path, paths: dict[str, Path], size: DemoSize, seed: int, scorer: RewardScorer,
                cfg: TrainConfig, progress: bool) -> tuple[Path, list[float], list[dict[str, float]]]:
    """SFT until greedy dev accuracy reaches `size.sft_target` (checked every `sft_chunk` steps) or the cap."""
    from or1.trainer.sft import sft

    model, tok = build_policy(cfg.model, seed)
    train_rows, dev = load_problems(paths["train"]), load_problems(paths["dev"])
    engine = hf_engine(model, tok, max_batch=256)
    checks: list[dict[str, float]] = []
    with Progress(*Progress.get_default_columns(), TextColumn("{task.fields[info]}"), disable=not progress) as bar:
        task = bar.add_task(f"SFT until greedy dev accuracy ≥ {size.sft_target:.0%}", total=size.sft_max_steps,
                            info="")

        def reached_target(step: int, loss: float) -> bool:
            acc = evaluate(engine, tok, dev, scorer, k=1, temperatures=[0.0], max_tokens=size.eval_max_tokens,
                           seed=seed)[0].avg
            checks.append({"step": step, "loss": loss, "dev_greedy_acc": acc})
            log.info("SFT step %d: loss %.3f, greedy dev accuracy %.3f", step, loss, acc)
            bar.update(task, completed=step, info=f"loss {loss:.3f} | dev acc {acc:.2f}")
            return acc >= size.sft_target

        losses = sft(model, tok, train_rows, max_steps=size.sft_max_steps, lr=2e-3, seed=seed,
                     check_every=size.sft_chunk, should_stop=reached_target)
    sft_dir = out / "sft_model"
    model.save_pretrained(sft_dir)
    tok.save_pretrained(sft_dir)
    return sft_dir, losses, checks


def _evaluate_model(path: Path, test: list, size: DemoSize, scorer: RewardScorer, cfg: TrainConfig,
                    seed: int) -> list[AvgAtK]:
    model, tok = build_policy(cfg.model, seed, path=path)
    engine = hf_engine(model, tok, max_batch=256)
    return evaluate(engine, tok, test, scorer, k=size.k, temperatures=[0.6, 1.0], max_tokens=size.eval_max_tokens,
                    seed=seed + 99)


def demo_config(out: Path, paths: dict[str, Path], sft_dir: Path | None, size: DemoSize, seed: int) -> TrainConfig:
    """The packaged demo config with this run's files, model and seed filled in."""
    import yaml

    data = yaml.safe_load(resources.files("or1.configs").joinpath("demo_cpu.yaml").read_text())
    over = [f"out_dir={out / 'rl'}", f"seed={seed}", f"data.train_files=[{paths['train']}]",
            f"data.val_files=[{paths['dev']}]", f"model.path={sft_dir if sft_dir else 'null'}", *size.rl_overrides]
    return build(TrainConfig, apply_overrides(data, over))


def run_demo(out_dir: str | Path, quick: bool = False, seed: int = 0, progress: bool = True) -> Path:
    """Run the demo into `out_dir`; returns the path of its markdown report."""
    from or1.demo.report import write_report

    size = QUICK if quick else FULL
    out = Path(out_dir)
    if (out / "rl" / "checkpoints").exists():
        raise FileExistsError(f"{out} holds an earlier demo run: remove it or pass another --out")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    torch.manual_seed(seed)
    paths = write_splits(out / "data", size, seed)
    test = load_problems(paths["test"])
    base_cfg = demo_config(out, paths, None, size, seed)
    with build_scorer(base_cfg.reward) as scorer:
        sft_dir, sft_losses, sft_checks = sft_warm_start(out, paths, size, seed, scorer, base_cfg, progress)
        t_sft = time.time()
        before = _evaluate_model(sft_dir, test, size, scorer, base_cfg, seed)
        cfg = demo_config(out, paths, sft_dir, size, seed)
        ckpt = train(cfg, progress=progress)
        t_rl = time.time()
        after = _evaluate_model(resolve_checkpoint(ckpt) / "model", test, size, scorer, cfg, seed)
    summary = {"seconds": {"sft": t_sft - t0, "rl": t_rl - t_sft, "total": time.time() - t0},
               "sft": {"steps": len(sft_losses), "checks": sft_checks, "target": size.sft_target,
                       "teacher_slip_rate": size.teacher_slip_rate,
                       "reached_target": sft_checks[-1]["dev_greedy_acc"] >= size.sft_target},
               "before": [r.as_dict() for r in before], "after": [r.as_dict() for r in after],
               "eval_max_tokens": size.eval_max_tokens, "final_checkpoint": str(ckpt)}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return write_report(out, cfg, summary, sft_losses)
