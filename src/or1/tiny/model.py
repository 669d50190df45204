"""A tiny Qwen2-architecture policy built from a config, for CPU runs (DESIGN.md §6)."""

from __future__ import annotations

import torch
from transformers import PreTrainedTokenizerBase, Qwen2Config, Qwen2ForCausalLM

__all__ = ["build_tiny_model"]


def build_tiny_model(
    tokenizer: PreTrainedTokenizerBase,
    *,
    hidden_size: int = 128,
    num_layers: int = 4,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    intermediate_size: int = 512,
    max_positions: int = 512,
    seed: int = 0,
) -> Qwen2ForCausalLM:
    """A randomly initialised `Qwen2ForCausalLM` sized for a laptop CPU (~1M parameters by default).

    The same class as the released Qwen2-based reasoners, so every code path (chat template, KV cache,
    export, reload with `AutoModelForCausalLM`) is the one used at scale.
    """
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
        attention_dropout=0.0,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2ForCausalLM(config)
    return model
