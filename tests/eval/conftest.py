"""Fixtures of the evaluation tests: an untrained small model directory."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def raw_model_dir(tmp_path, tiny_model, tokenizer) -> Path:
    """An HF directory of the small model as initialised: cheap, and its answers are (almost surely) wrong."""
    out = tmp_path / "raw_model"
    tiny_model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
