"""MAGIC, one pure function or small class per component (DESIGN.md §1)."""

from or1.algo.advantage import group_advantages, to_tokens
from or1.algo.entropy import AdaptiveEntropyController, estimate_entropy, token_entropy
from or1.algo.filtering import informative_groups, offline_keep
from or1.algo.policy_loss import LossOut, clipped_surrogate, token_mean
from or1.algo.stages import Stage, StageSchedule
from or1.algo.truncation import mask_truncated

__all__ = [
    "AdaptiveEntropyController",
    "LossOut",
    "Stage",
    "StageSchedule",
    "clipped_surrogate",
    "estimate_entropy",
    "group_advantages",
    "informative_groups",
    "mask_truncated",
    "offline_keep",
    "to_tokens",
    "token_entropy",
    "token_mean",
]
