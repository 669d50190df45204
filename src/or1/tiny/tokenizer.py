"""A character-level tokenizer for the tiny CPU world (DESIGN.md §6).

Built the way Qwen2's own tokenizer is (byte-level BPE), but with no merges, so every byte is one token.
transformers 5 loads any qwen2 model directory as `Qwen2Tokenizer`; a WordLevel tokenizer loaded that way
silently loses spaces, while a merge-free byte-level BPE round-trips through `AutoTokenizer` and
`PreTrainedTokenizerFast` alike.
"""

from __future__ import annotations

from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

__all__ = ["CHAT_TEMPLATE", "SPECIAL_TOKENS", "build_tokenizer"]

PAD, BOS, EOS = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
SPECIAL_TOKENS = (PAD, BOS, EOS)
ROLE_TOKENS = ("system", "user", "assistant")

# A ChatML template like Qwen2's. The generation prompt opens the assistant turn with `<think>`, as the
# DeepSeek-R1-Distill templates do, so the same rendering code serves the released models and this one.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n<think>\n' }}{% endif %}"
)


def build_tokenizer() -> PreTrainedTokenizerFast:
    """Byte-level tokenizer with one token per byte plus ChatML and think markers.

    Returns:
        A left-padding `PreTrainedTokenizerFast` with a chat template; `save_pretrained` writes a directory
        that `AutoTokenizer.from_pretrained` loads back with identical ids.
    """
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {ch: i for i, ch in enumerate(alphabet)}  # 256 byte symbols, ids 0..255
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    core.decoder = decoders.ByteLevel()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token=PAD,
        eos_token=EOS,
        bos_token=None,
        padding_side="left",
        clean_up_tokenization_spaces=False,
    )
    tok.add_special_tokens({"additional_special_tokens": [BOS]})
    # The think markers are ordinary added tokens (not special), as in the R1-Distill tokenizers, so
    # decoding keeps them and the reward can find `</think>`.
    tok.add_tokens([THINK_OPEN, THINK_CLOSE], special_tokens=False)
    # Role names as single tokens keep the chat prompt short (the task text never contains them), which
    # roughly halves prompt compute on CPU; the released tokenizers have such word tokens too.
    tok.add_tokens(list(ROLE_TOKENS), special_tokens=False)
    tok.chat_template = CHAT_TEMPLATE
    return tok
