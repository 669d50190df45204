"""The trainer's forward: log-probs of response tokens from the LM head on response positions only."""

from __future__ import annotations

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


def _one_forward(model, prompts, resp, mask, pad_id):
    p_ids, p_mask = left_pad(prompts, pad_id)
    ids, full_mask = torch.cat([p_ids, resp], 1), torch.cat([p_mask, mask], 1)
    pos = (full_mask.long().cumsum(-1) - 1).clamp(min=0)
    logits = model(input_ids=ids, attention_mask=full_mask.long(), position_ids=pos).logits[:, p_ids.shape[1] - 1 : -1]
    return (torch.log_softmax(logits, -1).gather(-1, resp[..., None]).squeeze(-1),
            -(torch.softmax(logits, -1) * torch.log_softmax(logits, -1)).sum(-1))


def test_one_forward_per_call_under_data_parallelism(tokenizer, tiny_model, monkeypatch):
    """FSDP gathers weights in every forward, so each rank must run as many as the others: no length groups."""
    prompts = [encode_prompt(tokenizer, [{"role": "user", "content": f"{i}+{i}-1"}]) for i in range(32)]
    lengths = torch.tensor([4] * 24 + [40] * 8)
    mask = torch.arange(40)[None] < lengths[:, None]
    resp = torch.randint(0, 200, (32, 40), generator=torch.Generator().manual_seed(2))
    calls = []
    tiny_model.register_forward_hook(lambda *_: calls.append(1))
    with torch.no_grad():
        response_logp(tiny_model, prompts, resp, mask, 1.0, tokenizer.pad_token_id)
        assert len(calls) == 2  # one process: two length groups
        monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
        monkeypatch.setattr(torch.distributed, "get_world_size", lambda *a, **k: 2)
        response_logp(tiny_model, prompts, resp, mask, 1.0, tokenizer.pad_token_id)
    assert len(calls) == 3
