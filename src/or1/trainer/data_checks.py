"""Rows that can never earn reward, found at load instead of training silently on them.

A math row whose gold holds no answer ("[]", "", blank) scores 0 for every response; a code row without
test cases likewise; a prompt that is empty after templating (blank messages, or a template that keeps
none of them) gives the policy nothing to answer. Each wastes rollouts forever and, in an all-0 group,
is dropped by the online filter without a word. The trainer rejects them at load, naming file and row,
or skips and counts them with `data.skip_invalid=true`.
"""

from __future__ import annotations

from collections.abc import Sequence

from transformers import PreTrainedTokenizerBase

from or1.problems.schema import Problem
from or1.rewards.code.compare import parse_ground_truth
from or1.rewards.math.verifier import gold_answers
from or1.rollout.prompts import encode_prompt

__all__ = ["bare_template_length", "why_unpayable"]


def bare_template_length(tokenizer: PreTrainedTokenizerBase) -> int:
    """Tokens of the chat template around one empty user message: a prompt no longer holds nothing."""
    return len(encode_prompt(tokenizer, [{"role": "user", "content": ""}]))


def _gold_problem(p: Problem) -> str | None:
    if p.ground_truth is None:
        return "it has no gold answer"
    if p.ability == "math":
        if not any(str(g).strip() for g in gold_answers(p.ground_truth)):
            return f"its gold {p.ground_truth!r} holds no answer"
    elif p.ability == "code":
        try:
            parse_ground_truth(p.ground_truth)
        except (ValueError, TypeError) as e:  # json errors are ValueErrors
            return f"its tests cannot run ({e})"
    return None


def why_unpayable(p: Problem, prompt_ids: Sequence[int], bare_length: int) -> str | None:
    """Why row `p` can never earn reward, or None when it can.

    Args:
        p: the row.
        prompt_ids: its templated prompt (`encode_prompt`).
        bare_length: `bare_template_length` of the tokenizer.
    """
    if not any(str(m.get("content", "")).strip() for m in p.prompt) or len(prompt_ids) <= bare_length:
        return "its prompt is empty after templating"
    return _gold_problem(p)
