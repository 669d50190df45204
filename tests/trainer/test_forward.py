"""The trainer's forward: log-probs of response tokens from the LM head on response positions only."""

from __future__ import annotations

import pytest
import torch

from or1.rollout.hf_engine import left_pad
from or1.rollout.prompts import encode_prompt
from or1.trainer.forward import length_groups, response_logp


def test_response_logp_equals_the_full_forward(tokenizer, tiny_model):
    """Same values as taking every position's logits and slicing out the response (the straightforward way)."""
    prompts = [encode_prompt(tokenizer, [{"role": "user", "content": q}]) for q in ("1+2-3", "12+34-45", "7+8-9")]
    gen = torch.Generator().manual_seed(0)
    resp = torch.randint(0, 200, (3, 6), generator=gen)
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0]], dtype=torch.bool)
    with torch.no_grad():
        logp, ent = response_logp(tiny_model, prompts, resp, mask, 0.7, tokenizer.pad_token_id, with_entropy=True)
        p_ids, p_mask = left_pad(prompts, tokenizer.pad_token_id)
        ids, full_mask = torch.cat([p_ids, resp], 1), torch.cat([p_mask, mask], 1)
        pos = (full_mask.long().cumsum(-1) - 1).clamp(min=0)
        logits = tiny_model(input_ids=ids, attention_mask=full_mask.long(), position_ids=pos).logits
        logits = logits[:, p_ids.shape[1] - 1 : -1] / 0.7  # (3, 6, V)
        want = torch.log_softmax(logits, -1).gather(-1, resp[..., None]).squeeze(-1)
        want_ent = -(torch.softmax(logits, -1) * torch.log_softmax(logits, -1)).sum(-1)
    assert logp.shape == ent.shape == (3, 6)
    assert torch.allclose(logp[mask], want[mask], atol=1e-5)
    assert torch.allclose(ent[mask], want_ent[mask], atol=1e-5)


def test_rows_of_very_different_lengths_run_in_groups_with_the_same_values(tokenizer, tiny_model):
    prompts = [encode_prompt(tokenizer, [{"role": "user", "content": f"{i}+{i}-1"}]) for i in range(32)]
    gen = torch.Generator().manual_seed(1)
    resp = torch.randint(0, 200, (32, 40), generator=gen)
    lengths = torch.tensor([4] * 24 + [40] * 8)  # most rows short, a few long: grouping saves positions
    mask = torch.arange(40)[None] < lengths[:, None]
    p_lens, r_lens = [len(p) for p in prompts], lengths.tolist()
    groups = length_groups(p_lens, r_lens)
    assert len(groups) == 2 and sorted(i for g in groups for i in g) == list(range(32))
    logp, ent = response_logp(tiny_model, prompts, resp, mask, 1.0, tokenizer.pad_token_id, with_entropy=True)
    one = [list(range(32))]
    with torch.no_grad():  # the same rows in one forward
        want, want_ent = _one_forward(tiny_model, prompts, resp, mask, tokenizer.pad_token_id)
    assert torch.allclose(logp[mask], want[mask], atol=1e-5) and torch.allclose(ent[mask], want_ent[mask], atol=1e-5)
    assert torch.isfinite(logp).all() and torch.isfinite(ent).all()  # masked positions: any finite value
    logp.masked_fill(~mask, 0).sum().backward()  # gradients flow through every group
    assert all(p.grad is not None for p in tiny_model.parameters() if p.requires_grad)
    assert length_groups(p_lens, [40] * 32) == one  # equal lengths: nothing to save


def _one_forward(model, prompts, resp, mask, pad_id, temperature=1.0):
    p_ids, p_mask = left_pad(prompts, pad_id)
    ids, full_mask = torch.cat([p_ids, resp], 1), torch.cat([p_mask, mask], 1)
    pos = (full_mask.long().cumsum(-1) - 1).clamp(min=0)
    logits = model(input_ids=ids, attention_mask=full_mask.long(), position_ids=pos).logits[:, p_ids.shape[1] - 1 : -1]
    logits = logits / temperature
    return (torch.log_softmax(logits, -1).gather(-1, resp[..., None]).squeeze(-1),
            -(torch.softmax(logits, -1) * torch.log_softmax(logits, -1)).sum(-1))


def test_the_same_forwards_whatever_the_rows_under_data_parallelism(tokenizer, tiny_model, monkeypatch):
    """FSDP gathers weights in every forward, so each rank must run as many as the others, whatever its rows:
    no length groups, and the shared-prompt way (prompt forward + response forward) for every batch."""
    prompts = [encode_prompt(tokenizer, [{"role": "user", "content": f"{i}+{i}-1"}]) for i in range(32)]
    lengths = torch.tensor([4] * 24 + [40] * 8)
    mask = torch.arange(40)[None] < lengths[:, None]
    resp = torch.randint(0, 200, (32, 40), generator=torch.Generator().manual_seed(2))
    calls = []
    tiny_model.register_forward_hook(lambda *_: calls.append(1))
    with torch.no_grad():
        response_logp(tiny_model, prompts, resp, mask, 1.0, tokenizer.pad_token_id)
        assert len(calls) == 2  # one process, distinct prompts: two length groups
        monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
        monkeypatch.setattr(torch.distributed, "get_world_size", lambda *a, **k: 2)
        for rows in (prompts, prompts[:1], [prompts[0]] * 32):  # distinct, one row, one prompt repeated
            calls.clear()
            n = len(rows)
            response_logp(tiny_model, rows, resp[:n], mask[:n], 1.0, tokenizer.pad_token_id)
            assert len(calls) == 2


def test_shared_prompts_give_the_values_and_gradients_of_one_forward_per_row(tokenizer, tiny_model):
    """A GRPO batch (each prompt repeated, prompts of different lengths, responses of different lengths, one
    of a single token): each distinct prompt runs once, with the values and gradients of whole rows."""
    qs = ("1+2-3", "12+34-45", "7+8-9", "100+200-3")
    prompts = [encode_prompt(tokenizer, [{"role": "user", "content": q}]) for q in qs]
    assert len({len(p) for p in prompts}) > 1  # left padding inside the prompt forward
    rows = [p for p in prompts for _ in range(4)]  # 4 groups of 4
    gen = torch.Generator().manual_seed(3)
    resp = torch.randint(0, 200, (16, 9), generator=gen)
    lengths = torch.tensor([9, 1, 5, 3, 2, 9, 9, 4, 1, 1, 1, 1, 6, 7, 8, 9])
    mask = torch.arange(9)[None] < lengths[:, None]
    calls = []
    hook = tiny_model.register_forward_hook(lambda *_: calls.append(1))
    logp, ent = response_logp(tiny_model, rows, resp, mask, 0.8, tokenizer.pad_token_id, with_entropy=True)
    hook.remove()
    assert len(calls) == 2  # the distinct prompts once, then all responses
    loss = -(logp * mask).sum() - 0.1 * (ent * mask).sum()
    grads = torch.autograd.grad(loss, list(tiny_model.parameters()))
    want, want_ent = _one_forward(tiny_model, rows, resp, mask, tokenizer.pad_token_id, temperature=0.8)
    assert torch.allclose(logp[mask], want[mask], atol=1e-5) and torch.allclose(ent[mask], want_ent[mask], atol=1e-5)
    want_loss = -(want * mask).sum() - 0.1 * (want_ent * mask).sum()
    want_grads = torch.autograd.grad(want_loss, list(tiny_model.parameters()))
    g, w = torch.cat([g.flatten() for g in grads]), torch.cat([w.flatten() for w in want_grads])
    assert float(w.norm()) > 0 and float((g - w).norm()) <= 1e-5 * float(w.norm())  # float rounding only


def test_shared_prompts_with_length_groups(tokenizer, tiny_model):
    """Repeated prompts and a long tail of responses: the responses run in length groups, each reading the
    one prompt forward's cache."""
    prompts = [encode_prompt(tokenizer, [{"role": "user", "content": f"{i}+{i}-1"}]) for i in range(4)]
    rows = [p for p in prompts for _ in range(8)]
    lengths = torch.tensor([4] * 24 + [40] * 8)
    mask = torch.arange(40)[None] < lengths[:, None]
    resp = torch.randint(0, 200, (32, 40), generator=torch.Generator().manual_seed(4))
    calls = []
    hook = tiny_model.register_forward_hook(lambda *_: calls.append(1))
    with torch.no_grad():
        logp, ent = response_logp(tiny_model, rows, resp, mask, 1.0, tokenizer.pad_token_id, with_entropy=True)
        want, want_ent = _one_forward(tiny_model, rows, resp, mask, tokenizer.pad_token_id)
    hook.remove()
    assert len(calls) == 3 + 1  # prompts once, two response groups; + the reference forward
    assert torch.allclose(logp[mask], want[mask], atol=1e-5) and torch.allclose(ent[mask], want_ent[mask], atol=1e-5)
    assert torch.isfinite(logp).all() and torch.isfinite(ent).all()


def test_checkpointed_layers_take_the_whole_row_way(tokenizer, tiny_model):
    """Checkpointed layers run without a cache, so prompts are not shared; values are unchanged."""
    prompts = [encode_prompt(tokenizer, [{"role": "user", "content": q}]) for q in ("1+2-3", "12+34-45")]
    rows = [p for p in prompts for _ in range(4)]
    resp = torch.randint(0, 200, (8, 5), generator=torch.Generator().manual_seed(5))
    mask = torch.ones(8, 5, dtype=torch.bool)
    tiny_model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    calls = []
    hook = tiny_model.register_forward_hook(lambda *_: calls.append(1))
    logp, _ = response_logp(tiny_model, rows, resp, mask, 1.0, tokenizer.pad_token_id)
    hook.remove()
    logp.sum().backward()
    tiny_model.activation_checkpointing_disable()
    assert len(calls) == 1
    with torch.no_grad():
        want, _ = _one_forward(tiny_model, rows, resp, mask, tokenizer.pad_token_id)
    assert torch.allclose(logp.detach(), want, atol=1e-5)


def test_an_empty_prompt_is_a_clear_error(tokenizer, tiny_model):
    prompts = [encode_prompt(tokenizer, [{"role": "user", "content": "1+2-3"}]), []]
    resp, mask = torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool)
    with pytest.raises(ValueError, match="non-empty prompt"):
        response_logp(tiny_model, prompts, resp, mask, 1.0, tokenizer.pad_token_id)


def test_prompts_are_shared_only_under_full_attention():
    """A sliding window drops old keys from the cache: those models take the whole-row way."""
    from transformers import AutoModelForCausalLM, Gemma2Config, LlamaConfig, MistralConfig, Qwen2Config

    from or1.rollout.kv_cache import shares_prefix

    small = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
             "num_key_value_heads": 1, "vocab_size": 32, "head_dim": 8}
    got = {c.__name__: shares_prefix(AutoModelForCausalLM.from_config(c(**small)))
           for c in (Qwen2Config, LlamaConfig, MistralConfig, Gemma2Config)}
    assert got == {"Qwen2Config": True, "LlamaConfig": True, "MistralConfig": False, "Gemma2Config": False}
