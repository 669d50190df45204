"""A stand-in for a released reasoning checkpoint: a trained byte-level BPE tokenizer with the
DeepSeek-R1-Distill chat template, saved beside a small Qwen2 with `save_pretrained`.

Built the way the released tokenizers are (byte-level BPE, `<｜begin▁of▁sentence｜>`-style markers), so the
start-up checks see what a real run sees; trained on a few KB of text in well under a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedTokenizerBase,
    PreTrainedTokenizerFast,
    Qwen2Config,
)

BOS, EOS = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
USER, ASSISTANT = "<｜User｜>", "<｜Assistant｜>"

# The DeepSeek-R1-Distill template, cut to what a single-turn prompt uses: the generation prompt opens
# the assistant turn with `<think>\n` (the released templates since early 2025 do).
R1_DISTILL_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ m['content'] }}"
    "{% elif m['role'] == 'user' %}{{ '<｜User｜>' + m['content'] }}"
    "{% elif m['role'] == 'assistant' %}{{ '<｜Assistant｜>' + m['content'] + '<｜end▁of▁sentence｜>' }}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}{% endif %}"
)
# The same template before DeepSeek's update: the model opens `<think>` itself.
R1_DISTILL_TEMPLATE_OLD = R1_DISTILL_TEMPLATE.replace("<think>\\n", "")
# A chat template of a model that does not reason in `<think>` sections (ChatML, as an instruct model's).
CHATML_TEMPLATE = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

_TEXT = (
    "Let a, b and c be positive integers such that a + b = 7 and b - c = 2. Find the largest possible "
    "value of a * c. We need to think step by step. First, b = 7 - a, so c = 5 - a. Then a * c = a(5 - a), "
    "which is largest at a = 2 or a = 3, giving 6. The answer is \\boxed{6}. "
    "Write a Python program that reads n and prints the sum of the first n odd numbers. "
    "def main():\n    n = int(input())\n    print(n * n)\n\nmain()\n"
)


def bpe_tokenizer(think: Literal["special", "added", "none"] = "added",
                  template: str = R1_DISTILL_TEMPLATE, vocab_size: int = 400) -> PreTrainedTokenizerFast:
    """A byte-level BPE trained on a few KB of text, with the R1-Distill markers.

    Args:
        think: how `<think>`/`</think>` are registered: "special" (special added tokens, which
            `skip_special_tokens` drops), "added" (ordinary added tokens, as in the released tokenizers),
            or "none" (plain text, split by the BPE).
        template: the chat template.
    """
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[BOS, EOS, USER, ASSISTANT],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    core.train_from_iterator([_TEXT] * 20, trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=core, bos_token=BOS, eos_token=EOS, pad_token=EOS,
                                  padding_side="left", clean_up_tokenization_spaces=False)
    if think != "none":
        tok.add_tokens(["<think>", "</think>"], special_tokens=think == "special")
    tok.chat_template = template
    return tok


def save_standin(out: Path, tok: PreTrainedTokenizerBase, max_position_embeddings: int = 4096) -> Path:
    """A 2-layer Qwen2 for `tok` and the tokenizer, saved with `save_pretrained` into `out`; returns `out`."""
    # Vocab padded past the tokenizer (Qwen2Tokenizer adds <|endoftext|> on load), as released models pad it.
    cfg = Qwen2Config(vocab_size=64 * (len(tok) // 64 + 1), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=max_position_embeddings,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                      tie_word_embeddings=True)
    AutoModelForCausalLM.from_config(cfg).save_pretrained(out)
    tok.save_pretrained(out)
    return out


def load_standin(path: Path) -> PreTrainedTokenizerBase:
    """The tokenizer as a run loads it (`AutoTokenizer`, as `policy.py:build_policy` does)."""
    return AutoTokenizer.from_pretrained(path, padding_side="left")
