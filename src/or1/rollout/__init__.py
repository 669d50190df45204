"""Rollout engines (HF `generate`-free sampler, vLLM as an extra) and the one batch type they return."""

from __future__ import annotations

from or1.lazy import lazy_exports

__all__ = ["HFEngine", "RolloutBatch", "RolloutEngine", "SamplingParams", "VLLMEngine", "cat_batches",
           "encode_prompt", "eos_token_ids"]

_WHERE = {"HFEngine": "hf_engine", "VLLMEngine": "vllm_engine", "RolloutBatch": "types", "RolloutEngine": "types",
          "SamplingParams": "types", "cat_batches": "types", "encode_prompt": "prompts", "eos_token_ids": "prompts"}

__getattr__ = lazy_exports(__name__, _WHERE)
