"""Data-parallel training with torchrun + FSDP2: process world, sharding, checkpoints (docs/distributed.md)."""

from or1.distributed.checkpoint import load_sharded, save_hf, save_sharded
from or1.distributed.fsdp import decoder_layers, full_state_dict, wrap_model
from or1.distributed.precision import Precision, choose_precision, compute_context, precision_of, set_precision
from or1.distributed.sharding import rank_share
from or1.distributed.world import (
    World,
    all_reduce_sum,
    barrier,
    broadcast_object,
    init_distributed,
    is_main,
    shutdown,
    world,
)

__all__ = [
    "Precision",
    "World",
    "all_reduce_sum",
    "barrier",
    "broadcast_object",
    "choose_precision",
    "compute_context",
    "decoder_layers",
    "full_state_dict",
    "init_distributed",
    "is_main",
    "load_sharded",
    "precision_of",
    "rank_share",
    "save_hf",
    "save_sharded",
    "set_precision",
    "shutdown",
    "world",
    "wrap_model",
]
