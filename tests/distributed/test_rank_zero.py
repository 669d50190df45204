"""RankZeroScorer under torchrun (2 gloo ranks): only rank 0 has verifiers, both ranks get its rewards."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import netns_skip_reason, torchrun_cmd
from or1.rewards.registry import ScoreRequest, default_registry

SCRIPT = Path(__file__).with_name("rank_zero_run.py")


@pytest.mark.skipif(netns_skip_reason() is not None, reason=str(netns_skip_reason()))
def test_both_ranks_get_rank_zero_rewards(tmp_path):
    cmd = torchrun_cmd([str(SCRIPT), str(tmp_path)], nproc=2, port=29521)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0, r1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1))
    answers = ["</think> \\boxed{4}", "</think> \\boxed{5}", "no think tag \\boxed{4}", "</think> \\boxed{2+2}"]
    with default_registry(workers=1) as reg:
        here = [[r.reward, r.status] for r in reg.score([ScoreRequest(a, "math", "tiny", "4") for a in answers])]
    assert r0 == r1 == here
    assert [r[0] for r in here] == [1.0, 0.0, 0.0, 1.0]
