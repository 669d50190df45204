"""Rule-based rewards: answer extraction, math and code verifiers, the registry the trainer calls."""

from or1.rewards.extract import THINK_END, answer_section
from or1.rewards.types import RewardResult

__all__ = ["THINK_END", "RewardResult", "answer_section"]
