"""The answer section of a reasoning model's response (DESIGN.md §2)."""

from __future__ import annotations

__all__ = ["THINK_END", "answer_section"]

THINK_END = "</think>"


def answer_section(response: str) -> str | None:
    """Text after the last `</think>`, or None when the response never closed its reasoning.

    A response without `</think>` is unfinished and earns reward 0: the original release scored the
    whole text in that case, which let a model put a boxed answer inside unfinished reasoning.
    """
    pos = response.rfind(THINK_END)
    if pos < 0:
        return None
    return response[pos + len(THINK_END) :]
