"""Loading the policy: local directories, hub ids, and clear errors for both."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from or1.config import ModelConfig
from or1.trainer.setup import _is_hub_id, build_policy


@pytest.mark.parametrize(("path", "hub"), [
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", True),
    ("/abs/model", False),
    ("./rel/model", False),
    ("runs/demo/sft_model", False),  # two slashes: a local path
    ("model", False),
])
def test_hub_id_detection(path, hub):
    assert _is_hub_id(path) == hub


def test_local_model_directory_round_trip(warm_model_dir):
    model, tok = build_policy(ModelConfig(), 0, path=warm_model_dir)
    assert model.config.model_type == "qwen2" and tok.padding_side == "left"


def test_unreachable_hub_id_is_one_clear_error():
    # Offline mode: the hub is never contacted, the load fails at once.
    code = ("from or1.config import ModelConfig\nfrom or1.trainer.setup import build_policy\n"
            "build_policy(ModelConfig(), 0, path='org-that/does-not-exist')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert r.returncode != 0
    assert "model.path=org-that/does-not-exist: not a local model directory and not loadable" in r.stderr
