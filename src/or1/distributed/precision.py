"""The precision the policy trains in: one decision for one process and for torchrun (docs/distributed.md).

`distributed.mixed_precision: true` means bf16 compute with fp32 master weights, fp32 gradients and fp32
optimiser state, whatever the world size:

| mixed_precision | world size | weights + AdamW state | forward / backward | how                              |
|-----------------|------------|-----------------------|--------------------|----------------------------------|
| true            | 1          | fp32                  | bf16               | `torch.autocast` around forwards |
| true            | > 1        | fp32 (sharded)        | bf16               | FSDP2 `MixedPrecisionPolicy`     |
| false           | any        | model.dtype           | model.dtype        | nothing cast                     |

`model.dtype: bfloat16` without mixed precision is pure bf16: weights and AdamW state in bf16, so an update
smaller than half a bf16 step of a weight rounds away (`bf16_update_check`). With mixed precision it is a
ConfigError: the trained weights are the fp32 master copy, so `model.dtype` must be float32.

The decision travels on the model (`set_precision` / `precision_of`, a plain attribute, kept by deepcopy and
pickling) so the trainer's forwards find it without another argument: `compute_context(model)`.
"""

from __future__ import annotations

import contextlib
import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn
from torch.distributed.fsdp import MixedPrecisionPolicy

from or1.config import ConfigError

__all__ = ["BF16_MANTISSA_BITS", "Bf16Check", "Precision", "bf16_update_check", "choose_precision",
           "compute_context", "precision_of", "set_precision", "warn_if_updates_round_away"]

log = logging.getLogger(__name__)

BF16_MANTISSA_BITS = 8  # significant bits, the implicit one included: bf16 keeps 3 decimal digits
_ATTR = "or1_precision"  # the attribute of the model that holds its `Precision`


@dataclass(frozen=True)
class Precision:
    """How the policy trains.

    Attributes:
        master_dtype: the trained weights, their gradients and the optimiser state built on them.
        compute_dtype: what the forward and backward matmuls run in.
        autocast: the trainer's forwards run under `torch.autocast(device, compute_dtype)` (one process);
            False when nothing is cast or when FSDP2 casts the gathered weights itself (torchrun).
    """

    master_dtype: torch.dtype = torch.float32
    compute_dtype: torch.dtype = torch.float32
    autocast: bool = False

    @property
    def mixed(self) -> bool:
        return self.compute_dtype != self.master_dtype

    def fsdp_policy(self) -> MixedPrecisionPolicy:
        """FSDP2's policy: gathered weights cast to the compute dtype, gradients reduced in the master dtype."""
        if not self.mixed:
            return MixedPrecisionPolicy()
        return MixedPrecisionPolicy(param_dtype=self.compute_dtype, reduce_dtype=self.master_dtype)

    def context(self, device: torch.device) -> AbstractContextManager:
        """The context the trainer's forwards run in on `device`: autocast, or nothing."""
        if not self.autocast:
            return contextlib.nullcontext()
        return torch.autocast(device_type=device.type, dtype=self.compute_dtype)


def choose_precision(mixed_precision: bool, world_size: int, model_dtype: torch.dtype) -> Precision:
    """The precision of a run from `distributed.mixed_precision`, the world size and the loaded weights' dtype.

    Mixed precision: fp32 master, bf16 compute; by autocast in one process, by FSDP2 with several. Otherwise
    the weights' own dtype throughout (bf16 weights: pure bf16, see `bf16_update_check`).

    Raises:
        ConfigError: mixed precision asked for on bf16 weights (there would be no fp32 master copy).
    """
    if not mixed_precision:
        return Precision(model_dtype, model_dtype, autocast=False)
    if model_dtype != torch.float32:
        raise ConfigError(
            f"distributed.mixed_precision=true needs fp32 master weights, but model.dtype gives {model_dtype}: "
            "set model.dtype: float32 (compute is bf16 anyway), or distributed.mixed_precision: false for pure "
            "bf16 weights")
    return Precision(torch.float32, torch.bfloat16, autocast=world_size == 1)


def set_precision(model: nn.Module, precision: Precision) -> None:
    """Record on `model` how it trains (read back by `precision_of` and `compute_context`)."""
    object.__setattr__(model, _ATTR, precision)  # a plain attribute, not a submodule or buffer


def precision_of(model: nn.Module) -> Precision:
    """The precision recorded on `model`; unrecorded: its weights' dtype throughout, nothing cast."""
    p = getattr(model, _ATTR, None)
    if isinstance(p, Precision):
        return p
    dtype = next(model.parameters()).dtype
    return Precision(dtype, dtype, autocast=False)


def compute_context(model: nn.Module) -> AbstractContextManager:
    """The context for a forward of `model` (and its backward): autocast to bf16 under one-process mixed
    precision, nothing otherwise. π_old and π_θ must come from forwards in the same context, so that the
    ratio starts at exactly 1."""
    return precision_of(model).context(next(model.parameters()).device)


class Bf16Check(NamedTuple):
    """What an update of size lr does to bf16 weights."""

    median_abs: float  # median |w| over the weights (a sample of up to 2^20 of them)
    min_lr: float  # 2^-8 × median_abs: below it, the median weight does not move
    moved_frac: float  # share of the weights that a step of size lr changes


def bf16_update_check(model: nn.Module, lr: float, sample: int = 1 << 20) -> Bf16Check:
    """Which share of bf16 weights an optimiser step of size `lr` changes at all.

    bf16 keeps 8 significant bits: w with |w| in [2^(e-1), 2^e) has a spacing of 2^(e-8), and w - δ rounds
    back to w unless |δ| > 2^(e-9), half the spacing. An AdamW step moves each weight by about lr (its
    normalised step m/√v is ±1 at first), so it changes only the weights with 2^(e-9) < lr.
    Worked example: lr 1e-6, weights ~ N(0, 0.02²): median |w| 0.0135, min_lr = 0.0135 / 256 = 5.3e-5, and
    only |w| < 512·lr ≈ 5e-4 move, about 2% of them. Sharded weights (DTensor) are read on this rank's shard.
    """
    flats = [_local(p).detach().reshape(-1) for p in model.parameters()]
    total = sum(f.numel() for f in flats)
    step = max(1, total // sample)  # every step-th weight of each tensor: a sample spread over the model
    w = torch.cat([f[::step].float().cpu() for f in flats])  # (≤ sample + #tensors,)
    median = float(w.abs().median())
    _, e = torch.frexp(w[w != 0])  # |w| = m·2^e, m in [0.5, 1)
    half_step = torch.exp2((e - (BF16_MANTISSA_BITS + 1)).float())  # half the bf16 spacing at each w
    moved = float((lr > half_step).float().mean()) if e.numel() else 1.0
    return Bf16Check(median, median * 2.0 ** -BF16_MANTISSA_BITS, moved)


def warn_if_updates_round_away(model: nn.Module, lr: float) -> Bf16Check | None:
    """On bf16 master weights, warn when `lr` is below what a bf16 update can represent; None otherwise."""
    if precision_of(model).master_dtype != torch.bfloat16:
        return None
    c = bf16_update_check(model, lr)
    if lr < c.min_lr:
        log.warning(
            "pure bf16 weights (model.dtype=bfloat16, distributed.mixed_precision=false): algo.lr=%.3g is below "
            "2^-8 x median |w| = %.3g, so an update rounds away on most weights (a step of lr changes %.1f%% of "
            "them). Train with fp32 master weights: distributed.mixed_precision: true with model.dtype: float32",
            lr, c.min_lr, 100 * c.moved_frac)
    return c


def _local(p: torch.Tensor) -> torch.Tensor:
    """This rank's shard of a DTensor parameter; the tensor itself otherwise."""
    to_local = getattr(p, "to_local", None)
    return to_local() if callable(to_local) else p
