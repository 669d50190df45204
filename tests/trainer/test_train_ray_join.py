"""`or1 train --ray-address` joins a cluster that `ray start --head` made, instead of starting its own."""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import netns_skip_reason, warm_run_config

pytestmark = [pytest.mark.slow,  # ~1 min: a second Ray start; the local-cluster path runs in the default suite
              pytest.mark.skipif(netns_skip_reason() is not None, reason=str(netns_skip_reason())),
              pytest.mark.skipif(not __import__("importlib").util.find_spec("ray"), reason="needs ray")]


def test_train_joins_an_existing_cluster(tmp_path, warm_model_dir, easy_task):
    cfg = warm_run_config(
        tmp_path, "joined", warm_model_dir, easy_task,
        stages=[{"steps": 1, "max_response_length": 24, "batch_size": 4, "mini_batch_size": 4, "group_size": 4}],
        filter={"online": True, "max_refills": 0, "offline": False}, threads=1)
    ray = str(Path(sys.executable).with_name("ray"))
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # Ray's socket paths must stay under 108 bytes
    head = [ray, "start", "--head", "--port=6391", "--num-cpus=2", "--include-dashboard=false", f"--temp-dir={temp}"]
    train = [sys.executable, "-m", "or1.cli", "train", str(cfg), "--no-progress", "--ray-address", "127.0.0.1:6391"]
    script = (f"ip link set lo up && {shlex.join(head)} >/dev/null && {shlex.join(train)}; rc=$?; "
              f"{shlex.join([ray, 'stop', '--force'])} >/dev/null 2>&1; exit $rc")
    # own network and PID namespaces: loopback only, and `ray stop` sees this cluster's processes alone
    proc = subprocess.run(["unshare", "-n", "-p", "-f", "-m", "--mount-proc", "sh", "-c", script],
                          capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "ray: joined cluster at 127.0.0.1:6391" in proc.stderr, proc.stderr[-3000:]
    assert (tmp_path / "joined" / "checkpoints" / "step_000001" / "model" / "model.safetensors").is_file()
