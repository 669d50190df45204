"""Rollout actors on a local Ray cluster sample what `HFEngine` samples, from the weights last synced.

`ray_rollout_run.py` runs in a loopback-only network namespace (ray_netns.py) and records batches of the
tiny model from a 2-actor and a 1-actor `RayRolloutEngine`, with in-process `HFEngine` references, before
and after the trainer's weights change and are synced, and after one actor is killed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from or1.distributed.ray_cluster import split_even
from or1.distributed.ray_rollout import chunk_seed
from or1.rollout.types import RolloutBatch, cat_batches

from .ray_netns import netns_report

SCRIPT = Path(__file__).with_name("ray_rollout_run.py")
LOGP_ATOL = 1e-6  # seen: 0.0 (one thread on both sides)

@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    return netns_report(tmp_path_factory, SCRIPT, "ray_rollout")


def _same(a: RolloutBatch, b: RolloutBatch) -> bool:
    return (a.prompt_ids == b.prompt_ids and a.group_size == b.group_size
            and a.response_ids.shape == b.response_ids.shape and torch.equal(a.response_ids, b.response_ids)
            and torch.equal(a.resp_mask, b.resp_mask) and torch.equal(a.truncated, b.truncated)
            and torch.allclose(a.old_logp, b.old_logp, atol=LOGP_ATOL, rtol=0))


@pytest.mark.parametrize("name", ["two_a", "one", "two_new", "one_new"])
def test_shapes_and_masks(run, name):
    b: RolloutBatch = run[name]
    P, G = len(run["prompts"]), run["group_size"]
    N, T = b.response_ids.shape  # (N, T)
    max_t = run["max_tokens"]
    assert b.prompt_ids == run["prompts"] and b.group_size == G
    assert N == P * G and max_t >= T and b.resp_mask.shape == b.old_logp.shape == (N, T)
    mask = b.resp_mask
    assert torch.equal(mask, mask.cummin(dim=1).values)  # a prefix of each row: nothing after the end
    assert (b.response_ids[~mask] == run["pad_id"]).all() and (b.old_logp[~mask] == 0).all()
    assert (b.old_logp[mask] <= 0).all()
    last = b.response_ids.gather(1, (b.lengths - 1).clamp(min=0)[:, None])[:, 0]  # (N,) last real token
    ends_in_eos = torch.isin(last, torch.tensor(run["eos_ids"]))
    assert torch.equal(b.truncated, ~ends_in_eos)
    assert (b.lengths[b.truncated] == max_t).all()


def test_same_seed_same_samples_other_seed_other_samples(run):
    assert _same(run["two_a"], run["two_b"])
    assert not torch.equal(run["two_a"].response_ids, run["two_other_seed"].response_ids)


def test_actors_equal_hf_engine_chunk_by_chunk(run):
    assert _same(run["two_a"], run["two_ref"])  # 2 actors = HFEngine on each chunk with its chunk seed
    assert _same(run["one"], run["one_ref"])  # 1 actor = HFEngine with the same seed


def test_actors_sample_from_the_weights_last_synced(run):
    assert _same(run["two_stale"], run["two_a"])  # trainer changed, not synced: old weights still
    assert run["version_before"] == 1 and run["version_after"] == (2, 2)
    assert not torch.equal(run["two_new"].resp_mask, run["two_a"].resp_mask)
    assert _same(run["two_new"], run["two_new_ref"]) and _same(run["one_new"], run["one_new_ref"])
    assert run["two_new"].truncated.float().mean() < run["two_a"].truncated.float().mean()  # EOS likelier now


def test_a_killed_actor_is_replaced_with_the_current_weights(run):
    assert run["retries"] == 1 and run["killed_pid"] not in run["pids_after"]
    assert _same(run["two_after_kill"], run["two_new"])


@pytest.mark.parametrize(("n", "parts", "sizes"), [
    (5, 2, [3, 2]), (6, 3, [2, 2, 2]), (2, 4, [1, 1]), (1, 1, [1]), (0, 2, []), (7, 1, [7]),
])
def test_split_even(n, parts, sizes):
    ranges = split_even(n, parts)
    assert [len(r) for r in ranges] == sizes
    assert [i for r in ranges for i in r] == list(range(n))  # contiguous, in order, nothing lost


def test_chunk_seed_keeps_chunk_zero_and_separates_the_rest():
    assert chunk_seed(11, 0) == 11
    seeds = {chunk_seed(s, i) for s in range(20) for i in range(1, 8)}
    assert len(seeds) == 140 and all(0 <= x < 2**63 for x in seeds)
    assert chunk_seed(11, 3) == chunk_seed(11, 3)


def test_cat_batches_right_pads_to_the_widest_chunk():
    def part(n: int, t: int, v: int) -> RolloutBatch:
        return RolloutBatch([[v]], torch.full((n, t), v), torch.ones(n, t, dtype=torch.bool),
                            torch.full((n, t), -1.0), torch.zeros(n, dtype=torch.bool), n)
    b = cat_batches([part(2, 3, 5), part(2, 1, 6)], pad_id=0)
    assert b.prompt_ids == [[5], [6]] and b.group_size == 2
    assert b.response_ids.tolist() == [[5, 5, 5], [5, 5, 5], [6, 0, 0], [6, 0, 0]]
    assert b.lengths.tolist() == [3, 3, 1, 1] and b.old_logp[2:, 1:].eq(0).all()
