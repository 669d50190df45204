"""Rollouts split across data-parallel groups (2 gloo ranks) equal one engine sampling the whole batch."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import torch

from conftest import netns_skip_reason, torchrun_cmd

from .dp_rollout_run import PARAMS, setup

SCRIPT = Path(__file__).with_name("dp_rollout_run.py")


@pytest.mark.skipif(netns_skip_reason() is not None, reason=str(netns_skip_reason()))
def test_every_rank_gets_the_whole_batch_of_one_engine(tmp_path):
    proc = subprocess.run(torchrun_cmd([str(SCRIPT), str(tmp_path)], nproc=2, port=29531), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    engine, prompts, _ = setup()
    ref = engine.generate(prompts, PARAMS, seed=7)
    assert ref.response_ids.shape[0] == 15 and len(set(map(tuple, ref.response_ids.tolist()))) > 1
    for rank in (0, 1):
        got = torch.load(tmp_path / f"rank{rank}.pt", weights_only=False)
        for tp in (1, 2):
            g = got[tp]
            assert g["prompts"] == ref.prompt_ids
            assert torch.equal(g["ids"], ref.response_ids) and torch.equal(g["mask"], ref.resp_mask)
            assert torch.equal(g["trunc"], ref.truncated)
            assert torch.allclose(g["logp"], ref.old_logp, atol=1e-6)
