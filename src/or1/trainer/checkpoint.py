"""Atomic checkpoints: model (HF format), optimiser, train state and config, renamed into place at once.

Layout: OUT/checkpoints/step_000020/{model/, optimizer.pt, state.pt, config.yaml}; OUT/checkpoints/latest
names the newest complete one. A run killed mid-save leaves only a `*.tmp` folder, never a torn checkpoint.
Under torchrun, `optimizer.pt` is replaced by `sharded/` (model + optimiser shards written by every rank
with torch.distributed.checkpoint); `model/` is then the gathered full weights, for export and evaluation.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from or1.atomic import write_text_atomic
from or1.distributed import barrier, is_main, load_sharded, save_hf, save_sharded

__all__ = ["CheckpointError", "latest_checkpoint", "load_checkpoint", "restore_optimizer", "save_checkpoint",
           "save_checkpoint_sharded"]


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, incomplete, or from a different config."""


def save_checkpoint(root: Path, step: int, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
                    optimizer: torch.optim.Optimizer, state: dict[str, Any], config_yaml: str, keep: int) -> Path:
    """Write checkpoint `step` under `root` atomically, point `latest` at it, keep the newest `keep`."""
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step_{step:06d}"
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f"{final.name}.", suffix=".tmp"))
    model.save_pretrained(tmp / "model")
    tokenizer.save_pretrained(tmp / "model")
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    torch.save(state, tmp / "state.pt")
    (tmp / "config.yaml").write_text(config_yaml)
    _publish(root, tmp, final, keep)
    return final


def save_checkpoint_sharded(root: Path, step: int, model: nn.Module, tokenizer: PreTrainedTokenizerBase,
                            optimizer: torch.optim.Optimizer, state: dict[str, Any], config_yaml: str, keep: int
                            ) -> Path:
    """The torchrun form of `save_checkpoint`; every rank calls it, rank 0 publishes.

    Each rank writes its model and optimiser shards to `sharded/`; the full weights are gathered to rank 0
    for `model/`; rank 0 writes the train state (the same on every rank) and renames the folder into place.
    """
    final = root / f"step_{step:06d}"
    tmp = root / f"{final.name}.tmp"  # one name every rank can compute
    if is_main():
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    barrier()
    save_sharded(tmp / "sharded", model, optimizer)
    save_hf(model, tokenizer, tmp / "model")
    if is_main():
        torch.save(state, tmp / "state.pt")
        (tmp / "config.yaml").write_text(config_yaml)
        _publish(root, tmp, final, keep)
    barrier()
    return final


def _publish(root: Path, tmp: Path, final: Path, keep: int) -> None:
    """Rename the finished `tmp` to `final`, point `latest` at it, keep the newest `keep` checkpoints."""
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    write_text_atomic(root / "latest", final.name)
    for old in sorted(p for p in root.glob("step_*") if p.is_dir() and not p.name.endswith(".tmp"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def latest_checkpoint(root: Path) -> Path | None:
    """The newest complete checkpoint under `root`, or None."""
    pointer = root / "latest"
    if not pointer.is_file():
        return None
    ckpt = root / pointer.read_text().strip()
    return ckpt if (ckpt / "state.pt").is_file() else None


def load_checkpoint(ckpt: Path, fingerprint: str) -> dict[str, Any]:
    """The train state of a checkpoint made by a run with the same config fingerprint.

    Raises:
        CheckpointError: files missing, or the checkpoint was written under another config.
    """
    for name in ("state.pt", "model/config.json"):
        if not (ckpt / name).is_file():
            raise CheckpointError(f"checkpoint {ckpt} is incomplete: {name} is missing")
    if not (ckpt / "optimizer.pt").is_file() and not (ckpt / "sharded" / ".metadata").is_file():
        raise CheckpointError(f"checkpoint {ckpt} is incomplete: neither optimizer.pt nor sharded/ is there")
    state = torch.load(ckpt / "state.pt", weights_only=False)
    if state.get("fingerprint") != fingerprint:
        raise CheckpointError(
            f"checkpoint {ckpt} was written by a run with a different config (fingerprint "
            f"{state.get('fingerprint')} != {fingerprint}); only out_dir, checkpointing, validation, reward "
            "and thread settings may change on resume (see its config.yaml)")
    return state


def restore_optimizer(ckpt: Path, model: nn.Module, optimizer: torch.optim.Optimizer, distributed: bool) -> None:
    """Load a checkpoint's optimiser state (and, from `sharded/`, the model shards) into this launch.

    A sharded checkpoint loads into any world size, one process included (DCP reshards). A one-process
    checkpoint (`optimizer.pt`) resumes one process only.

    Raises:
        CheckpointError: a one-process checkpoint resumed under torchrun.
    """
    if (ckpt / "sharded" / ".metadata").is_file():
        load_sharded(ckpt / "sharded", model, optimizer)
    elif distributed:
        raise CheckpointError(f"checkpoint {ckpt} was written by a one-process run (optimizer.pt); resume it "
                              "without torchrun, or start the torchrun launch from its model/ as model.path")
    else:
        optimizer.load_state_dict(torch.load(ckpt / "optimizer.pt", weights_only=False))
