"""Loading a policy and building the HF engine that samples from it: one way, for training, evaluation,
data steps and studies alike.

`build_policy` loads an HF causal LM and tokenizer from a local directory or a hub id, or builds the tiny
CPU model; `hf_engine` wraps a loaded model in the in-process engine; `load_engine` does both for a
model directory (evaluation, difficulty rating, judging). Finding a model inside a checkpoint or run
folder is `checkpoints.resolve_model_dir`.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from or1.config import ModelConfig, WeightDtype
from or1.distributed.precision import precision_of
from or1.rollout.hf_engine import HFEngine
from or1.rollout.prompts import eos_token_ids

__all__ = ["build_policy", "hf_engine", "load_engine", "resolve_device"]

_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")  # org/name, as the hub spells repository ids


def build_policy(cfg: ModelConfig, seed: int, path: str | Path | None = None
                 ) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load `path` (or `cfg.path`) as an HF causal LM and tokenizer, or build the tiny CPU model.

    Raises:
        FileNotFoundError: a local path that is missing or holds no config.json, or a hub id that cannot
            be fetched; the message names `model.path`.
    """
    path = path if path is not None else cfg.path
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[cfg.dtype]
    tok: PreTrainedTokenizerBase
    model: PreTrainedModel
    if path is None:
        from or1.tiny.model import build_tiny_model
        from or1.tiny.tokenizer import build_tokenizer

        tok = build_tokenizer()
        model = build_tiny_model(tok, hidden_size=cfg.hidden_size, num_layers=cfg.num_layers,
                                 num_heads=cfg.num_heads, num_kv_heads=cfg.num_kv_heads,
                                 intermediate_size=cfg.intermediate_size, seed=seed)
        return model.to(dtype), tok  # type: ignore[arg-type]  # transformers' wrapped .to
    if not _is_hub_id(str(path)):  # a local directory: checked here, before anything reaches for the hub
        given, path = path, Path(path).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"model.path={given}: no such directory ({path.absolute()}). It reads as a local "
                                    "path, not a hub id (org/name with no local org/ folder): fix the path")
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"model.path={path} is not a model directory (no config.json)")
    try:
        tok = AutoTokenizer.from_pretrained(path, padding_side="left")
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    except OSError as e:  # a hub id that cannot be fetched (offline, private, misspelt)
        raise FileNotFoundError(f"model.path={path}: not a local model directory and not loadable from the "
                                f"Hugging Face hub ({type(e).__name__})") from None
    return model, tok


def _is_hub_id(path: str) -> bool:
    """`org/name` that is no local path: e.g. deepseek-ai/DeepSeek-R1-Distill-Qwen-7B on a GPU cluster.

    Anything else is a local path, so a missing one fails at once instead of after the hub's retries: one
    that starts with ./ ../ / or ~, has no slash or more than one, holds a backslash, or whose first part
    exists (`runs/sft_modle` beside an existing runs/ is a typo, not a hub id).
    """
    return _HUB_ID.fullmatch(path) is not None and not Path(path).parent.exists()


def hf_engine(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, max_batch: int) -> HFEngine:
    """The in-process engine sampling from `model` itself (so it needs no weight sync).

    Pads with the tokenizer's pad token, or its first EOS when it has none; under one-process mixed
    precision it samples in the bf16 the update computes in (`distributed/precision.py`).
    """
    eos = eos_token_ids(tokenizer)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos[0]
    p = precision_of(model)
    return HFEngine(model, eos, pad, max_batch=max_batch, autocast_dtype=p.compute_dtype if p.autocast else None)


def resolve_device(device: str) -> str:
    """`auto` → cuda when a GPU is visible, else cpu; any other name as given."""
    return ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device


def load_engine(model_dir: str | Path, *, dtype: WeightDtype, device: str, max_batch: int, seed: int = 0
                ) -> tuple[HFEngine, PreTrainedTokenizerBase]:
    """Load the model in `model_dir` on `device` (`auto`: `resolve_device`) and its HF engine and tokenizer."""
    model, tok = build_policy(ModelConfig(dtype=dtype), seed, path=model_dir)
    return hf_engine(model.to(resolve_device(device)), tok, max_batch), tok  # type: ignore[arg-type]  # transformers' wrapped .to
