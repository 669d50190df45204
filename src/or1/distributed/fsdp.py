"""FSDP2 (`fully_shard`) wrapping of a Hugging Face causal LM, and gathering its full weights.

Each decoder layer is one FSDP unit (its parameters are all-gathered just before its forward and freed
after), and the root unit holds the rest (embeddings, final norm, LM head). Parameters, gradients and the
optimiser state built on them are sharded dim-0 across ranks as DTensors.
"""

from __future__ import annotations

from typing import TypeVar, cast

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict
from torch.distributed.fsdp import FSDPModule, fully_shard

from or1.distributed.precision import choose_precision, set_precision

__all__ = ["decoder_layers", "full_state_dict", "wrap_model"]

M = TypeVar("M", bound=nn.Module)


def decoder_layers(model: nn.Module) -> list[nn.Module]:
    """The model's repeated blocks: modules whose class the model lists as never to be split.

    Hugging Face models name them in `_no_split_modules` (e.g. `Qwen2DecoderLayer`), which is exactly
    the FSDP unit boundary every HF FSDP integration uses.

    Raises:
        ValueError: the model names no such class, or none is found.
    """
    names = set(getattr(model, "_no_split_modules", None) or [])
    layers = [m for m in model.modules() if type(m).__name__ in names]
    if not layers:
        raise ValueError(f"{type(model).__name__} lists no decoder layer class in _no_split_modules")
    return layers


def wrap_model(model: M, *, mixed_precision: bool = False, activation_checkpointing: bool = False) -> M:
    """Shard `model` in place with FSDP2: each decoder layer, then the root. One process: not sharded.

    Either way the run's precision (`precision.choose_precision`) is recorded on the model: the trainer's
    forwards read it (`compute_context`), so mixed precision means the same in one process as under torchrun.

    Gradients are SUMMED across ranks, not averaged (FSDP's default): each rank backpropagates its share
    of the global token mean (`policy_update(..., global_sum=all_reduce_sum)`), so the sum of the shares
    is the single-process gradient, whatever the world size. Averaging would scale it by 1/W.

    Args:
        model: a Hugging Face causal LM, on its device, in fp32.
        mixed_precision: compute in bf16, keep the master weights, gradients and optimiser state in fp32.
            Under torchrun FSDP2 casts the all-gathered parameters to bf16 and reduces gradients in fp32; in
            one process the trainer's forwards run under bf16 autocast. Needs an fp32 model (ConfigError
            otherwise).
        activation_checkpointing: recompute each layer's activations in backward (Hugging Face's
            non-reentrant gradient checkpointing): less memory for long contexts, ~1/3 more compute.

    Returns:
        The same module object, an `FSDPModule` too under torchrun.

    Raises:
        ConfigError: `mixed_precision` on a bf16 model.
    """
    world_size = dist.get_world_size() if dist.is_initialized() else 1
    precision = choose_precision(mixed_precision, world_size, next(model.parameters()).dtype)
    set_precision(model, precision)
    if activation_checkpointing:
        _enable_activation_checkpointing(model)
    if world_size == 1:
        return model
    mp = precision.fsdp_policy()
    for layer in decoder_layers(model):
        fully_shard(layer, mp_policy=mp)
    fully_shard(model, mp_policy=mp)
    for m in model.modules():
        if isinstance(m, FSDPModule):
            m.set_gradient_divide_factor(1.0)  # sum, see above
            m.set_force_sum_reduction_for_comms(True)  # a plain SUM collective: gloo has no PREMUL_SUM
    return model


def _enable_activation_checkpointing(model: nn.Module) -> None:
    """Hugging Face's per-layer checkpointing, non-reentrant (the variant that composes with FSDP2)."""
    kwargs = {"use_reentrant": False}
    enable = getattr(model, "activation_checkpointing_enable", None)  # transformers >= 5.2x
    if enable is not None:
        enable(activation_checkpointing_kwargs=kwargs)
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)  # type: ignore[operator]


def full_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The full (unsharded) weights on CPU, on rank 0; an empty dict on other ranks.

    Every rank must call it (it all-gathers). Peak memory on rank 0 is one full copy of the weights in
    CPU RAM, as for any Hugging Face export.
    """
    if not dist.is_initialized():
        return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    opts = StateDictOptions(full_state_dict=True, cpu_offload=True)
    return cast(dict[str, torch.Tensor], get_model_state_dict(model, options=opts))
