"""Chunked LM-head log-probs and entropy equal the full-logits computation, in values and gradients.

The reference is the trainer's former way: logits = hidden·Wᵀ for every position, cast to fp32, / τ,
log_softmax, and `token_entropy`. Gradients are compared wrt the hidden states and the head weight, the
weight also tied to an input embedding (Qwen2's small models tie `lm_head` to `embed_tokens`).
"""

from __future__ import annotations

import math

import pytest
import torch
from transformers import AutoModelForCausalLM, Qwen2Config

from or1.algo.entropy import token_entropy
from or1.rollout.prompts import encode_prompt
from or1.trainer.forward import response_logp
from or1.trainer.lm_head_chunks import chunked_token_logp

ATOL = 1e-5


def _reference(hidden, weight, targets, temperature):
    logits = (hidden @ weight.T).float() / temperature  # (..., V)
    return torch.log_softmax(logits, -1).gather(-1, targets[..., None]).squeeze(-1), token_entropy(logits)


def test_worked_example():
    """s = [1, 0]: lse = log(e + 1) = 1.3133, logp = -0.3133, p = [0.7311, 0.2689], H = 1.3133 - 0.7311."""
    logp, ent = chunked_token_logp(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 0.0], [0.0, 0.0]]),
                                   torch.tensor([0]), with_entropy=True)
    assert logp.item() == pytest.approx(1 - math.log(math.e + 1), abs=1e-6)
    assert ent.item() == pytest.approx(math.log(math.e + 1) - math.e / (math.e + 1), abs=1e-6)


# (lead dims of the positions, hidden, vocab, chunk_tokens, vocab_chunk, temperature, tied)
CASES = {
    "chunk not dividing T": ((2, 13), 16, 50, 5, None, 1.0, False),
    "T = 1": ((1, 1), 16, 50, 4, None, 1.0, False),
    "one block": ((3, 7), 16, 50, 1024, None, 1.0, False),
    "temperature 0.6": ((2, 13), 16, 50, 5, None, 0.6, False),
    "vocab chunks not dividing V": ((2, 13), 16, 50, 5, 7, 0.6, False),
    "vocab chunk of 1": ((1, 6), 8, 11, 4, 1, 1.3, False),
    "tied": ((2, 13), 16, 50, 5, None, 0.8, True),
    "tied, vocab chunks": ((2, 13), 16, 50, 6, 16, 0.8, True),
}


def _inputs(lead, hidden, vocab, tied, dtype, seed=0):
    """Hidden states computed from token embeddings E: with a tied head (W = E) the weight's gradient has
    both parts, through the head and through the embedding lookup, as in the model."""
    gen = torch.Generator().manual_seed(seed)
    emb = (0.5 * torch.randn(vocab, hidden, generator=gen)).to(dtype).requires_grad_()  # (V, H)
    mix = torch.randn(hidden, hidden, generator=gen).to(dtype) / math.sqrt(hidden)
    head = emb if tied else (0.5 * torch.randn(vocab, hidden, generator=gen)).to(dtype).requires_grad_()
    ids = torch.randint(0, vocab, lead, generator=gen)
    targets = torch.randint(0, vocab, lead, generator=gen)
    g_logp, g_ent = torch.randn(lead, generator=gen), torch.randn(lead, generator=gen)  # upstream gradients
    leaves = [emb] if tied else [emb, head]

    def hidden_of():  # (..., H), a fresh graph each call
        return torch.tanh(emb[ids] @ mix) * 2

    return hidden_of, head, targets, g_logp, g_ent, leaves


def _values_and_grads(fn, hidden_of, head, targets, g_logp, g_ent, leaves):
    h = hidden_of()
    h.retain_grad()
    logp, ent = fn(h, head, targets)
    ((logp * g_logp).sum() + (ent * g_ent).sum()).backward()
    grads = [h.grad.clone()] + [x.grad.clone() for x in leaves]
    for x in leaves:
        x.grad = None
    return logp.detach(), ent.detach(), grads


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_values_and_gradients_match_the_full_logits(case):
    lead, hidden, vocab, chunk, vchunk, tau, tied = CASES[case]
    inputs = _inputs(lead, hidden, vocab, tied, torch.float32)
    got = _values_and_grads(lambda h, w, y: chunked_token_logp(h, w, y, tau, True, chunk, vchunk), *inputs)
    want = _values_and_grads(lambda h, w, y: _reference(h, w, y, tau), *inputs)
    assert got[0].shape == got[1].shape == lead and got[0].dtype == got[1].dtype == torch.float32
    torch.testing.assert_close(got[0], want[0], atol=ATOL, rtol=0)
    torch.testing.assert_close(got[1], want[1], atol=ATOL, rtol=0)
    for g, w in zip(got[2], want[2], strict=True):  # hidden states, then E (and W when untied)
        assert float(w.norm()) > 0
        torch.testing.assert_close(g, w, atol=ATOL, rtol=ATOL)


def test_logp_alone_has_the_gradient_of_logp_alone():
    """Without entropy, only logp is returned and backpropagated (the π_old and SFT forwards)."""
    hidden_of, head, targets, g_logp, _, leaves = _inputs((2, 9), 16, 50, True, torch.float32)
    h = hidden_of()
    logp, ent = chunked_token_logp(h, head, targets, 0.7, False, 4, 16)
    assert ent is None
    (got,) = torch.autograd.grad((logp * g_logp).sum(), leaves)
    want_logp, _ = _reference(hidden_of(), head, targets, 0.7)
    (want,) = torch.autograd.grad((want_logp * g_logp).sum(), leaves)
    torch.testing.assert_close(logp, want_logp, atol=ATOL, rtol=0)
    torch.testing.assert_close(got, want, atol=ATOL, rtol=ATOL)


@pytest.mark.parametrize("vchunk", [None, 7], ids=["whole vocab", "vocab chunks"])
def test_bf16_values_match_and_gradients_are_as_accurate_as_the_full_logits(vchunk):
    """bf16 hidden states and weight (FSDP mixed precision): the logits are bf16 matmuls in both ways, so
    logp and entropy agree to 1e-5. Gradients are rounded to bf16 (the logits' dtype) in both ways, so each
    is compared with the fp64 gradient of the same bf16 inputs: the chunked one is as accurate."""
    hidden_of, head, targets, g_logp, g_ent, leaves = _inputs((2, 13), 16, 50, False, torch.bfloat16)
    got = _values_and_grads(lambda h, w, y: chunked_token_logp(h, w, y, 0.7, True, 5, vchunk),
                            hidden_of, head, targets, g_logp, g_ent, leaves)
    want = _values_and_grads(lambda h, w, y: _reference(h, w, y, 0.7), hidden_of, head, targets, g_logp, g_ent,
                             leaves)
    torch.testing.assert_close(got[0], want[0], atol=ATOL, rtol=0)
    torch.testing.assert_close(got[1], want[1], atol=ATOL, rtol=0)
    h64, w64 = hidden_of().detach().double().requires_grad_(), head.detach().double().requires_grad_()
    z = h64 @ w64.T / 0.7
    lp64 = torch.log_softmax(z, -1).gather(-1, targets[..., None]).squeeze(-1)
    ent64 = torch.logsumexp(z, -1) - (torch.softmax(z, -1) * z).sum(-1)
    truth = torch.autograd.grad((lp64 * g_logp).sum() + (ent64 * g_ent).sum(), [h64, w64])
    for g, w, t in zip(got[2][:1] + got[2][2:], want[2][:1] + want[2][2:], truth, strict=True):  # hidden, W
        err, ref_err = float((g.double() - t).norm() / t.norm()), float((w.double() - t).norm() / t.norm())
        assert err < 1e-2 and err <= 1.25 * ref_err + 1e-3, (err, ref_err)  # bf16 rounding: 2^-8 = 0.4%


def test_no_positions_and_bad_arguments():
    logp, ent = chunked_token_logp(torch.zeros(2, 0, 4), torch.zeros(5, 4), torch.zeros(2, 0, dtype=torch.long),
                                   with_entropy=True)
    assert logp.shape == ent.shape == (2, 0)
    with pytest.raises(ValueError, match="chunk_tokens=0"):
        chunked_token_logp(torch.zeros(3, 4), torch.zeros(5, 4), torch.zeros(3, dtype=torch.long), chunk_tokens=0)
    with pytest.raises(ValueError, match="leading dims"):
        chunked_token_logp(torch.zeros(3, 4), torch.zeros(5, 4), torch.zeros(2, dtype=torch.long))


def _rows(tokenizer, n_prompts=3, group=2, width=7, seed=0):
    prompts = [encode_prompt(tokenizer, [{"role": "user", "content": f"{i}+{10 * i}-3"}]) for i in range(n_prompts)]
    rows = [p for p in prompts for _ in range(group)]
    gen = torch.Generator().manual_seed(seed)
    resp = torch.randint(0, len(tokenizer), (len(rows), width), generator=gen)
    lengths = torch.randint(1, width + 1, (len(rows),), generator=gen)
    return rows, resp, torch.arange(width)[None] < lengths[:, None]


def _untied_model(tokenizer):
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False,
                         pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(config)


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
@pytest.mark.parametrize("shared", [True, False], ids=["shared prompts", "whole rows"])
def test_response_logp_chunked_equals_full_logits_with_gradients(tokenizer, tiny_model, tied, shared):
    """Both forward paths (a prompt's cache shared by its group, or whole rows) through a real Qwen2 model:
    chunks of 3 positions give the values and parameter gradients of the full logits."""
    model = tiny_model if tied else _untied_model(tokenizer)
    assert (model.lm_head.weight is model.model.embed_tokens.weight) == tied
    rows, resp, mask = _rows(tokenizer, group=2 if shared else 1)
    out = {}
    for chunk in (3, None):
        logp, ent = response_logp(model, rows, resp, mask, 0.8, tokenizer.pad_token_id, with_entropy=True,
                                  chunk_tokens=chunk)
        loss = -(logp * mask).sum() - 0.3 * (ent * mask).sum()
        out[chunk] = logp, ent, torch.autograd.grad(loss, list(model.parameters()))
    torch.testing.assert_close(out[3][0][mask], out[None][0][mask], atol=ATOL, rtol=0)
    torch.testing.assert_close(out[3][1][mask], out[None][1][mask], atol=ATOL, rtol=0)
    g, w = (torch.cat([x.flatten() for x in out[c][2]]) for c in (3, None))
    assert float(w.norm()) > 0 and float((g - w).norm()) <= ATOL * float(w.norm())


def test_backward_keeps_no_logits(tokenizer, tiny_model):
    """What the default forward keeps for backward holds no (positions, V) tensor: the logits of a block
    exist only while it is computed, and again in backward."""
    V = len(tokenizer)
    rows, resp, mask = _rows(tokenizer, group=2, width=40)
    saved = []

    def pack(t):
        saved.append(tuple(t.shape))
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        logp, ent = response_logp(tiny_model, rows, resp, mask, 1.0, tokenizer.pad_token_id, with_entropy=True)
    assert saved and not [s for s in saved if s[-1] == V and math.prod(s[:-1]) > 1], saved
    (logp.sum() + ent.sum()).backward()


def test_models_with_logits_beyond_the_head_matmul_take_the_full_logits(tokenizer):
    """Gemma 2 soft-caps its logits after the LM head (tanh(z / c)·c): the chunked head would skip that, so
    such models keep the full-logits way, and the default gives its values."""
    from transformers import Gemma2Config

    config = Gemma2Config(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                          num_attention_heads=2, num_key_value_heads=1, head_dim=16, final_logit_softcapping=0.5,
                          pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config)
    rows, resp, mask = _rows(tokenizer, group=1)
    with torch.no_grad():
        got = response_logp(model, rows, resp, mask, 0.8, tokenizer.pad_token_id, with_entropy=True)
        want = response_logp(model, rows, resp, mask, 0.8, tokenizer.pad_token_id, with_entropy=True,
                             chunk_tokens=None)
        capped = model(input_ids=torch.tensor([rows[0]])).logits.abs().max()
    assert float(capped) <= 0.5  # the soft-capping is real
    torch.testing.assert_close(got[0], want[0], atol=ATOL, rtol=0)
    torch.testing.assert_close(got[1], want[1], atol=ATOL, rtol=0)
