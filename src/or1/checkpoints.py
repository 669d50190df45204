"""Finding checkpoints on disk: the `step_NNNNNN` folders of a run, the newest whole one, and what a path names.

Reading only: writing checkpoints is the trainer's (`trainer/checkpoint.py`). Evaluation, export, data
steps and studies find a model here without importing training code. A checkpoint is whole when its
manifest verifies (`manifest.py`); `latest` files are for people, never trusted.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from or1.manifest import CheckpointError, verify_checkpoint

__all__ = ["CheckpointError", "checkpoint_dirs", "latest_checkpoint", "resolve_checkpoint", "resolve_model_dir"]

log = logging.getLogger(__name__)

_STEP_DIR = re.compile(r"step_(\d+)")


def checkpoint_dirs(root: Path) -> list[Path]:
    """Checkpoint folders `step_NNNNNN` under `root`, oldest first (not `*.tmp`, not renamed-aside ones)."""
    if not root.is_dir():
        return []
    dirs = [p for p in root.iterdir() if p.is_dir() and _STEP_DIR.fullmatch(p.name)]
    return sorted(dirs, key=lambda p: int(p.name[5:]))


def latest_checkpoint(root: Path, hash_files: bool = True) -> Path | None:
    """The newest checkpoint under `root` whose manifest verifies, or None (for export and evaluation)."""
    for ckpt in reversed(checkpoint_dirs(root)):
        try:
            verify_checkpoint(ckpt, hash_files)
            return ckpt
        except CheckpointError as e:
            log.warning("skipping checkpoint %s: %s", ckpt.name, e)
    return None


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint directory from itself, a run's out_dir (its newest) or a run's `checkpoints/` folder.

    Raises:
        CheckpointError: none of these, or no checkpoint under it verifies.
    """
    p = Path(path)
    if (p / "model" / "config.json").is_file():
        return p
    for root in (p / "checkpoints", p):
        ckpt = latest_checkpoint(root)
        if ckpt is not None:
            return ckpt
    raise CheckpointError(f"{p} is neither a checkpoint nor a run directory with checkpoints")


def resolve_model_dir(path: str | Path, name: str = "--model") -> Path:
    """The HF model directory of `path`: itself, or the `model/` folder of an or1 checkpoint or run directory.

    `name` is how the caller's user spelt the setting (a flag or a dotted key), for the errors.

    Raises:
        FileNotFoundError: nothing at `path`; ValueError: neither a model nor a checkpoint/run directory.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{name} {path}: no such file or directory")
    if (p / "config.json").is_file():
        return p
    try:
        return resolve_checkpoint(p) / "model"
    except CheckpointError:
        raise ValueError(f"{name} {path} is neither a Hugging Face model directory (no config.json) "
                         "nor an or1 checkpoint or run directory") from None
