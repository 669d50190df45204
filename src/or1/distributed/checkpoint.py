"""Sharded (DCP) checkpoints of model + optimiser for resume, and Hugging Face export from rank 0.

A DCP checkpoint is a directory of per-rank shard files plus `.metadata`; it can be loaded by a launch
with another world size (DCP reshards on load). It is written under `NAME.tmp` and renamed into place
by rank 0 once every rank has finished, so an interrupted save never leaves a torn checkpoint (the
directory must be on a filesystem all ranks share for multi-node runs).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch
import torch.distributed.checkpoint as dcp
from torch import nn
from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict
from transformers import AutoModelForCausalLM, PreTrainedTokenizerBase

from or1.atomic import atomic_dir, replace_dir
from or1.distributed.fsdp import full_state_dict
from or1.distributed.world import barrier, is_main

__all__ = ["load_sharded", "save_hf", "save_sharded"]


def save_sharded(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> Path:
    """Write model and optimiser shards to the directory `path` (replaced if present); all ranks call it.

    Each rank writes only its own shards: no rank ever holds the full model or optimiser state.
    """
    final = Path(path)
    tmp = final.with_name(final.name + ".tmp")
    if is_main() and tmp.exists():
        shutil.rmtree(tmp)
    barrier()
    msd, osd = get_state_dict(model, optimizer)
    dcp.save({"model": msd, "optimizer": osd}, checkpoint_id=tmp)
    barrier()
    if is_main():
        replace_dir(tmp, final)
    barrier()
    return final


def load_sharded(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """Load a `save_sharded` checkpoint into the (already wrapped) model and its optimiser, in place.

    Raises:
        FileNotFoundError: `path` holds no DCP metadata.
    """
    if not (Path(path) / ".metadata").is_file():
        raise FileNotFoundError(f"{path} is not a sharded checkpoint (no .metadata)")
    msd, osd = get_state_dict(model, optimizer)  # the target layout: this launch's shards
    state: dict[str, Any] = {"model": msd, "optimizer": osd}
    dcp.load(state, checkpoint_id=Path(path))
    set_state_dict(model, optimizer, model_state_dict=state["model"], optim_state_dict=state["optimizer"])


def save_hf(model: nn.Module, tokenizer: PreTrainedTokenizerBase, out_dir: str | Path) -> Path:
    """Gather the full weights and write a Hugging Face model directory from rank 0; all ranks call it.

    The weights go into a plain model of the same config built on the meta device (no second copy in
    memory), so the directory names the original architecture and loads with `AutoModelForCausalLM`.
    """
    out = Path(out_dir)
    weights = full_state_dict(model)
    if is_main():
        with torch.device("meta"):
            plain = AutoModelForCausalLM.from_config(model.config)
        plain.load_state_dict(weights, assign=True)
        plain.tie_weights()
        with atomic_dir(out) as tmp:
            plain.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
    barrier()
    return out
