"""Render chat prompts with the tokenizer's own template (DESIGN.md §3)."""

from __future__ import annotations

from collections.abc import Sequence

from transformers import PreTrainedTokenizerBase

__all__ = ["encode_prompt", "eos_token_ids"]


def encode_prompt(tokenizer: PreTrainedTokenizerBase, messages: Sequence[dict[str, str]]) -> list[int]:
    """Token ids of a chat prompt followed by the generation prompt.

    The template decides what opens the assistant turn (for DeepSeek-R1-Distill models and the tiny model,
    `<think>`), so one code path serves every model. Special tokens come from the template only.
    """
    text = tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def eos_token_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """Ids that end a response: the tokenizer's EOS plus `<|im_end|>`/`<|endoftext|>` when present."""
    ids = {tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set()
    for tok in ("<|im_end|>", "<|endoftext|>", "<｜end▁of▁sentence｜>"):
        tid = tokenizer.convert_tokens_to_ids(tok)
        if isinstance(tid, int) and tid != tokenizer.unk_token_id:
            ids.add(tid)
    return sorted(ids)
