"""The HF rollout engine on a real Qwen2 model: shapes, EOS handling, log-probs, determinism."""

from __future__ import annotations

import torch

from or1.rollout.hf_engine import HFEngine, left_pad
from or1.rollout.prompts import encode_prompt, eos_token_ids
from or1.rollout.sampling import sample_next
from or1.rollout.types import SamplingParams
from or1.trainer.forward import response_logp


def _prompts(tok, n=3):
    return [encode_prompt(tok, [{"role": "user", "content": f"{10 + i}+{i}-3"}]) for i in range(n)]


def test_left_pad():
    ids, mask = left_pad([[1, 2], [3], []], pad_id=0)
    assert ids.tolist() == [[1, 2], [0, 3], [0, 0]]
    assert mask.tolist() == [[True, True], [False, True], [False, False]]


def test_shapes_groups_and_truncation(tokenizer, tiny_model):
    eng = HFEngine(tiny_model, eos_token_ids(tokenizer), tokenizer.pad_token_id)
    b = eng.generate(_prompts(tokenizer), SamplingParams(n=4, max_tokens=12), seed=0)
    assert b.response_ids.shape == b.resp_mask.shape == b.old_logp.shape == (12, b.response_ids.shape[1])
    assert b.response_ids.shape[1] <= 12 and b.group_size == 4 and len(b.prompt_ids) == 3
    eos = torch.tensor(eos_token_ids(tokenizer))
    for ids, m, trunc, n in zip(b.response_ids, b.resp_mask, b.truncated, b.lengths, strict=True):
        real = ids[m]
        assert m[:n].all() and not m[n:].any()  # mask is a prefix
        assert (ids[~m] == tokenizer.pad_token_id).all()
        ends_with_eos = bool(torch.isin(real[-1:], eos).any())
        assert bool(trunc) == (not ends_with_eos)  # truncated exactly when no EOS was emitted
        assert not torch.isin(real[:-1], eos).any()  # nothing after an EOS
        if trunc:
            assert n == 12
    assert (b.old_logp[b.resp_mask] < 0).all() and (b.old_logp[~b.resp_mask] == 0).all()


def test_same_seed_same_samples_other_seed_differs(tokenizer, tiny_model):
    eng = HFEngine(tiny_model, eos_token_ids(tokenizer), tokenizer.pad_token_id)
    p = SamplingParams(n=2, max_tokens=10)
    a, b = eng.generate(_prompts(tokenizer), p, seed=5), eng.generate(_prompts(tokenizer), p, seed=5)
    c = eng.generate(_prompts(tokenizer), p, seed=6)
    assert torch.equal(a.response_ids, b.response_ids) and torch.equal(a.old_logp, b.old_logp)
    assert not torch.equal(a.response_ids, c.response_ids)


def test_old_logp_matches_the_trainer_forward(tokenizer, tiny_model):
    """The cached incremental decode and the trainer's full forward agree on every sampled token."""
    eng = HFEngine(tiny_model, eos_token_ids(tokenizer), tokenizer.pad_token_id, max_batch=5)
    prompts = _prompts(tokenizer, 4)
    b = eng.generate(prompts, SamplingParams(n=3, temperature=0.7, max_tokens=10), seed=1)
    with torch.no_grad():
        logp, _ = response_logp(tiny_model, [p for p in prompts for _ in range(3)], b.response_ids, b.resp_mask,
                                0.7, tokenizer.pad_token_id)
    assert torch.allclose(logp[b.resp_mask], b.old_logp[b.resp_mask], atol=1e-4)


def test_greedy_is_argmax_and_restores_train_mode(tokenizer, tiny_model):
    tiny_model.train()
    eng = HFEngine(tiny_model, eos_token_ids(tokenizer), tokenizer.pad_token_id)
    a = eng.generate(_prompts(tokenizer), SamplingParams(n=2, temperature=0.0, max_tokens=6), seed=0)
    b = eng.generate(_prompts(tokenizer), SamplingParams(n=2, temperature=0.0, max_tokens=6), seed=9)
    assert torch.equal(a.response_ids, b.response_ids)
    assert torch.equal(a.response_ids[0], a.response_ids[1])  # both samples of a group are the argmax path
    assert tiny_model.training


def test_top_p_keeps_the_nucleus():
    logits = torch.log(torch.tensor([[0.6, 0.3, 0.05, 0.05]]))
    gen = torch.Generator().manual_seed(0)
    drawn = {sample_next(logits, 1.0, 0.5, gen)[0].item() for _ in range(50)}
    assert drawn == {0}  # 0.6 alone covers top_p 0.5
    drawn = {sample_next(logits, 1.0, 0.85, gen)[0].item() for _ in range(200)}
    assert drawn == {0, 1}
    _, lp = sample_next(logits, 1.0, 0.5, gen)
    assert torch.allclose(lp, torch.log(torch.tensor([0.6])))  # logp of the full distribution


def test_sampler_draws_in_proportion_and_never_a_zero_probability_token():
    probs = torch.tensor([0.5, 0.0, 0.3, 0.2, 0.0])
    logits = torch.log(probs).expand(20000, -1)  # -inf on the zero-probability tokens
    gen = torch.Generator().manual_seed(0)
    tok, lp = sample_next(logits, 1.0, 1.0, gen)
    freq = torch.bincount(tok, minlength=5).float() / tok.numel()
    assert freq[1] == 0 and freq[4] == 0
    assert torch.allclose(freq, probs, atol=0.015)  # 20000 draws: sd of each frequency <= 0.0036
    assert torch.allclose(lp, torch.log(probs)[tok])
    tok, _ = sample_next(logits, 1.0, 0.7, gen)  # nucleus {0, 2}: renormalised 0.625 / 0.375
    freq = torch.bincount(tok, minlength=5).float() / tok.numel()
    assert freq[[1, 3, 4]].sum() == 0 and abs(freq[0].item() - 0.625) < 0.015


def test_rows_that_end_early_leave_the_batch_without_changing_the_others(tokenizer, tiny_model):
    """With half the vocabulary as EOS, rows end at many different steps, so the batch shrinks several times;
    every kept token's log-prob must still be the trainer's, and masks / truncation stay exact."""
    eos = list(range(0, 256, 2))
    eng = HFEngine(tiny_model, eos, tokenizer.pad_token_id)
    prompts = _prompts(tokenizer, 4)
    b = eng.generate(prompts, SamplingParams(n=8, max_tokens=12), seed=3)
    lengths = b.lengths
    assert lengths.min() < lengths.max()  # rows did end at different steps
    eos_t = torch.tensor(eos)
    for ids, m, trunc, n in zip(b.response_ids, b.resp_mask, b.truncated, lengths, strict=True):
        assert m[:n].all() and not m[n:].any()
        assert (ids[~m] == tokenizer.pad_token_id).all()
        assert bool(trunc) == (not torch.isin(ids[n - 1], eos_t)) and not torch.isin(ids[: n - 1], eos_t).any()
    with torch.no_grad():
        logp, _ = response_logp(tiny_model, [p for p in prompts for _ in range(8)], b.response_ids, b.resp_mask,
                                1.0, tokenizer.pad_token_id)
    assert torch.allclose(logp[b.resp_mask], b.old_logp[b.resp_mask], atol=1e-4)
    assert (b.old_logp[~b.resp_mask] == 0).all()


def test_prompts_of_one_length_sample_as_with_a_mask(tokenizer, tiny_model):
    """No left padding: the engine drops the attention mask; log-probs still match the trainer's."""
    prompts = [encode_prompt(tokenizer, [{"role": "user", "content": f"{10 + i}+{20 + i}-{30 + i}"}]) for i in range(3)]
    assert len({len(p) for p in prompts}) == 1
    eng = HFEngine(tiny_model, eos_token_ids(tokenizer), tokenizer.pad_token_id)
    b = eng.generate(prompts, SamplingParams(n=2, max_tokens=10), seed=2)
    with torch.no_grad():
        logp, _ = response_logp(tiny_model, [p for p in prompts for _ in range(2)], b.response_ids, b.resp_mask,
                                1.0, tokenizer.pad_token_id)
    assert torch.allclose(logp[b.resp_mask], b.old_logp[b.resp_mask], atol=1e-4)
