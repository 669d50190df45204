"""Prompt sharing over a KV cache: distinct prompts, the model's cache keyword, and a cache's rows regathered.

A GRPO batch holds each prompt `group_size` times. Both the rollout engine and the trainer's forward run each
distinct prompt once and let every response of its group read (and, when training, backpropagate through)
that prompt's keys and values.
"""

from __future__ import annotations

import inspect

from torch import Tensor, nn
from transformers import DynamicCache

__all__ = ["cache_kwarg", "distinct", "gather_cache", "shares_prefix"]


def distinct(rows: list[list[int]]) -> tuple[list[list[int]], list[int]]:
    """Distinct token lists in first-seen order, and each row's index among them.

    Example: [[1, 2], [3], [1, 2]] -> ([[1, 2], [3]], [0, 1, 0]).
    """
    index: dict[tuple[int, ...], int] = {}
    inverse = [index.setdefault(tuple(r), len(index)) for r in rows]
    uniq: list[list[int]] = [[] for _ in index]
    for key, i in index.items():
        uniq[i] = list(key)
    return uniq, inverse


def cache_kwarg(model: nn.Module) -> str:
    """The forward's keyword for the KV cache: `cache` (transformers >= 5.2x) or `past_key_values`."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def gather_cache(cache: DynamicCache, index: Tensor) -> DynamicCache:
    """A new cache whose row i is row `index[i]` of `cache`, every layer; differentiable (index_select).

    Shapes: each layer's keys/values (U, H_kv, L, D) -> (len(index), H_kv, L, D).
    """
    layers = getattr(cache, "layers", None)  # recent transformers; older ones keep two lists of tensors
    if layers is not None:
        kv = [(x.keys, x.values) for x in layers]
    else:
        kv = list(zip(cache.key_cache, cache.value_cache, strict=True))  # type: ignore[attr-defined]
    out = DynamicCache()
    for i, (k, v) in enumerate(kv):
        out.update(k.index_select(0, index), v.index_select(0, index), i)
    return out


def shares_prefix(model: nn.Module) -> bool:
    """Whether responses can read a shared prompt cache while training: every layer attends to the whole
    context (no sliding window, whose cache drops old keys) and no layer recomputes its activations in
    backward (checkpointed layers run without a cache)."""
    config = getattr(model, "config", None)
    types = getattr(config, "layer_types", None)
    if types is None:  # older configs: a model-wide window (e.g. Mistral's), or full attention
        types = ["full_attention" if getattr(config, "sliding_window", None) is None else "sliding_attention"]
    if set(types) != {"full_attention"}:
        return False
    return not any(getattr(m, "gradient_checkpointing", False) for m in model.modules())

