"""Export a checkpoint as a plain Hugging Face model directory (`or1 export`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from or1.trainer.checkpoint import CheckpointError, latest_checkpoint

__all__ = ["export_hf", "resolve_checkpoint"]


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint directory from itself, a run's out_dir (its newest) or a run's `checkpoints/` folder."""
    p = Path(path)
    if (p / "model" / "config.json").is_file():
        return p
    for root in (p / "checkpoints", p):
        ckpt = latest_checkpoint(root)
        if ckpt is not None:
            return ckpt
    raise CheckpointError(f"{p} is neither a checkpoint nor a run directory with checkpoints")


def export_hf(checkpoint: str | Path, out_dir: str | Path) -> Path:
    """Copy the checkpoint's model and tokenizer to `out_dir`, loadable with `AutoModelForCausalLM`.

    The copy is written beside `out_dir` and renamed into place, so a failed export leaves nothing half.
    Raises:
        CheckpointError: no checkpoint at `checkpoint`; FileExistsError: `out_dir` exists and is not empty.
    """
    src = resolve_checkpoint(checkpoint) / "model"
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"export target {out} exists and is not empty")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        shutil.copytree(src, tmp, dirs_exist_ok=True)
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
