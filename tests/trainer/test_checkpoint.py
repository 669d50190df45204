"""Checkpoints: refuse another config's checkpoint, refuse to overwrite a run, export loads in transformers."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from conftest import write_config
from or1.checkpoints import CheckpointError, latest_checkpoint
from or1.config_load import load_config
from or1.rollout.prompts import encode_prompt
from or1.trainer.export import export_hf
from or1.trainer.loop import train


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, easy_task):
    tmp = tmp_path_factory.mktemp("ckpt")
    cfg_path = write_config(tmp / "c.yaml", out_dir=str(tmp / "run"),
                            data={"train_files": [str(easy_task["train"])], "val_files": []},
                            filter={"online": False, "offline": False},
                            entropy={"adaptive": False, "coef": 0.01})  # entropy bonus: weights move every step
    train(load_config(cfg_path), progress=False)
    return cfg_path


def test_layout_latest_and_retention(finished_run):
    root = finished_run.parent / "run" / "checkpoints"
    assert latest_checkpoint(root).name == "step_000004"
    assert sorted(p.name for p in root.iterdir()) == ["latest", "step_000002", "step_000004"]
    assert not list(root.glob("*.tmp"))


def test_existing_run_needs_resume(finished_run):
    with pytest.raises(CheckpointError, match=r"already holds checkpoints .* pass --resume"):
        train(load_config(finished_run), progress=False)


def test_checkpoint_from_another_config_is_refused(finished_run):
    with pytest.raises(CheckpointError, match="different config"):
        train(load_config(finished_run, ["algo.clip_high=0.3"]), resume=True, progress=False)


def test_resume_of_a_finished_run_does_nothing_more(finished_run):
    before = (finished_run.parent / "run" / "metrics.jsonl").read_text()
    train(load_config(finished_run), resume=True, progress=False)
    assert (finished_run.parent / "run" / "metrics.jsonl").read_text() == before


def test_export_loads_with_transformers(finished_run, tmp_path, tokenizer):
    out = export_hf(finished_run.parent / "run", tmp_path / "hf")
    model = AutoModelForCausalLM.from_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)
    ids = encode_prompt(tok, [{"role": "user", "content": "1+2-3"}])
    assert ids == encode_prompt(tokenizer, [{"role": "user", "content": "1+2-3"}])
    ckpt = AutoModelForCausalLM.from_pretrained(finished_run.parent / "run" / "checkpoints" / "step_000004" / "model")
    for p, q in zip(model.parameters(), ckpt.parameters(), strict=True):
        assert torch.equal(p, q)
    with pytest.raises(FileExistsError):
        export_hf(finished_run.parent / "run", out)
    with pytest.raises(CheckpointError, match="neither a checkpoint nor a run directory"):
        export_hf(tmp_path / "nothing", tmp_path / "hf2")
