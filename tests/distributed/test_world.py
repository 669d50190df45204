"""Without torchrun, the world is one process and every collective is the identity."""

from __future__ import annotations

import torch

from or1.distributed import World, all_reduce_sum, init_distributed, is_main, world, wrap_model


def test_environment_defines_the_world(monkeypatch):
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(k, raising=False)
    assert world() == World(0, 1, 0) and not world().distributed and is_main()
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert world() == World(3, 4, 1) and world().distributed and not is_main()


def test_single_process_is_a_no_op(monkeypatch, tiny_model):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert init_distributed() == World()
    x = torch.tensor([1.0, 2.0])
    y = all_reduce_sum(x)
    assert torch.equal(y, x) and y is not x  # a copy, never the caller's tensor
    assert wrap_model(tiny_model) is tiny_model
