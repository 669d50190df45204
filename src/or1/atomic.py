"""Atomic writes: build the new file or folder under a temporary name beside the target, then rename it over.

A reader (or a resumed run) sees the old content or the new, never a torn one. Every atomic write in or1
goes through `atomic_file` or `atomic_dir` (or the two one-call helpers on top of `atomic_file`):

    with atomic_file(out / "pass.csv") as tmp:      # tmp: out/pass.csv.<random>.tmp
        df.to_csv(tmp)                              # fsync'd and renamed over pass.csv on success
    with atomic_dir(out / "export") as tmp:         # tmp: out/.export.<random>.tmp/, empty
        model.save_pretrained(tmp)                  # renamed over export/ on success

On an exception the temporary is removed and the target is left as it was. Temporary names end in `.tmp`,
the suffix a resumed run clears (`trainer/resume.py`). A multi-rank writer that needs one name all ranks
agree on builds it itself and calls `replace_dir` from rank 0 (`distributed/checkpoint.py`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_dir", "atomic_file", "replace_dir", "write_bytes_atomic", "write_text_atomic"]


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; on success it is fsync'd and renamed over `path`.

    Creates the parent folder. The temporary exists, empty, when yielded: the writer overwrites it by name
    (open, pyarrow, matplotlib with an explicit format, since the name ends in `.tmp`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """A fresh empty folder beside `path` to fill; on success it replaces `path` (removed first if present)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        yield tmp
        replace_dir(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def replace_dir(src: Path, dst: Path) -> None:
    """Rename the finished folder `src` to `dst`, removing an existing `dst` first.

    Between the removal and the rename `dst` is absent, never half-written: callers that must always find
    one (checkpoints) keep older versions under other names.
    """
    if dst.exists():
        shutil.rmtree(dst)
    os.replace(src, dst)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Replace `path` with `text` (UTF-8) atomically; creates the parent folder."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Replace `path` with `data` atomically; creates the parent folder."""
    with atomic_file(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
