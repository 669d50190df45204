"""Token log-probs and entropy from the LM head in chunks: never the (positions, V) logits of a whole row.

The trainer needs, at each response position, log π(y) of the sampled token and the entropy of π. Taking
them from the full logits holds about six fp32 copies of a (T, V) tensor at the peak: with Qwen's
V = 152,064 and one 34,816-token row that is ~125 GB. Here the logits exist one block of
`chunk_tokens` positions × `vocab_chunk` vocabulary entries at a time, in forward and again (recomputed)
in backward; what is kept for backward is the hidden states, the weight and two floats per position.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

__all__ = ["CHUNK_TOKENS", "VOCAB_CHUNK", "chunked_token_logp"]

CHUNK_TOKENS = 1024  # positions per block: big enough for efficient matmuls, a few hundred MB per block at V=152K
VOCAB_CHUNK = 32768  # vocabulary entries per block: Qwen's 152K vocabulary in 5 blocks of ≤ 134 MB (fp32)


def chunked_token_logp(hidden: Tensor, weight: Tensor, targets: Tensor, temperature: float = 1.0,
                       with_entropy: bool = False, chunk_tokens: int = CHUNK_TOKENS,
                       vocab_chunk: int | None = VOCAB_CHUNK) -> tuple[Tensor, Tensor | None]:
    """log softmax(z / τ)[y] and the entropy of softmax(z / τ) at every position, z = hidden · weightᵀ.

    With s = z / τ (z computed in the hidden states' dtype, as the LM head does, then cast to fp32):
        lse = log Σ_v exp(s_v)          logp = s_y - lse          H = lse - E_p[s],  p = softmax(s)
    Over vocabulary blocks b, with m_b = max s, S_b = Σ exp(s - m_b), W_b = Σ exp(s - m_b)·s, the running
    (m, S, W) absorb each block as m' = max(m, m_b), S' = S·e^(m - m') + S_b·e^(m_b - m'), W' likewise;
    then lse = m + log S and E_p[s] = W / S. Backward recomputes each block's s, p = exp(s - lse), and
        ∂logp/∂s_v = 1[v = y] - p_v          ∂H/∂s_v = -p_v (s_v - E_p[s])
    so ∂s = g_logp (1[v = y] - p) - g_H p (s - E_p[s]), ∂z = ∂s / τ, ∂hidden = ∂z·W, ∂W = ∂zᵀ·hidden
    (∂W summed over position blocks in fp32, then cast to the weight's dtype).

    Worked example: hidden [[1, 0]], weight [[1, 0], [0, 0]] (V = 2), y = 0, τ = 1: s = [1, 0],
    lse = log(e + 1) = 1.3133, logp = 1 - 1.3133 = -0.3133, p = [0.7311, 0.2689], E_p[s] = 0.7311,
    H = 1.3133 - 0.7311 = 0.5822.

    Args:
        hidden: final hidden states (the LM head's input), any float dtype.
        weight: the LM head weight (V, H), same dtype as `hidden` (tied embeddings: the embedding matrix).
        targets: the token each position predicts, in [0, V).
        temperature: τ; the logits are divided by it in fp32, as the rollout samples them.
        with_entropy: also return H (and backpropagate through it).
        chunk_tokens: positions per block (rows of the flattened leading dims).
        vocab_chunk: vocabulary entries per block; None = the whole vocabulary in one block.

    Shapes: hidden (..., H), weight (V, H), targets (...) -> logp (...) float32, entropy (...) float32 or None.
    Edge cases: no positions gives empty outputs; gradients flow to `hidden` and `weight` (not `targets`).
    """
    if chunk_tokens < 1 or (vocab_chunk is not None and vocab_chunk < 1):
        raise ValueError(f"chunk_tokens={chunk_tokens} and vocab_chunk={vocab_chunk} must be >= 1")
    if hidden.shape[:-1] != targets.shape:
        raise ValueError(f"hidden {tuple(hidden.shape)} and targets {tuple(targets.shape)} must share leading dims")
    lead = targets.shape
    v = weight.shape[0] if vocab_chunk is None else min(vocab_chunk, weight.shape[0])
    logp, ent = _ChunkedLogp.apply(hidden.reshape(-1, hidden.shape[-1]), weight,
                                   targets.reshape(-1).to(hidden.device), float(temperature), with_entropy,
                                   chunk_tokens, v)
    return logp.view(lead), (ent.view(lead) if with_entropy else None)


class _ChunkedLogp(torch.autograd.Function):
    """Forward and backward of `chunked_token_logp` over (N, H) hidden states, block by block."""

    @staticmethod
    def forward(ctx: Any, hidden: Tensor, weight: Tensor, targets: Tensor, temperature: float,
                with_entropy: bool, chunk: int, vocab_chunk: int) -> tuple[Tensor, Tensor]:
        n = hidden.shape[0]
        logp = torch.empty(n, dtype=torch.float32, device=hidden.device)  # (N,)
        lse, mean_s = torch.empty_like(logp), torch.empty_like(logp)  # (N,): log Σ e^s and E_p[s]
        for a in range(0, n, chunk):
            h, y = hidden[a : a + chunk], targets[a : a + chunk]  # (c, H), (c,)
            m = torch.full_like(logp[a : a + chunk], -torch.inf)  # running max, sum of e^(s-m), of e^(s-m)·s
            total, weighted, s_y = torch.zeros_like(m), torch.zeros_like(m), torch.zeros_like(m)
            for b in range(0, weight.shape[0], vocab_chunk):
                s = _scaled_logits(h, weight[b : b + vocab_chunk], temperature)  # (c, v) fp32
                s_y = torch.where((y >= b) & (y < b + s.shape[1]),  # the target's logit, if in this block
                                  s.gather(1, (y - b).clamp(0, s.shape[1] - 1)[:, None]).squeeze(1), s_y)
                m_new = torch.maximum(m, s.max(-1).values)  # (c,)
                keep = torch.exp(m - m_new)  # (c,): rescales the earlier blocks' sums (0 before the first)
                # e^(s - m): one new block (or s's own buffer when s is not needed again), no temporary
                e = s.sub(m_new[:, None]).exp_() if with_entropy else s.sub_(m_new[:, None]).exp_()  # (c, v)
                total = total * keep + e.sum(-1)
                if with_entropy:
                    weighted = weighted * keep + torch.einsum("cv,cv->c", e, s)  # Σ e·s without a (c, v) product
                m = m_new
                del s, e  # before the next block is allocated, not after: one block's buffers at a time
            lse[a : a + chunk] = m + torch.log(total)
            logp[a : a + chunk] = s_y - lse[a : a + chunk]
            mean_s[a : a + chunk] = weighted / total
        ent = lse - mean_s if with_entropy else torch.zeros_like(logp)  # (N,)
        ctx.save_for_backward(hidden, weight, targets, lse, mean_s)
        ctx.temperature, ctx.with_entropy, ctx.chunk, ctx.vocab_chunk = temperature, with_entropy, chunk, vocab_chunk
        return logp, ent

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, g_logp: Tensor | None, g_ent: Tensor | None
                 ) -> tuple[Tensor | None, Tensor | None, None, None, None, None, None]:
        hidden, weight, targets, lse, mean_s = ctx.saved_tensors
        tau, chunk, vchunk = ctx.temperature, ctx.chunk, ctx.vocab_chunk
        want_h, want_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        n = hidden.shape[0]
        g_logp = torch.zeros_like(lse) if g_logp is None else g_logp.float()  # (N,)
        g_ent = g_ent.float() if g_ent is not None and ctx.with_entropy else None
        d_hidden = torch.empty_like(hidden) if want_h else None  # (N, H)
        # fp32 accumulator over position blocks: a bf16 one would round once per block.
        d_weight = torch.zeros(weight.shape, dtype=torch.float32, device=weight.device) if want_w else None
        for a in range(0, n, chunk):
            h, y, gl = hidden[a : a + chunk], targets[a : a + chunk], g_logp[a : a + chunk, None]  # (c,H) (c,) (c,1)
            dh = torch.zeros(h.shape, dtype=torch.float32, device=h.device) if want_h else None  # (c, H)
            for b in range(0, weight.shape[0], vchunk):
                w = weight[b : b + vchunk]  # (v, H)
                s = _scaled_logits(h, w, tau)  # (c, v) fp32, recomputed
                p = s.sub(lse[a : a + chunk, None]).exp_()  # (c, v)
                # ∂s = -p·(g_logp + g_H·(s - E_p[s])) + g_logp·1[v = y], in place in the block's buffers
                if g_ent is not None:
                    ds = s.sub_(mean_s[a : a + chunk, None]).mul_(g_ent[a : a + chunk, None]).add_(gl).mul_(p).neg_()
                else:
                    ds = p.mul_(-gl)
                del p
                inside = ((y >= b) & (y < b + w.shape[0])).float()  # (c,): 1 where the target is in this block
                ds.scatter_add_(1, (y - b).clamp(0, w.shape[0] - 1)[:, None], gl * inside[:, None])
                dz = (ds.div_(tau) if tau != 1.0 else ds).to(h.dtype)  # (c, v): the logits' dtype, as autograd does
                if dh is not None:
                    dh += (dz @ w).float()
                if d_weight is not None:
                    d_weight[b : b + vchunk] += (dz.T @ h).float()
                del s, ds, dz  # as in forward
            if d_hidden is not None and dh is not None:
                d_hidden[a : a + chunk] = dh.to(hidden.dtype)
        d_w = d_weight.to(weight.dtype) if d_weight is not None else None
        return d_hidden, d_w, None, None, None, None, None


def _scaled_logits(h: Tensor, w: Tensor, temperature: float) -> Tensor:
    """z / τ in fp32 for one block; z = h·wᵀ in the hidden states' dtype, as `nn.Linear` computes the logits."""
    s = (h @ w.T).float()  # (c, v), a new tensor (callers write into it)
    return s / temperature if temperature != 1.0 else s
