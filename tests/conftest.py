"""Shared fixtures: the tiny tokenizer and model, task files, and a briefly fine-tuned policy.

Nothing is downloaded: models are built from configs, data is generated.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from or1.tiny.model import build_tiny_model
from or1.tiny.task import write_task_files
from or1.tiny.tokenizer import build_tokenizer

# A smaller model than the demo's, so SFT on the easy task variant takes seconds.
SMALL = {"hidden_size": 64, "num_layers": 2, "num_heads": 4, "num_kv_heads": 2, "intermediate_size": 256}


@pytest.fixture(scope="session")
def tokenizer():
    return build_tokenizer()


@pytest.fixture
def tiny_model(tokenizer):
    return build_tiny_model(tokenizer, **SMALL)


@pytest.fixture(scope="session")
def easy_task(tmp_path_factory) -> dict[str, Path]:
    """Single-digit `a+b-c`: learnable in a few hundred SFT steps."""
    return write_task_files(tmp_path_factory.mktemp("easy"), 300, 16, seed=0, low=1, high=9)


@pytest.fixture(scope="session")
def warm_model_dir(tmp_path_factory, easy_task) -> Path:
    """An HF directory of the small model after 250 SFT steps: right on ~20% of easy problems, so RL
    batches hold informative groups."""
    from or1.problems.schema import load_problems
    from or1.trainer.sft import sft

    tok = build_tokenizer()
    model = build_tiny_model(tok, **SMALL)
    sft(model, tok, load_problems(easy_task["train"]), max_steps=250, batch_size=32, lr=3e-3, warmup=20, seed=0)
    out = tmp_path_factory.mktemp("warm") / "model"
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def write_config(path: Path, **sections) -> Path:
    """A small training config as YAML; keyword arguments replace top-level sections."""
    cfg = {
        "seed": 0,
        "out_dir": str(path.parent / "run"),
        "model": {"path": None, **SMALL},
        "data": {"train_files": [], "val_files": []},
        "stages": [
            {"steps": 2, "max_response_length": 24, "batch_size": 4, "mini_batch_size": 2, "group_size": 4},
            {"steps": 2, "max_response_length": 28, "batch_size": 4, "mini_batch_size": 4, "group_size": 4},
        ],
        "algo": {"lr": 1e-3, "micro_batch_size": 8},
        "validation": {"every": 0},
        "reward": {"workers": 1},
        "checkpoint_every": 2,
    }
    cfg.update(sections)
    path.write_text(yaml.safe_dump(cfg))
    return path


def warm_run_config(tmp_path: Path, name: str, warm_model_dir: Path, easy_task: dict[str, Path], **sections) -> Path:
    """`write_config` for a run named `name` under `tmp_path`, from the warm-started policy on the easy task."""
    return write_config(tmp_path / f"{name}.yaml", out_dir=str(tmp_path / name), model={"path": str(warm_model_dir)},
                        data={"train_files": [str(easy_task["train"])], "val_files": [str(easy_task["test"])]},
                        **sections)


def start_train(cfg: Path, *extra: str, netns: bool = False) -> subprocess.Popen:
    """`or1 train CFG --no-progress EXTRA...` as a subprocess (stdout and stderr merged, text); with `netns`
    inside a loopback-only network namespace (for runs that start Ray)."""
    train = [sys.executable, "-m", "or1.cli", "train", str(cfg), "--no-progress", *extra]
    if netns:
        train = ["unshare", "-n", "sh", "-c", "ip link set lo up && exec " + shlex.join(train)]
    return subprocess.Popen(train, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(proc: subprocess.Popen, timeout: float = 600) -> str:
    """Wait for a `text=True` Popen with stdout piped (stderr merged); fail with its last output unless it exits 0."""
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out[-4000:]
    return out


def reproducible_metrics(rows: list[dict]) -> list[dict]:
    """Metrics rows without wall-clock timings (perf/*, *_s) and the rollout worker's restart count."""
    return [{k: v for k, v in r.items() if not k.startswith("perf/") and not k.endswith("_s")
             and k != "async/worker_restarts"} for r in rows]


def netns_skip_reason() -> str | None:
    """Why multi-process launches cannot run in a loopback-only network namespace here, or None."""
    if not (shutil.which("unshare") and shutil.which("ip")):
        return "needs `unshare` and `ip` to run torchrun in a loopback-only network namespace"
    probe = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up"], capture_output=True)
    return None if probe.returncode == 0 else f"cannot create a network namespace: {probe.stderr.decode()[-200:]}"


def torchrun_cmd(args: list[str], nproc: int, port: int) -> list[str]:
    """`python ARGS` for one process; for more, torchrun with gloo inside `unshare -n` with only loopback up,
    so no traffic leaves the namespace and the fixed port cannot clash with another launch."""
    if nproc == 1:
        return [sys.executable, *args]
    torchrun = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
                "--master_addr=127.0.0.1", f"--master_port={port}", *args]
    inner = "ip link set lo up && MASTER_ADDR=127.0.0.1 GLOO_SOCKET_IFNAME=lo exec " + shlex.join(torchrun)
    return ["unshare", "-n", "sh", "-c", inner]
