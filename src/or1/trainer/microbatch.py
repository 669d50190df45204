"""Splitting a mini-batch's rows into micro-batches: by row count, or by a padded-token budget."""

from __future__ import annotations

__all__ = ["plan_micro_batches"]


def plan_micro_batches(lengths: list[int], max_rows: int, max_tokens: int | None = None) -> list[range]:
    """Contiguous row ranges covering `lengths` in order, each one forward/backward.

    A micro-batch is padded to its longest row, so its cost is rows × longest (prompt + response) length.
    Each range holds at most `max_rows` rows and, with `max_tokens`, costs at most `max_tokens` padded
    tokens; a single row longer than the budget forms a micro-batch of its own. The split never changes
    the loss: every micro-batch is normalised by the whole mini-batch's token count.

    Example: lengths [3, 3, 8, 2], max_rows 4, max_tokens 10 -> [range(0, 2), range(2, 3), range(3, 4)].

    Args:
        lengths: tokens per row (prompt + response, unpadded).
        max_rows: the row cap (`algo.micro_batch_size`).
        max_tokens: the padded-token budget (`algo.micro_batch_tokens`), or None for rows only.
    """
    if max_rows < 1 or (max_tokens is not None and max_tokens < 1):
        raise ValueError(f"micro-batch limits must be >= 1 (rows {max_rows}, tokens {max_tokens})")
    out: list[range] = []
    start, longest = 0, 0
    for i, n in enumerate(lengths):
        rows, wider = i - start + 1, max(longest, n)
        over = rows > max_rows or (max_tokens is not None and rows * wider > max_tokens)
        if over and i > start:
            out.append(range(start, i))
            start, wider = i, n
        longest = wider
    if start < len(lengths):
        out.append(range(start, len(lengths)))
    return out
