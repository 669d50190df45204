"""Group sharding across ranks: whole groups, an equal slice of every mini-batch."""

from __future__ import annotations

import pytest

from or1.distributed.sharding import local_groups


@pytest.mark.parametrize(("groups", "mini", "world", "expected"), [
    (8, 4, 2, [[0, 1, 4, 5], [2, 3, 6, 7]]),  # two mini-batches of 4 groups, 2 per rank in each
    (8, 8, 2, [[0, 1, 2, 3], [4, 5, 6, 7]]),  # on-policy: one mini-batch
    (6, 4, 2, [[0, 1, 4], [2, 3, 5]]),  # last mini-batch short (2 groups): 1 per rank
    (4, 4, 1, [[0, 1, 2, 3]]),  # one process: everything, in order
])
def test_each_rank_gets_its_slice_of_every_mini_batch(groups, mini, world, expected):
    shares = [local_groups(groups, mini, r, world) for r in range(world)]
    assert shares == expected
    assert sorted(g for s in shares for g in s) == list(range(groups))  # a partition: nothing lost or doubled


@pytest.mark.parametrize(("groups", "mini", "world"), [(7, 4, 2), (8, 3, 2), (8, 4, 3)])
def test_uneven_split_is_refused(groups, mini, world):
    with pytest.raises(ValueError, match="divisible by the world size"):
        local_groups(groups, mini, 0, world)


def test_rank_outside_world_is_refused():
    with pytest.raises(ValueError, match="outside world size"):
        local_groups(8, 4, 2, 2)
