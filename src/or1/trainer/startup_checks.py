"""Start-up checks of a policy and its tokenizer against the run's data, before any rollout.

Each catches a setup that would otherwise train for hours on reward 0 or fail deep in the engine:

1. `check_answer_marker`: the verifiers score every training and validation response in "response" mode
   (`rewards/registry.py` passes no mode), where math and code read the answer after the last `</think>`
   (`rewards/extract.py`). A tokenizer that registers `</think>` as a *special* token loses it in
   `eval.sample.decode_responses` (`skip_special_tokens=True`), so every response reads as unfinished.
2. `check_context_length`: prompt + response must fit the model's `max_position_embeddings`.
3. `check_reasoning_prompt`: the chat template's generation prompt should open the `<think>` section
   the verifier expects the response to close (DeepSeek-R1-Distill's ends with `<think>\\n`).

`run_startup_checks` runs all three from `trainer/run.py:setup`, on every rank (they are cheap and
deterministic, so every rank fails together instead of rank 0 alone while the others wait).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import torch
from transformers import PretrainedConfig, PreTrainedTokenizerBase

from or1.config import ConfigError, TrainConfig
from or1.problems.schema import Problem
from or1.rewards.extract import THINK_END
from or1.sampling import decode_responses

__all__ = ["MARKER_ABILITIES", "check_answer_marker", "check_context_length", "check_reasoning_prompt",
           "generation_prompt", "needs_marker", "response_lengths", "run_startup_checks"]

log = logging.getLogger(__name__)

THINK_START = "<think>"
# Abilities whose verifier needs `</think>` in response mode (math_extract.extract_answer, code.extract).
MARKER_ABILITIES = ("math", "code")
# What a finished response looks like when the engine emits it: reasoning, the marker, a boxed answer.
_PROBE = "so the answer is 1.</think> The answer is \\boxed{1}."


def _tok_name(tokenizer: PreTrainedTokenizerBase) -> str:
    return tokenizer.name_or_path or type(tokenizer).__name__


def needs_marker(problems: Sequence[Problem]) -> bool:
    """Whether any row is scored by a verifier that reads the answer after `</think>`."""
    return any(p.ability in MARKER_ABILITIES for p in problems)


def check_answer_marker(tokenizer: PreTrainedTokenizerBase, problems: Sequence[Problem]) -> None:
    """Fail when `</think>` does not survive the trainer's decode, for data whose verifier needs it.

    The probe text "...</think> The answer is \\boxed{1}." is encoded as the engine would emit it (the
    marker becomes its token when the vocabulary has one) and decoded exactly as `decode_responses` decodes
    rollouts. Example: with `tok.add_tokens(["</think>"], special_tokens=True)` the decoded text is
    "so the answer is 1. The answer is \\boxed{1}." and this raises; with `special_tokens=False`, or
    with no `</think>` token at all (the BPE splits it), the marker is kept and this passes.

    Raises:
        ConfigError: naming the tokenizer, the token and its id, and the fix.
    """
    if not needs_marker(problems):
        return
    ids = tokenizer(_PROBE, add_special_tokens=False)["input_ids"]
    text = decode_responses(tokenizer, torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.bool))[0]
    if THINK_END in text:
        return
    tid = tokenizer.convert_tokens_to_ids(THINK_END)
    added = tokenizer.added_tokens_decoder.get(tid) if isinstance(tid, int) else None
    special = added is not None and added.special  # all_special_tokens misses special added tokens
    why = (f"registers '{THINK_END}' (id {tid}) as a special token, so decoding with skip_special_tokens=True "
           "(or1.sampling.decode_responses) drops it" if special else
           f"loses '{THINK_END}' when a response is decoded (decoded probe: {text!r})")
    raise ConfigError(
        f"tokenizer {_tok_name(tokenizer)!r} {why}: every math/code response would read as unfinished and earn "
        f"reward 0. Fix: make it an ordinary added token, as the DeepSeek-R1-Distill tokenizers have it: in "
        f"tokenizer.json set \"special\": false for '{THINK_END}' under added_tokens (and under "
        "added_tokens_decoder in tokenizer_config.json, dropping it from additional_special_tokens there, where "
        f"present); a tokenizer you build: tokenizer.add_tokens(['{THINK_END}'], special_tokens=False) on one that "
        "does not have it yet, or train the BPE without it among its special tokens")


def response_lengths(cfg: TrainConfig) -> list[tuple[str, int]]:
    """The longest response each sampler asks for, with its key: the longest stage's, and validation's
    when it has its own (it may exceed every stage's). Example: [("stages[1].max_response_length", 28)]."""
    i = max(range(len(cfg.stages)), key=lambda k: cfg.stages[k].max_response_length)
    lengths = [(f"stages[{i}].max_response_length", cfg.stages[i].max_response_length)]
    v = cfg.validation
    if v.every and v.max_response_length and cfg.data.val_files:
        lengths.append(("validation.max_response_length", v.max_response_length))
    return lengths


def check_context_length(cfg: TrainConfig, model_config: PretrainedConfig, longest_prompt: int) -> None:
    """Fail when the longest prompt plus the longest response exceeds the model's positions.

    Positions past `max_position_embeddings` were never trained (RoPE) and the engines reject them.
    The prompt part is the longest prompt that loaded, at most `data.max_prompt_length` (longer ones are
    dropped at load), so a tiny model with 512 positions and short prompts is not refused for the default
    2048. With `rollout.engine=vllm` it is `data.max_prompt_length` itself: vLLM is started with
    max_model_len = data.max_prompt_length + the longest stage response (`run.py:_build_sampling`) and
    refuses one past the model's positions. Example: max_position_embeddings=4096, prompts up to 2048,
    stages up to 8192 -> 10240 > 4096.

    Raises:
        ConfigError: naming the keys, the numbers and the fix.
    """
    limit = getattr(model_config, "max_position_embeddings", None)
    if not isinstance(limit, int):
        return  # an architecture without a position limit in its config
    vllm = cfg.rollout.engine == "vllm"
    prompt = cfg.data.max_prompt_length if vllm else min(longest_prompt, cfg.data.max_prompt_length)
    for key, resp in response_lengths(cfg):
        if prompt + resp > limit:
            where = cfg.model.path or "the tiny model"
            counted = "vLLM's max_model_len counts it in full" if vllm else \
                f"longest prompt loaded: {longest_prompt} tokens"
            raise ConfigError(
                f"data.max_prompt_length={cfg.data.max_prompt_length} ({counted}) + {key}={resp} = "
                f"{prompt + resp} tokens exceed the model's max_position_embeddings="
                f"{limit} ({where}). Lower {key} or data.max_prompt_length so that the longest prompt plus the "
                f"response fits in {limit}, or train a model with a longer context")


def generation_prompt(tokenizer: PreTrainedTokenizerBase, messages: Sequence[dict[str, str]]) -> str:
    """What the chat template renders after the last message's content with the generation prompt on.

    Example (R1-Distill): "<｜User｜>2+2?<｜Assistant｜><think>\\n" -> "<｜Assistant｜><think>\\n".
    """
    text = tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
    assert isinstance(text, str)  # tokenize=False: the rendered text
    last = messages[-1]["content"] if messages else ""
    return text.rsplit(last, 1)[-1] if last else text


def check_reasoning_prompt(tokenizer: PreTrainedTokenizerBase, problems: Sequence[Problem]) -> str | None:
    """Check that the generation prompt opens the `<think>` section the verifier expects closed.

    The rule, for data that needs `</think>` (checked on the first such row's prompt):
      - the generation prompt closes a think section (a `</think>` after its last `<think>`, e.g. a
        template rendered with thinking switched off): error, the response can never close it;
      - it opens `<think>` (R1-Distill's current template, the tiny model's): fine;
      - it does not: a warning, not an error. R1-Distill's template before its 2025 update left `<think>`
        to the model, which works but lets it skip reasoning; a model that never writes `</think>` (an
        instruct model's ChatML template, no `</think>` token in the vocabulary) earns reward 0.

    Returns:
        The warning logged, or None.

    Raises:
        ConfigError: the generation prompt already closes the think section.
    """
    row = next((p for p in problems if p.ability in MARKER_ABILITIES), None)
    if row is None:
        return None
    gen = generation_prompt(tokenizer, row.prompt)
    name = _tok_name(tokenizer)
    if THINK_END in gen.rsplit(THINK_START, 1)[-1]:  # closed after its last opening (or never opened)
        raise ConfigError(
            f"the chat template of tokenizer {name!r} closes the think section in its generation prompt "
            f"({gen!r}): responses never contain '{THINK_END}', so every math/code response reads as unfinished "
            "and earns reward 0. Use a template whose generation prompt opens '<think>' (or leaves it to the "
            "model), e.g. with thinking switched on")
    if THINK_START in gen:
        return None
    has_token = THINK_END in tokenizer.get_vocab()
    msg = (f"the chat template of tokenizer {name!r} does not open '{THINK_START}' in its generation prompt "
           f"({gen!r}): each response must write '{THINK_START}...{THINK_END}' itself, and one without "
           f"'{THINK_END}' earns reward 0. " +
           ("DeepSeek-R1-Distill's current template ends with '<｜Assistant｜><think>\\n'; update "
            "chat_template in tokenizer_config.json if this model was trained with it" if has_token else
            f"The vocabulary has no '{THINK_END}' token: is this a reasoning model?"))
    log.warning(msg)
    return msg


def run_startup_checks(cfg: TrainConfig, model_config: PretrainedConfig, tokenizer: PreTrainedTokenizerBase,
                       problems: Sequence[Problem], longest_prompt: int) -> None:
    """All start-up checks, on the training and validation problems (see the module docstring)."""
    check_context_length(cfg, model_config, longest_prompt)
    check_answer_marker(tokenizer, problems)
    check_reasoning_prompt(tokenizer, problems)
