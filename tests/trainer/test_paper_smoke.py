"""The paper configs run on a CPU with the smoke profile (configs/cpu_smoke.args, docs/launch.md).

`or1 train configs/or1_7b.yaml $(grep -v '^#' configs/cpu_smoke.args) model.path=... data.train_files=[...]`
is run as docs/launch.md writes it, through a shell, on a stand-in for the released checkpoint: a byte-level
BPE tokenizer with the DeepSeek-R1-Distill chat template (`<think>`/`</think>` ordinary added tokens) and
a tiny random Qwen2, saved with `save_pretrained`; math rows in the release schema. One step per stage,
so the stage boundary and the offline filter run; validation on the packaged AIME24/25 at step 0 and 2.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from or1.problems.schema import write_rows

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from gpu_check import SHAPE_TINY, math_rows, save_standin, standin_tokenizer  # noqa: E402 - the GPU check's stand-in

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("config", ["or1_7b.yaml", "or1_32b.yaml"])
def test_paper_config_runs_a_step_per_stage_with_the_cpu_smoke_profile(tmp_path, config):
    model = save_standin(tmp_path / "model", standin_tokenizer(), SHAPE_TINY)
    rows = write_rows(math_rows(8), tmp_path / "math.parquet")
    out = tmp_path / "run"
    cmd = (f"{shlex.quote(sys.executable)} -m or1.cli train configs/{config} $(grep -v '^#' configs/cpu_smoke.args) "
           f"model.path={model} data.train_files=[{rows}] out_dir={out} --no-progress")
    r = subprocess.run(["bash", "-c", cmd], cwd=ROOT, capture_output=True, text=True, timeout=600,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get(
                           "PYTHONPATH", "")])})
    assert r.returncode == 0, r.stderr[-4000:]
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = {m["step"]: m for m in lines}
    assert [steps[s]["stage/index"] for s in (1, 2)] == [0, 1]
    assert [steps[s]["stage/max_response_length"] for s in (1, 2)] == [16, 24]
    assert all(steps[s]["update/steps"] == 1.0 and steps[s]["filter/empty_step"] == 0.0 for s in (1, 2))
    for s in (0, 2):  # validation at the start and the end, both sets, both temperatures
        assert {f"val/test-math-aime{y}/avg@2_t{t}" for y in (24, 25) for t in ("0.6", "1")} <= set(steps[s]), steps[s]
    assert (out / "checkpoints" / "step_000002").is_dir()
    saved = (out / "config.yaml").read_text()
    assert "mixed_precision: true" in saved and "lr: 1.0e-06" in saved  # the paper's keys, as the config has them
