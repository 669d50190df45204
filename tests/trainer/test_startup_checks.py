"""Start-up checks: a tokenizer that drops `</think>`, a context too short for prompt + response, a chat
template that does not open `<think>`; each on a real trained BPE tokenizer and a saved Qwen2."""

from __future__ import annotations

import json
import logging
import shutil

import pytest
from bpe_standin import CHATML_TEMPLATE, R1_DISTILL_TEMPLATE_OLD, bpe_tokenizer, load_standin, save_standin
from transformers import Qwen2Config

from conftest import write_config
from or1.config import ConfigError
from or1.config_load import load_config
from or1.problems.schema import Problem
from or1.tiny.tokenizer import build_tokenizer
from or1.trainer.run import setup
from or1.trainer.startup_checks import (
    check_answer_marker,
    check_context_length,
    check_reasoning_prompt,
    generation_prompt,
    response_lengths,
)

MATH = [Problem("t/0", "t", ({"role": "user", "content": "What is 3+4-2?"},), "math", "5")]
CODE = [Problem("c/0", "c", ({"role": "user", "content": "Print 1."},), "code", {"inputs": [""], "outputs": ["1"]})]


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    """Saved stand-ins of a released checkpoint: `</think>` as a special token, and as an ordinary one."""
    root = tmp_path_factory.mktemp("standin")
    return {think: save_standin(root / think, bpe_tokenizer(think)) for think in ("special", "added")}


def _cfg(tmp_path, **sections):
    return load_config(write_config(tmp_path / "c.yaml", **{"data": {"train_files": ["x.parquet"]}, **sections}))


# -- 1. the `</think>` marker survives decoding ----------------------------------------------------------

def test_special_think_token_is_refused_with_the_fix(standin):
    tok = load_standin(standin["special"])
    with pytest.raises(ConfigError) as e:
        check_answer_marker(tok, MATH)
    msg = str(e.value)
    assert str(standin["special"]) in msg  # the tokenizer, by its name_or_path
    assert "'</think>'" in msg and f"id {tok.convert_tokens_to_ids('</think>')}" in msg
    assert '"special": false' in msg and "tokenizer.json" in msg and "reward 0" in msg


def test_the_fix_the_error_gives_works(tmp_path, standin):
    shutil.copytree(standin["special"], tmp_path / "fixed")
    tj = json.loads((tmp_path / "fixed" / "tokenizer.json").read_text())
    for t in tj["added_tokens"]:
        if t["content"] == "</think>":
            t["special"] = False  # what the message says to do in tokenizer.json
    (tmp_path / "fixed" / "tokenizer.json").write_text(json.dumps(tj))
    check_answer_marker(load_standin(tmp_path / "fixed"), MATH)


@pytest.mark.parametrize("rows", [MATH, CODE], ids=["math", "code"])
def test_ordinary_added_think_token_passes(standin, rows):
    check_answer_marker(load_standin(standin["added"]), rows)


def test_think_as_plain_bpe_text_passes():
    check_answer_marker(bpe_tokenizer("none"), MATH)  # no `</think>` token: the BPE spells it out and keeps it


def test_rows_that_need_no_marker_are_not_checked(standin):
    judged = [Problem("j/0", "j", ({"role": "user", "content": "Rate this."},), "judge", "yes")]
    check_answer_marker(load_standin(standin["special"]), judged)


def test_tiny_tokenizer_passes():
    check_answer_marker(build_tokenizer(), MATH)


# -- 2. prompt + response fit the model's positions --------------------------------------------------------

def test_context_too_short_names_keys_numbers_and_fix(tmp_path):
    cfg = _cfg(tmp_path)  # stages up to 28 response tokens, data.max_prompt_length 2048
    with pytest.raises(ConfigError) as e:
        check_context_length(cfg, Qwen2Config(max_position_embeddings=64), longest_prompt=40)
    msg = str(e.value)
    # 40 + 28 = 68 > 64; the longest stage is stages[1]
    assert "stages[1].max_response_length=28" in msg and "= 68 tokens" in msg and "max_position_embeddings=64" in msg
    assert "data.max_prompt_length=2048" in msg and "Lower" in msg


def test_context_that_fits_passes(tmp_path):
    check_context_length(_cfg(tmp_path), Qwen2Config(max_position_embeddings=64), longest_prompt=36)  # 36 + 28


def test_prompt_part_is_capped_by_max_prompt_length(tmp_path):
    cfg = _cfg(tmp_path, data={"train_files": ["x.parquet"], "max_prompt_length": 30})
    check_context_length(cfg, Qwen2Config(max_position_embeddings=64), longest_prompt=40)  # 30 + 28 = 58


def test_vllm_counts_the_whole_max_prompt_length(tmp_path):
    cfg = _cfg(tmp_path, data={"train_files": ["x.parquet"], "max_prompt_length": 40}, rollout={"engine": "vllm"})
    with pytest.raises(ConfigError, match=r"vLLM's max_model_len .* = 68 tokens"):  # 40 + 28, not 10 + 28
        check_context_length(cfg, Qwen2Config(max_position_embeddings=64), longest_prompt=10)


def test_response_lengths_include_a_longer_validation_length(tmp_path):
    cfg = _cfg(tmp_path, data={"train_files": ["x.parquet"], "val_files": ["v.parquet"]},
               validation={"every": 2, "max_response_length": 100})
    # the engine's max_model_len (run.py) is data.max_prompt_length + the largest of these: 2048 + 100
    assert response_lengths(cfg) == [("stages[1].max_response_length", 28), ("validation.max_response_length", 100)]
    assert response_lengths(_cfg(tmp_path)) == [("stages[1].max_response_length", 28)]


def test_validation_length_is_checked(tmp_path):
    cfg = _cfg(tmp_path, data={"train_files": ["x.parquet"], "val_files": ["v.parquet"]},
               validation={"every": 2, "max_response_length": 100})
    with pytest.raises(ConfigError, match=r"validation\.max_response_length=100"):
        check_context_length(cfg, Qwen2Config(max_position_embeddings=128), longest_prompt=40)


# -- 3. the generation prompt opens `<think>` ----------------------------------------------------------------

def test_r1_distill_template_opens_think(standin):
    tok = load_standin(standin["added"])
    assert generation_prompt(tok, MATH[0].prompt) == "<｜Assistant｜><think>\n"
    assert check_reasoning_prompt(tok, MATH) is None
    assert check_reasoning_prompt(build_tokenizer(), MATH) is None  # the tiny model's template


def test_old_r1_template_warns_to_update_it(caplog):
    with caplog.at_level(logging.WARNING):
        msg = check_reasoning_prompt(bpe_tokenizer("added", template=R1_DISTILL_TEMPLATE_OLD), MATH)
    assert msg is not None and "does not open '<think>'" in msg and "update" in msg
    assert msg in caplog.text


def test_template_of_a_non_reasoning_model_warns():
    msg = check_reasoning_prompt(bpe_tokenizer("none", template=CHATML_TEMPLATE), MATH)
    assert msg is not None and "no '</think>' token" in msg


def test_generation_prompt_that_closes_think_is_refused():
    closed = CHATML_TEMPLATE.replace("assistant\\n'", "assistant\\n<think>\\n\\n</think>\\n\\n'")
    with pytest.raises(ConfigError, match="closes the think section"):
        check_reasoning_prompt(bpe_tokenizer("added", template=closed), MATH)


# -- wired into setup, before any rollout ------------------------------------------------------------------

def test_setup_refuses_a_special_think_token(tmp_path, standin, easy_task):
    cfg = load_config(write_config(tmp_path / "c.yaml", model={"path": str(standin["special"])},
                                   data={"train_files": [str(easy_task["train"])]}))
    with pytest.raises(ConfigError, match="registers '</think>'"):
        setup(cfg)
    assert not (tmp_path / "run").exists()  # refused before the run wrote anything


def test_setup_refuses_a_context_too_short(tmp_path, easy_task):
    model = save_standin(tmp_path / "short", bpe_tokenizer("added"), max_position_embeddings=32)
    cfg = load_config(write_config(tmp_path / "c.yaml", model={"path": str(model)},
                                   data={"train_files": [str(easy_task["train"])]}))
    with pytest.raises(ConfigError, match="max_position_embeddings=32"):
        setup(cfg)
