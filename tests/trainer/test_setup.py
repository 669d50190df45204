"""Loading the policy: local directories, hub ids, and clear errors for both."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from or1.config import ModelConfig
from or1.policy import _is_hub_id, build_policy


@pytest.mark.parametrize(("path", "hub"), [
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", True),
    ("/abs/model", False),
    ("./rel/model", False),
    ("runs/demo/sft_model", False),  # two slashes: a local path
    ("model", False),
    ("~/models/qwen", False),
    ("../qwen/7b", False),
    ("runs/sft_modle", False),  # runs/ exists: a typo of a local path, not org/name
    ("qwen\\7b", False),
])
def test_hub_id_detection(path, hub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    assert _is_hub_id(path) == hub


_TIMED_LOADS = """
import json, sys, time
from or1.config import ModelConfig
from or1.policy import build_policy
for path in sys.argv[1:]:
    t = time.perf_counter()
    try:
        build_policy(ModelConfig(), 0, path=path)
    except FileNotFoundError as e:
        print(json.dumps({"path": path, "error": str(e), "seconds": time.perf_counter() - t}))
"""


def test_missing_local_paths_fail_at_once(tmp_path):
    """A mistyped local path is an error before any hub access (`runs/sft_modle` used to go to the hub: 24
    retries, ~47 s). One process for all paths: the imports cost seconds, the checks must not."""
    (tmp_path / "runs").mkdir()
    paths = ["runs/sft_modle", "./runs/sft_model", "runs/demo/sft_modle", "~/no-such-or1-model"]
    r = subprocess.run([sys.executable, "-c", _TIMED_LOADS, *paths], capture_output=True, text=True, timeout=120,
                       cwd=tmp_path, env={**os.environ, "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr[-2000:]
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["path"] for o in out] == paths
    for o in out:
        assert o["error"].startswith(f"model.path={o['path']}: no such directory"), o
        assert o["seconds"] < 0.5, o


def test_local_model_directory_round_trip(warm_model_dir):
    model, tok = build_policy(ModelConfig(), 0, path=warm_model_dir)
    assert model.config.model_type == "qwen2" and tok.padding_side == "left"


def test_unreachable_hub_id_is_one_clear_error():
    # Offline mode: the hub is never contacted, the load fails at once.
    code = ("from or1.config import ModelConfig\nfrom or1.policy import build_policy\n"
            "build_policy(ModelConfig(), 0, path='org-that/does-not-exist')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert r.returncode != 0
    assert "model.path=org-that/does-not-exist: not a local model directory and not loadable" in r.stderr
