"""Collecting a step's groups: online filtering keeps whole informative groups and refills."""

from __future__ import annotations

import pytest

from or1.algo.stages import StageSchedule
from or1.config import ModelConfig
from or1.policy import build_policy
from or1.rewards.registry import default_registry
from or1.rollout.hf_engine import HFEngine
from or1.rollout.prompts import eos_token_ids
from or1.trainer.collect import _refill_size, collect_groups
from or1.trainer.prompt_sampler import PromptSampler
from or1.trainer.setup import load_data


@pytest.mark.parametrize(("kept", "sampled", "expected"), [
    (0, 0, 16),   # first try: the whole batch
    (12, 16, 7),  # 4 missing at rate 0.75 -> ceil(1.25 * 4 / 0.75) = ceil(6.67) = 7
    (0, 16, 16),  # nothing kept yet: capped at a batch
    (15, 16, 2),  # 1 missing at 15/16 -> ceil(1.25 / 0.9375) = 2
])
def test_refill_size(kept, sampled, expected):
    assert _refill_size(16, kept, sampled) == expected


@pytest.fixture(scope="module")
def setup(warm_model_dir, easy_task):
    model, tok = build_policy(ModelConfig(), 0, path=warm_model_dir)
    problems, ids = load_data((str(easy_task["train"]),), tok, 512)
    with default_registry(workers=1) as reg:
        yield model, tok, problems, ids, reg


def _collect(setup, online: bool, refills: int = 3):
    model, tok, problems, ids, reg = setup
    stage = StageSchedule([{"steps": 1, "max_response_length": 32, "batch_size": 6, "mini_batch_size": 6,
                            "group_size": 4, "temperature": 1.0}]).at(0)
    sampler = PromptSampler(len(problems), seed=0)
    engine = HFEngine(model, eos_token_ids(tok), tok.pad_token_id)
    return collect_groups(engine, tok, reg, problems, ids, sampler, stage, top_p=1.0, seed=1, online_filter=online,
                          max_refills=refills), sampler


def test_online_filter_keeps_whole_informative_groups(setup):
    (batch, stats), sampler = _collect(setup, online=True)
    assert batch is not None and 1 <= batch.num_groups <= 6
    rewards = batch.rewards.view(-1, 4)
    assert ((rewards.min(1).values == 0) & (rewards.max(1).values == 1)).all()  # every group is mixed
    assert batch.response_ids.shape[0] == batch.rewards.numel() == 4 * len(batch.prompt_ids)  # whole groups
    rows = batch.row_prompts()
    assert all(rows[g * 4 + j] is batch.prompt_ids[g] for g in range(batch.num_groups) for j in range(4))
    assert stats["filter/groups"] == batch.num_groups
    assert 0 < stats["filter/kept_frac"] < 1 or stats["filter/tries"] == 1
    assert sampler.pos + sampler.epoch * 300 >= 6  # prompts consumed from the sampler


def test_without_online_filter_every_group_trains(setup):
    (batch, stats), _ = _collect(setup, online=False)
    assert batch.num_groups == 6 and stats["filter/tries"] == 1
    assert batch.response_ids.shape[0] == batch.old_logp.shape[0] == 24
