"""Optional truncation mask (DESIGN.md §1): off by default, since masking hurt in the report's ablation."""

from __future__ import annotations

from torch import Tensor

__all__ = ["mask_truncated"]


def mask_truncated(resp_mask: Tensor, truncated: Tensor) -> Tensor:
    """Drop every token of truncated responses from the loss.

    By default or1 keeps them: a truncated response gets reward 0 and still trains, which teaches the
    policy to finish within the context. Shapes: (N, T) bool, (N,) bool -> (N, T) bool.
    """
    return resp_mask & ~truncated[:, None]
