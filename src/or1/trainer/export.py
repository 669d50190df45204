"""Export a checkpoint as a plain Hugging Face model directory (`or1 export`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from or1.atomic import atomic_dir
from or1.checkpoints import resolve_checkpoint

__all__ = ["export_hf"]


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
    with atomic_dir(out) as tmp:
        shutil.copytree(src, tmp, dirs_exist_ok=True)
    return out
