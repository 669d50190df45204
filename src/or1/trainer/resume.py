"""Which checkpoint a launch continues from, decided before any work (issue: run integrity).

Rules, in order: stale `*.tmp` entries of an interrupted save are removed (one log line); a run without
`--resume` refuses an out_dir that holds checkpoints; with `--resume` the newest checkpoint whose
manifest verifies is chosen, and each newer one that fails is renamed aside (`step_N.invalid`, never
deleted) with a one-line reason; an out_dir holding metrics or checkpoints but no valid checkpoint is an
error, never a fresh start that would delete the logs. The `latest` pointer is not trusted: a kill
between a checkpoint's rename and the pointer's write, or a pointer naming a torn folder, changes nothing.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from or1.checkpoints import CheckpointError, checkpoint_dirs
from or1.distributed import World, broadcast_object
from or1.manifest import verify_checkpoint

__all__ = ["choose_checkpoint", "remove_stale_tmp"]

log = logging.getLogger(__name__)


def remove_stale_tmp(out: Path) -> list[str]:
    """Remove `*.tmp` entries (unfinished checkpoints, pointer and metrics writes) under `out`; their names.

    Only one launch writes an out_dir, so at start every temporary entry is a leftover of a killed one.
    """
    removed = []
    for folder in (out, out / "checkpoints"):
        if not folder.is_dir():
            continue
        for p in sorted(folder.glob("*.tmp")):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed.append(p.relative_to(out).as_posix())
    if removed:
        log.info("removed %d stale temporary entries left by an interrupted launch: %s", len(removed),
                 ", ".join(removed))
    return removed


def _set_aside(ckpt: Path) -> Path:
    """Rename a checkpoint that failed verification to `<name>.invalid` (`.invalid2`, ... if taken)."""
    aside, k = ckpt.with_name(ckpt.name + ".invalid"), 1
    while aside.exists():
        k += 1
        aside = ckpt.with_name(f"{ckpt.name}.invalid{k}")
    ckpt.rename(aside)
    return aside


def _pick(out: Path, resume: bool) -> Path | None:
    """The checkpoint to resume from (None: a fresh start); rank 0 only, as it renames and removes."""
    root = out / "checkpoints"
    remove_stale_tmp(out)
    dirs = checkpoint_dirs(root)
    if not resume:
        if dirs:
            raise CheckpointError(f"{out} already holds checkpoints (newest {dirs[-1].name}): pass --resume to "
                                  "continue the run, or choose another out_dir")
        return None
    reasons = []
    for ckpt in reversed(dirs):
        try:
            verify_checkpoint(ckpt)
            return ckpt
        except CheckpointError as e:
            aside = _set_aside(ckpt)
            log.warning("skipping checkpoint %s: %s; kept as %s", ckpt.name, e, aside.name)
            reasons.append(f"{ckpt.name}: {e}")
    held = [n for n in ("metrics.jsonl",) if (out / n).exists()] + sorted(p.name for p in root.glob("step_*"))
    if held:
        why = "; ".join(reasons) or "none is left"
        raise CheckpointError(
            f"--resume: {out} holds {', '.join(held)} but no valid checkpoint ({why}). Nothing was deleted; to "
            "start over, choose another out_dir or move this one away")
    return None


def choose_checkpoint(out: Path, resume: bool, world: World) -> Path | None:
    """The verified checkpoint every rank resumes from, or None for a fresh start.

    Rank 0 decides (it alone touches the out_dir) and broadcasts the outcome, so all ranks raise together.

    Raises:
        CheckpointError: an existing run without `resume`, or `resume` with run output but no valid checkpoint.
    """
    outcome: tuple[str | None, str | None] | None = None
    if world.rank == 0:
        try:
            ckpt = _pick(out, resume)
            outcome = (str(ckpt) if ckpt is not None else None, None)
        except CheckpointError as e:
            outcome = (None, str(e))
    path, error = broadcast_object(outcome)  # type: ignore[misc]
    if error is not None:
        raise CheckpointError(error)
    return Path(path) if path is not None else None
