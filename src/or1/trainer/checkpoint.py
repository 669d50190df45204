"""Atomic, self-verifying checkpoints: model (HF format), optimiser, train state, config and a manifest.

Layout: OUT/checkpoints/step_000020/{model/, optimizer.pt, state.pt, config.yaml, MANIFEST.json}. The
manifest (sizes, sha256, step, config fingerprint; `manifest.py`) is written last inside a `*.tmp`
folder, which is then renamed into place: a run killed mid-save leaves only a `*.tmp` folder (removed at
the next start), never a checkpoint that claims to be whole. OUT/checkpoints/latest names the newest one
for people and tools; or1 itself trusts manifests, not `latest` (`resume.py`).
Under torchrun, `optimizer.pt` is replaced by `sharded/` (model + optimiser shards written by every rank
with torch.distributed.checkpoint); `model/` is then the gathered full weights, for export and evaluation.
"""

from __future__ import annotations

import errno
import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

import torch
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from or1.atomic import atomic_dir, replace_dir, write_text_atomic
from or1.checkpoints import checkpoint_dirs
from or1.distributed import barrier, is_main, load_sharded, save_hf, save_sharded
from or1.manifest import CheckpointError, HashingWriter, read_manifest, write_manifest

__all__ = ["CheckpointError", "load_checkpoint", "restore_optimizer", "save_checkpoint", "save_checkpoint_sharded"]

log = logging.getLogger(__name__)

# What a full disk looks like from each writer: OSError from Python, safetensors' IoError text, torch's zip
# writer ("[enforce fail at inline_container.cc] unexpected pos", which never says "disk").
_DISK_FULL_MARKERS = ("No space left", "StorageFull", "unexpected pos", "file write failed", "Disk quota")


def _torch_save(obj: Any, path: Path) -> dict[str, Any]:
    """torch.save through a hashing writer: the file's manifest entry costs no second read."""
    with HashingWriter(path) as w:
        torch.save(obj, cast(IO[bytes], w))  # a binary file as far as torch.save needs (write, flush)
    return w.digest()


def _is_disk_full(e: BaseException) -> bool:
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return any(m in str(e) for m in _DISK_FULL_MARKERS)


def _estimate_bytes(root: Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """Bytes a checkpoint takes: the previous one's manifest total, else the tensors' sizes."""
    for ckpt in reversed(checkpoint_dirs(root)):
        try:
            return int(read_manifest(ckpt)["bytes"])
        except (CheckpointError, KeyError, ValueError):
            continue
    tensors = [*model.state_dict().values(), *(v for s in optimizer.state.values() for v in s.values())]
    return sum(t.numel() * t.element_size() for t in tensors if isinstance(t, torch.Tensor))


@contextmanager
def _writing(root: Path, tmp: Path, final: Path, estimate: Callable[[], int]) -> Iterator[list[str]]:
    """Remove `tmp` if the save fails; turn a full disk into one error with the bytes needed and free.

    Yields a one-item list the caller sets to the file being written, so the error can name it.
    """
    current = ["?"]
    try:
        yield current
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)  # a half checkpoint would only fill the disk further
        if isinstance(e, Exception) and _is_disk_full(e):
            free = shutil.disk_usage(root).free
            raise CheckpointError(
                f"no space left on device writing {final.name}/{current[0]} under {root}: a checkpoint needs about "
                f"{estimate():,} bytes, {free:,} are free; older checkpoints are intact") from e
        raise


def save_checkpoint(root: Path, step: int, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
                    optimizer: torch.optim.Optimizer, state: dict[str, Any], config_yaml: str, keep: int) -> Path:
    """Write checkpoint `step` under `root` atomically, point `latest` at it, keep the newest `keep`.

    Raises:
        CheckpointError: the disk filled up (the message gives the bytes needed and free).
    """
    final = root / f"step_{step:06d}"
    estimate = lambda: _estimate_bytes(root, model, optimizer)  # noqa: E731
    with atomic_dir(final) as tmp, _writing(root, tmp, final, estimate) as current:
        current[0] = "model/"
        model.save_pretrained(tmp / "model")
        tokenizer.save_pretrained(tmp / "model")
        current[0] = "optimizer.pt"
        known = {"optimizer.pt": _torch_save(optimizer.state_dict(), tmp / "optimizer.pt")}
        current[0] = "state.pt"
        known["state.pt"] = _torch_save(state, tmp / "state.pt")
        current[0] = "config.yaml"
        (tmp / "config.yaml").write_text(config_yaml)
        current[0] = "MANIFEST.json"
        write_manifest(tmp, step, state["fingerprint"], known)
    _point_and_prune(root, final, keep)
    return final


def save_checkpoint_sharded(root: Path, step: int, model: nn.Module, tokenizer: PreTrainedTokenizerBase,
                            optimizer: torch.optim.Optimizer, state: dict[str, Any], config_yaml: str, keep: int
                            ) -> Path:
    """The torchrun form of `save_checkpoint`; every rank calls it, rank 0 publishes.

    Each rank writes its model and optimiser shards to `sharded/`; the full weights are gathered to rank 0
    for `model/`; rank 0 writes the train state (the same on every rank), hashes the shard files the other
    ranks wrote into the manifest, and renames the folder into place.
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
        with _writing(root, tmp, final, lambda: _estimate_bytes(root, model, optimizer)) as current:
            current[0] = "state.pt"
            known = {"state.pt": _torch_save(state, tmp / "state.pt")}
            current[0] = "config.yaml"
            (tmp / "config.yaml").write_text(config_yaml)
            current[0] = "MANIFEST.json"
            write_manifest(tmp, step, state["fingerprint"], known)
        replace_dir(tmp, final)
        _point_and_prune(root, final, keep)
    barrier()
    return final


def _point_and_prune(root: Path, final: Path, keep: int) -> None:
    """Point `latest` at the checkpoint just published, keep the newest `keep` checkpoints."""
    write_text_atomic(root / "latest", final.name)
    for old in checkpoint_dirs(root)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def _torch_load(path: Path) -> Any:
    """torch.load that names the file when it cannot be read (the bare errors name none)."""
    try:
        return torch.load(path, weights_only=False)
    except Exception as e:
        raise CheckpointError(f"{path} is unreadable ({type(e).__name__}: {str(e)[:200]})") from e


def load_checkpoint(ckpt: Path, fingerprint: str) -> dict[str, Any]:
    """The train state of a verified checkpoint made by a run with the same config fingerprint.

    Raises:
        CheckpointError: the manifest is missing or unreadable, the checkpoint was written under another
            config, or its state file cannot be read.
    """
    saved_fp = read_manifest(ckpt).get("fingerprint")
    if saved_fp != fingerprint:
        raise CheckpointError(
            f"checkpoint {ckpt} was written by a run with a different config (fingerprint "
            f"{saved_fp} != {fingerprint}); only out_dir, checkpointing, validation, reward, watchdog "
            "and thread settings may change on resume (see its config.yaml)")
    return _torch_load(ckpt / "state.pt")


def restore_optimizer(ckpt: Path, model: nn.Module, optimizer: torch.optim.Optimizer, distributed: bool) -> None:
    """Load a checkpoint's optimiser state (and, from `sharded/`, the model shards) into this launch.

    A sharded checkpoint loads into any world size, one process included (DCP reshards). A one-process
    checkpoint (`optimizer.pt`) resumes one process only.

    Raises:
        CheckpointError: a one-process checkpoint resumed under torchrun, or an unreadable optimiser file.
    """
    if (ckpt / "sharded" / ".metadata").is_file():
        load_sharded(ckpt / "sharded", model, optimizer)
    elif distributed:
        raise CheckpointError(f"checkpoint {ckpt} was written by a one-process run (optimizer.pt); resume it "
                              "without torchrun, or start the torchrun launch from its model/ as model.path")
    else:
        optimizer.load_state_dict(_torch_load(ckpt / "optimizer.pt"))
