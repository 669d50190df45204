"""Atomic checkpoints: model (HF format), optimiser, train state and config, renamed into place at once.

Layout: OUT/checkpoints/step_000020/{model/, optimizer.pt, state.pt, config.yaml}; OUT/checkpoints/latest
names the newest complete one. A run killed mid-save leaves only a `*.tmp` folder, never a torn checkpoint.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from or1.atomic import write_text_atomic

__all__ = ["CheckpointError", "latest_checkpoint", "load_checkpoint", "save_checkpoint"]


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
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    write_text_atomic(root / "latest", final.name)
    for old in sorted(p for p in root.glob("step_*") if p.is_dir() and not p.name.endswith(".tmp"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(root: Path) -> Path | None:
    """The newest complete checkpoint under `root`, or None."""
    pointer = root / "latest"
    if not pointer.is_file():
        return None
    ckpt = root / pointer.read_text().strip()
    return ckpt if (ckpt / "state.pt").is_file() else None


def load_checkpoint(ckpt: Path, fingerprint: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(train state, optimiser state) of a checkpoint made by a run with the same config fingerprint.

    Raises:
        CheckpointError: files missing, or the checkpoint was written under another config.
    """
    for name in ("state.pt", "optimizer.pt", "model/config.json"):
        if not (ckpt / name).is_file():
            raise CheckpointError(f"checkpoint {ckpt} is incomplete: {name} is missing")
    state = torch.load(ckpt / "state.pt", weights_only=False)
    if state.get("fingerprint") != fingerprint:
        raise CheckpointError(
            f"checkpoint {ckpt} was written by a run with a different config (fingerprint "
            f"{state.get('fingerprint')} != {fingerprint}); only out_dir, checkpointing, validation, reward "
            "and thread settings may change on resume (see its config.yaml)")
    return state, torch.load(ckpt / "optimizer.pt", weights_only=False)
