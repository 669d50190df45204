"""The paper configs in configs/: each loads and validates, and its stage table is the report's.

The tables (Skywork-OR1 report, arXiv 2505.22312) are transcribed below; `test_transcription_is_recipe_md`
parses the markdown table of docs/recipe.md, the project's recipe page, so code and document agree.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from or1.config_load import load_config

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "docs" / "recipe.md"
K = 1024  # "8K" context = 8192 tokens, as the released scripts' RES_LENGTH=8192

# model -> (config file, stages as (start, end, context K, batch, mini-batch, group size)), docs/recipe.md.
TABLES = {
    "Math-7B": ("math_7b.yaml", [(0, 740, 8, 256, 128, 16), (740, 1740, 16, 256, 128, 16),
                                 (1740, 2080, 32, 256, 128, 16), (2080, 2160, 32, 128, 64, 64)]),
    "OR1-7B": ("or1_7b.yaml", [(0, 660, 16, 256, 256, 16), (660, 1320, 32, 160, 160, 32)]),
    "OR1-32B": ("or1_32b.yaml", [(0, 760, 16, 256, 256, 16), (760, 1130, 24, 160, 160, 32)]),
}
BASE = {"Math-7B": "DeepSeek-R1-Distill-Qwen-7B", "OR1-7B": "DeepSeek-R1-Distill-Qwen-7B",
        "OR1-32B": "DeepSeek-R1-Distill-Qwen-32B"}


def parse_stage_table(text: str) -> dict[str, list[tuple[int, ...]]]:
    """Rows `| model | 0–740, 8K, 256/128/16 | ... |` of docs/recipe.md's stage table."""
    cell = re.compile(r"(\d+)\s*[–-]\s*(\d+),\s*(\d+)K,\s*(\d+)/(\d+)/(\d+)")
    head = text.index("| model | stage 1 |")
    table: dict[str, list[tuple[int, ...]]] = {}
    for line in text[head:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        table[cells[0]] = [tuple(int(x) for x in m.groups()) for c in cells[1:] if (m := cell.search(c))]
    return table


def test_transcription_is_recipe_md():
    assert parse_stage_table(RECIPE.read_text()) == {m: stages for m, (_, stages) in TABLES.items()}


@pytest.mark.parametrize("model", sorted(TABLES))
def test_config_loads_and_has_the_stage_table(model):
    name, table = TABLES[model]
    cfg = load_config(ROOT / "configs" / name)
    got = [(s.steps, s.max_response_length, s.batch_size, s.mini_batch_size, s.group_size) for s in cfg.stages]
    want = [(end - start, ctx * K, b, mb, g) for start, end, ctx, b, mb, g in table]
    assert got == want
    assert all(s.temperature == 1.0 for s in cfg.stages)  # τ = 1.0
    assert sum(s.steps for s in cfg.stages) == table[-1][1]


@pytest.mark.parametrize("model", sorted(TABLES))
def test_config_has_the_recipe_hyperparameters(model):
    cfg = load_config(ROOT / "configs" / TABLES[model][0])
    assert cfg.model.path == f"deepseek-ai/{BASE[model]}"
    assert (cfg.algo.lr, cfg.algo.weight_decay, cfg.algo.grad_clip) == (1e-6, 0.01, 1.0)
    assert cfg.data.max_prompt_length == 2048 and cfg.rollout.top_p == 1.0
    assert (cfg.validation.every, cfg.validation.n, cfg.validation.temperatures) == (20, 8, (0.6, 1.0))
    assert cfg.checkpoint_every == 20
    e = cfg.entropy
    assert (e.adaptive, e.target, e.delta, e.coef_max, e.coef) == (True, 0.2, 1e-4, 0.005, 0.0)
    assert not cfg.algo.mask_truncated and cfg.filter.online and cfg.filter.offline
    assert cfg.rollout.engine == "vllm" and cfg.ray.enabled
    assert cfg.distributed.gpus == 32 and cfg.distributed.mixed_precision
    longest = max(s.max_response_length for s in cfg.stages) + cfg.data.max_prompt_length
    assert cfg.algo.micro_batch_tokens is not None and cfg.algo.micro_batch_tokens >= longest
    assert all(str(f).startswith("data/") for f in cfg.data.train_files)
    assert cfg.data.val_files == ("aime24", "aime25")  # the packaged sets: no file to copy before a run


def test_32b_runs_on_32_gpus_with_tensor_parallel_rollouts():
    cfg = load_config(ROOT / "configs" / "or1_32b.yaml")
    assert cfg.distributed.gpus == 32  # docs/recipe.md: 32 H800
    assert cfg.distributed.gpus % cfg.rollout.tensor_parallel_size == 0
