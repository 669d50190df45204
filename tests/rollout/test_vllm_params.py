"""The vLLM engine's pure parts, without vLLM: parameter mapping, output conversion, weight-sync bookkeeping.

The GPU test at the end runs the real engine (`pytest -m gpu tests/rollout/test_vllm_params.py` with
OR1_VLLM_TEST_MODEL set to a small HF causal LM, e.g. Qwen/Qwen2.5-0.5B-Instruct); see docs/launch.md.
"""

from __future__ import annotations

import importlib.util
import os

import pytest
import torch

from or1.config import RolloutConfig
from or1.rollout.hf_engine import HFEngine
from or1.rollout.prompts import encode_prompt, eos_token_ids
from or1.rollout.types import SamplingParams
from or1.rollout.vllm_params import (
    LOGPROBS_MODE,
    Completion,
    WeightSync,
    check_vllm_version,
    request_seed,
    sampled_logprobs,
    sampling_kwargs,
    to_rollout_batch,
    vllm_name,
    vllm_requests,
    weight_buckets,
)

HAS_VLLM = importlib.util.find_spec("vllm") is not None


def _prompts(tok, n=3):
    return [encode_prompt(tok, [{"role": "user", "content": f"{10 + i}+{i}-3"}]) for i in range(n)]


# --- sampling parameters ---------------------------------------------------------------------------------

def test_sampling_maps_to_one_seeded_request_with_sampled_logprob():
    kw = sampling_kwargs(SamplingParams(n=16, temperature=1.0, top_p=1.0, max_tokens=16384), [7, 3, 7], seed=11)
    assert kw == {"n": 1, "temperature": 1.0, "top_p": 1.0, "max_tokens": 16384, "seed": 11, "logprobs": 0,
                  "stop_token_ids": [3, 7], "detokenize": False}
    assert LOGPROBS_MODE == "processed_logprobs"  # log-probs of softmax(logits / τ), the trainer's π_old


def test_greedy_is_temperature_zero_and_forces_top_p_one():
    kw = sampling_kwargs(SamplingParams(n=1, temperature=0.0, top_p=0.5, max_tokens=8), [2], seed=0)
    assert kw["temperature"] == 0.0 and kw["top_p"] == 1.0  # vLLM rejects greedy with top_p < 1


def test_top_p_and_validation_temperature_pass_through():
    kw = sampling_kwargs(SamplingParams(n=8, temperature=0.6, top_p=0.95, max_tokens=32), [2], seed=0)
    assert (kw["temperature"], kw["top_p"], kw["max_tokens"]) == (0.6, 0.95, 32)
    with pytest.raises(ValueError, match="max_tokens"):
        sampling_kwargs(SamplingParams(max_tokens=0), [2], seed=0)


def test_requests_expand_groups_contiguously_with_distinct_stable_seeds():
    prompts = [[1, 2], [3], [4, 5, 6]]
    reqs = vllm_requests(prompts, SamplingParams(n=4, temperature=0.0, max_tokens=5), [9], seed=5)
    assert [ids for ids, _ in reqs] == [[1, 2]] * 4 + [[3]] * 4 + [[4, 5, 6]] * 4  # N = P·G, groups contiguous
    seeds = [kw["seed"] for _, kw in reqs]
    assert len(set(seeds)) == 12 and all(0 <= s < 2**31 for s in seeds)
    assert all(kw["n"] == 1 for _, kw in reqs)  # greedy with n > 1 is refused by vLLM; one request each
    again = vllm_requests(prompts, SamplingParams(n=4, max_tokens=5), [9], seed=5)
    assert [kw["seed"] for _, kw in again] == seeds  # same step seed -> same request seeds
    other = [kw["seed"] for _, kw in vllm_requests(prompts, SamplingParams(n=4, max_tokens=5), [9], seed=6)]
    assert not set(other) & set(seeds)
    assert request_seed(5, 0) == seeds[0]
    tail = vllm_requests(prompts[1:], SamplingParams(n=4, max_tokens=5), [9], seed=5, first_index=4)
    assert tail == again[4:]  # a slice sampled with its offset is that part of the whole batch


def test_version_check():
    for ok in ("0.10.2", "0.11.0", "0.10.2rc1+cu128", "1.0"):
        check_vllm_version(ok)
    for old in ("0.8.5", "0.10.1.1", "0.10.0"):
        with pytest.raises(RuntimeError, match=r"vllm>=0\.10\.2"):
            check_vllm_version(old)


# --- output conversion -----------------------------------------------------------------------------------

class _Logprob:  # the shape of vllm.logprobs.Logprob: an object with .logprob
    def __init__(self, v: float):
        self.logprob = v


def test_sampled_logprobs_reads_the_sampled_token_at_each_position():
    ids = [5, 9, 2]
    entries = [{5: _Logprob(-0.1)}, {9: -0.2, 4: -3.0}, {2: _Logprob(-0.3)}]  # objects or floats
    assert sampled_logprobs(ids, entries) == pytest.approx([-0.1, -0.2, -0.3])
    with pytest.raises(ValueError, match="logprobs=0"):
        sampled_logprobs(ids, None)
    with pytest.raises(ValueError, match="3 tokens but 2"):
        sampled_logprobs(ids, entries[:2])


def test_conversion_shapes_masks_padding_and_truncation():
    comps = [Completion([4, 5, 2], [-0.1, -0.2, -0.3], "stop"),  # EOS 2 emitted: kept in mask
             Completion([6, 7, 8, 9], [-1.0, -1.1, -1.2, -1.3], "length"),  # hit max_tokens=4: truncated
             Completion([2], [-0.5], "stop"),
             Completion([3, 2], [-0.7, -0.8], "stop")]
    b = to_rollout_batch([[1, 1], [1]], comps, group_size=2, pad_id=0)
    assert b.response_ids.tolist() == [[4, 5, 2, 0], [6, 7, 8, 9], [2, 0, 0, 0], [3, 2, 0, 0]]
    assert b.resp_mask.tolist() == [[1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0], [1, 1, 0, 0]]
    assert b.truncated.tolist() == [False, True, False, False]
    assert b.lengths.tolist() == [3, 4, 1, 2]
    assert b.old_logp[0].tolist() == pytest.approx([-0.1, -0.2, -0.3, 0.0])  # log-prob of token t at t
    assert b.old_logp.dtype == torch.float32 and (b.old_logp[~b.resp_mask] == 0).all()
    assert b.group_size == 2 and b.prompt_ids == [[1, 1], [1]]


def test_conversion_refuses_aborted_or_mismatched_outputs():
    good = Completion([2], [-0.1], "stop")
    with pytest.raises(ValueError, match="expected 2 completions"):
        to_rollout_batch([[1]], [good], group_size=2, pad_id=0)
    with pytest.raises(ValueError, match="abort"):
        to_rollout_batch([[1]], [good, Completion([2], [-0.1], "abort")], group_size=2, pad_id=0)
    with pytest.raises(ValueError, match="1 tokens, 0 log-probs"):
        to_rollout_batch([[1]], [good, Completion([2], [], "stop")], group_size=2, pad_id=0)


def test_conversion_reproduces_an_hf_engine_batch(tokenizer, tiny_model):
    """A batch from HFEngine, read back as vLLM would return it, converts to the identical batch:
    the two engines share one set of conventions (EOS in the mask, pad after, truncated = no EOS)."""
    eng = HFEngine(tiny_model, eos_token_ids(tokenizer), tokenizer.pad_token_id)
    prompts = _prompts(tokenizer)
    ref = eng.generate(prompts, SamplingParams(n=4, temperature=1.0, max_tokens=12), seed=3)
    assert ref.truncated.any() and not ref.truncated.all()  # both kinds of ending are covered
    comps = [Completion(ids[m].tolist(), lp[m].tolist(), "length" if tr else "stop")
             for ids, m, lp, tr in zip(ref.response_ids, ref.resp_mask, ref.old_logp, ref.truncated, strict=True)]
    got = to_rollout_batch(prompts, comps, group_size=4, pad_id=tokenizer.pad_token_id)
    assert torch.equal(got.response_ids, ref.response_ids) and torch.equal(got.resp_mask, ref.resp_mask)
    assert torch.equal(got.old_logp, ref.old_logp) and torch.equal(got.truncated, ref.truncated)
    assert got.prompt_ids == ref.prompt_ids and got.group_size == ref.group_size


# --- weight sync -----------------------------------------------------------------------------------------

def test_buckets_respect_the_budget_and_cover_each_parameter_once(tiny_model):
    sizes = [(n, p.numel() * 2) for n, p in tiny_model.named_parameters()]
    total = sum(s for _, s in sizes)
    for budget in (1, 4096, 65536, total // 3, total, 10 * total):
        buckets = weight_buckets(sizes, budget)
        names = [n for b in buckets for n in b]
        assert names == [n for n, _ in sizes]  # every parameter once, in order
        size = dict(sizes)
        for b in buckets:
            used = sum(size[n] for n in b)
            assert used <= budget or len(b) == 1  # only a single over-budget tensor may exceed it
    assert len(weight_buckets(sizes, 10 * total)) == 1
    assert weight_buckets([("a", 3), ("b", 3), ("c", 3), ("d", 10)], 6) == [["a", "b"], ["c"], ["d"]]
    with pytest.raises(ValueError):
        weight_buckets(sizes, 0)


def test_names_are_the_hf_checkpoint_names():
    assert vllm_name("model.layers.0._checkpoint_wrapped_module.self_attn.q_proj.weight") == \
        "model.layers.0.self_attn.q_proj.weight"
    assert vllm_name("_orig_mod.model.embed_tokens.weight") == "model.embed_tokens.weight"
    assert vllm_name("module.lm_head.weight") == "lm_head.weight"
    assert vllm_name("model.norm.weight") == "model.norm.weight"


def test_sync_only_when_stale(tiny_model):
    ws = WeightSync(bucket_bytes=1 << 16)
    named = list(tiny_model.named_parameters())
    first = ws.plan(named, dtype_bytes=2)  # the engine still holds its start-up checkpoint (-1)
    assert first and [n for b in first for n, _ in b] == [n for n, _ in named]
    ws.synced(nbytes=123)
    assert not ws.stale and ws.plan(named) == [] and ws.engine_version == 0 and ws.sent_bytes == 123
    assert ws.trained() == 1 and ws.stale
    assert ws.plan(named)  # one optimiser step -> send again
    ws.synced()
    assert ws.plan(named) == []  # a second rollout of the same step (validation, refill) sends nothing


def test_frozen_parameters_are_not_sent(tiny_model):
    tiny_model.model.embed_tokens.weight.requires_grad_(False)
    names = [n for b in WeightSync().plan(tiny_model.named_parameters()) for n, _ in b]
    assert "model.embed_tokens.weight" not in names and "model.norm.weight" in names


# --- the engine itself -----------------------------------------------------------------------------------

@pytest.mark.skipif(HAS_VLLM, reason="vLLM is installed: the missing-extra error cannot occur")
def test_engine_without_vllm_names_the_extra(tiny_model, tokenizer):
    from or1.rollout.vllm_engine import VLLMEngine

    with pytest.raises(ImportError, match=r"^rollout.engine=vllm needs the GPU extra: pip install 'or1\[vllm\]'$"):
        VLLMEngine("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", [2], 0)
    with pytest.raises(ImportError, match=r"pip install 'or1\[vllm\]'"):
        VLLMEngine.from_config(RolloutConfig(engine="vllm"), tiny_model, tokenizer)


@pytest.mark.gpu
@pytest.mark.skipif(not (torch.cuda.is_available() and HAS_VLLM and os.environ.get("OR1_VLLM_TEST_MODEL")),
                    reason="needs CUDA, vllm and OR1_VLLM_TEST_MODEL (a small HF causal LM)")
def test_vllm_engine_on_gpu_matches_trainer_logp_and_syncs_weights():
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from or1.rollout.vllm_engine import VLLMEngine
    from or1.trainer.forward import response_logp

    path = os.environ["OR1_VLLM_TEST_MODEL"]
    tok = AutoTokenizer.from_pretrained(path, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16).cuda()
    eng = VLLMEngine.from_config(RolloutConfig(engine="vllm", gpu_memory_utilization=0.3), model, tok,
                                 max_model_len=1024)
    prompts = [encode_prompt(tok, [{"role": "user", "content": f"What is {i} + {i}?"}]) for i in range(4)]
    p = SamplingParams(n=4, temperature=0.7, max_tokens=64)
    a, b = eng.generate(prompts, p, seed=1), eng.generate(prompts, p, seed=1)
    assert torch.equal(a.response_ids, b.response_ids)  # seeded requests are reproducible
    rows = [q for q in prompts for _ in range(4)]
    with torch.no_grad():
        logp, _ = response_logp(model, rows, a.response_ids.cuda(), a.resp_mask.cuda(), 0.7, tok.pad_token_id)
    assert (logp.cpu()[a.resp_mask] - a.old_logp[a.resp_mask]).abs().mean() < 0.05  # bf16 kernels differ a little
    with torch.no_grad():
        model.lm_head.weight.mul_(0.0)  # uniform next-token distribution after the sync
    eng.sync_weights(step=1)
    eng.sync_weights(step=1)  # same step: nothing sent again
    c = eng.generate(prompts, SamplingParams(n=2, temperature=1.0, max_tokens=8), seed=2)
    vocab = model.config.vocab_size
    assert torch.allclose(c.old_logp[c.resp_mask], torch.full_like(c.old_logp[c.resp_mask], -torch.log(
        torch.tensor(float(vocab)))), atol=0.05)
