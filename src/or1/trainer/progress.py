"""The train display: one rich bar for the steps, and short-lived bars under it for long passes
(validation, the offline filter)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

__all__ = ["progress", "subtask"]


def progress(enabled: bool) -> Progress:
    """The train display (draws nothing when not `enabled`)."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), TextColumn("{task.fields[info]}"), disable=not enabled)


@contextmanager
def subtask(bar: Progress | None, description: str, total: int) -> Iterator[Callable[[int], None] | None]:
    """A bar of `total` items under the train bar (rich shows one live display at a time), gone when done.

    Yields the callback that advances it (None without `bar`); a disabled display draws nothing.
    """
    if bar is None:
        yield None
        return
    task = bar.add_task(description, total=total, info="")
    try:
        yield lambda k: bar.update(task, advance=k, refresh=True)
    finally:
        bar.remove_task(task)
