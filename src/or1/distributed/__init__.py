"""Data-parallel training with torchrun + FSDP2: process world, sharding, checkpoints (docs/distributed.md)."""

from or1.distributed.checkpoint import load_sharded, save_hf, save_sharded
from or1.distributed.fsdp import decoder_layers, full_state_dict, wrap_model
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
    "World",
    "all_reduce_sum",
    "barrier",
    "broadcast_object",
    "decoder_layers",
    "full_state_dict",
    "init_distributed",
    "is_main",
    "load_sharded",
    "rank_share",
    "save_hf",
    "save_sharded",
    "shutdown",
    "world",
    "wrap_model",
]
