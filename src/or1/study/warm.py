"""The shared starting point of every study run: tiny-world data and one SFT warm start, cached on disk.

Arms of a study must differ only in the ablated setting, so all runs of all studies start from the same
warm-started model and train on the same data; seeds vary the RL run (prompt order, sampling), not the start.
The warm start (~3 min on a laptop CPU) is made once per cache folder and reused afterwards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from or1.atomic import write_text_atomic

__all__ = ["WarmStart", "warm_start"]


@dataclass(frozen=True)
class WarmStart:
    """Files every study run starts from."""

    root: Path
    train: Path  # parquet: training prompts (imperfect teacher's references, used only by SFT)
    dev: Path  # parquet: validation during RL (per-step held-out curves)
    test: Path  # parquet: held-out problems of the final Avg@K table
    model: Path  # HF directory of the warm-started policy
    sft: dict  # SFT steps, checks and target

    @property
    def paths(self) -> dict[str, Path]:
        return {"train": self.train, "dev": self.dev, "test": self.test}


def _load(root: Path) -> WarmStart | None:
    done = root / "warm_start.json"
    if not done.is_file():
        return None
    info = json.loads(done.read_text())
    return WarmStart(root, root / "data/train.parquet", root / "data/dev.parquet", root / "data/test.parquet",
                     root / "sft_model", info)


def warm_start(cache: str | Path, quick: bool = False, seed: int = 0, progress: bool = True) -> WarmStart:
    """The cached warm start under `cache` (quick and full runs have separate folders), made if missing.

    The data and the SFT recipe are the demo's (`or1.demo.run`): SFT on an imperfect teacher's traces,
    stopped once greedy dev accuracy reaches 40%, so RL has room to improve.
    """
    from or1.demo.run import FULL, QUICK, demo_config, sft_warm_start, write_splits
    from or1.trainer.setup import build_scorer

    root = Path(cache).resolve() / f"{'quick' if quick else 'full'}_seed{seed}"
    cached = _load(root)
    if cached is not None:
        return cached
    size = QUICK if quick else FULL
    root.mkdir(parents=True, exist_ok=True)
    # One thread: several OpenMP threads on cores that other processes share can run many times slower.
    torch.set_num_threads(1)
    paths = write_splits(root / "data", size, seed)
    cfg = demo_config(root, paths, None, size, seed)
    with build_scorer(cfg.reward) as scorer:
        _, losses, checks = sft_warm_start(root, paths, size, seed, scorer, cfg, progress)
    info = {"steps": len(losses), "checks": checks, "target": size.sft_target, "seed": seed,
            "teacher_slip_rate": size.teacher_slip_rate}
    write_text_atomic(root / "warm_start.json", json.dumps(info, indent=2))
    ws = _load(root)
    assert ws is not None
    return ws
