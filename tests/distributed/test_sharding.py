"""Group sharding across ranks: whole groups, contiguous shares that tile each mini-batch."""

from __future__ import annotations

import pytest

from or1.distributed.sharding import rank_share


@pytest.mark.parametrize(("first", "stop", "world", "expected"), [
    (0, 4, 2, [[0, 1], [2, 3]]),  # even split
    (4, 8, 2, [[4, 5], [6, 7]]),  # a later mini-batch
    (0, 5, 2, [[0, 1], [2, 3, 4]]),  # online filtering kept an odd number: sizes differ by one
    (0, 1, 2, [[], [0]]),  # fewer groups than ranks: a rank may train on nothing
    (0, 4, 1, [[0, 1, 2, 3]]),  # one process: everything, in order
    (0, 7, 3, [[0, 1], [2, 3], [4, 5, 6]]),
])
def test_shares_tile_the_mini_batch_in_order(first, stop, world, expected):
    shares = [list(rank_share(first, stop, r, world)) for r in range(world)]
    assert shares == expected
    assert [g for s in shares for g in s] == list(range(first, stop))  # a partition, in order


def test_rank_outside_world_is_refused():
    with pytest.raises(ValueError, match="outside world size"):
        rank_share(0, 8, 2, 2)
