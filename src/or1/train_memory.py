"""Trainer memory per GPU: sharded state, gathered weights, one micro-batch's activations, the log-prob head.

A first-principles estimate for FSDP2 with bf16 compute (`distributed.mixed_precision`), W GPUs, a model of N
parameters, L layers, hidden H, attention width A = heads·head_dim, KV width K = kv_heads·head_dim, MLP width I,
vocabulary V; S = `algo.micro_batch_tokens` tokens per forward/backward; b = 2 bytes per bf16 element:

    state       = 16·N / W            fp32 master weights (4), gradients (4), AdamW m and v (8), sharded
    gathered    = 2·b·(R + 2·N_layer)  bf16 weights and gradients of the root unit (embeddings, final norm,
                                       LM head: R = V·H, twice if untied; gathered from forward to the end of
                                       backward) and of two decoder layers (the one running, the one prefetched);
                                       N_layer = (N - R) / L
    activations = L·S·H·b + S·a        with activation checkpointing (each layer's input, then one layer's
                = L·S·a                without); a = b·(4H + 2A + 2K + 4I) bytes per token and layer: the inputs
                                       of the two RMSNorms and of the projections (4H), q and the attention
                                       output (2A), k and v (2K), gate, up, SiLU(gate) and their product (4I);
                                       flash attention keeps no S² term
    logp head   = 8·c·v + 4·V·H        chunked (`trainer/lm_head_chunks.py`, c positions × v vocabulary per
                                       block): two fp32 blocks, and the fp32 accumulator of the head's gradient
                = 24·S·V               the former full logits: 24 bytes per (token, vocabulary entry), about
                                       six fp32 copies (measured: 24.2, `benchmarks/memory.py`)

Left out: the rollout engine (vLLM frees its KV cache while the trainer runs), communication buffers, the
allocator's fragmentation (plan for ~10% more), π_old's forward (no activations kept).
Worked numbers: tests/test_throughput.py (7B on 32 H800, S = 34,816: 26.3 GB with checkpointing, 204 GB
without; the former full-logits head alone: 127 GB).
"""

from __future__ import annotations

from dataclasses import dataclass

from or1.throughput import ModelShape

__all__ = ["TrainMemory", "train_memory"]


@dataclass(frozen=True)
class TrainMemory:
    """Peak trainer bytes per GPU, by part (module docstring)."""

    state: float
    gathered: float
    activations: float
    logp_head: float

    @property
    def total(self) -> float:
        return self.state + self.gathered + self.activations + self.logp_head


def train_memory(model: ModelShape, gpus: int, micro_batch_tokens: int, activation_checkpointing: bool,
                 chunk_tokens: int | None = 1024, vocab_chunk: int = 32768, compute_bytes: int = 2) -> TrainMemory:
    """Trainer memory per GPU of one micro-batch's forward + backward (formulas in the module docstring).

    Args:
        model: the policy's shape (`throughput.MODELS`).
        gpus: W, the FSDP world size the state is sharded over.
        micro_batch_tokens: S, tokens per forward/backward (`algo.micro_batch_tokens`).
        activation_checkpointing: `distributed.activation_checkpointing`.
        chunk_tokens, vocab_chunk: the log-prob head's block (`lm_head_chunks.CHUNK_TOKENS`, `VOCAB_CHUNK`);
            chunk_tokens=None: the former full logits.
        compute_bytes: b, bytes per element of weights and activations in compute (2 = bf16).

    Raises:
        ValueError: gpus or micro_batch_tokens below 1.
    """
    if gpus < 1 or micro_batch_tokens < 1:
        raise ValueError(f"need gpus >= 1 and micro_batch_tokens >= 1, got {gpus}, {micro_batch_tokens}")
    n, L, H, V, S, b = model.params, model.layers, model.hidden, model.vocab, micro_batch_tokens, compute_bytes
    root = V * H * (1 if model.tied else 2)
    per_layer = (n - root) / L
    a = b * (4 * H + 2 * model.attn_dim + 2 * model.kv_heads * model.head_dim + 4 * model.intermediate)
    acts = L * S * H * b + S * a if activation_checkpointing else L * S * a
    head = 24 * S * V if chunk_tokens is None else 8 * min(chunk_tokens, S) * min(vocab_chunk, V) + 4 * V * H
    return TrainMemory(16 * n / gpus, 2 * b * (root + 2 * per_layer), acts, head)
