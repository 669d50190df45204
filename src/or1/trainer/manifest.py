"""Checkpoint manifests: every file's size and sha256, the step and the config fingerprint.

A checkpoint proves itself: its `MANIFEST.json` is written last (atomically) and lists every other file.
A folder without a manifest that verifies is not a checkpoint (an interrupted save, a torn copy, a
flipped bit). Files written through `HashingWriter` are hashed while they are written; files written by
other libraries (safetensors, tokenizer JSON) are hashed right after, while still in the page cache.
Verification hashes files on a few threads: hashlib releases the GIL, so files hash in parallel.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from or1.atomic import write_text_atomic

__all__ = ["MANIFEST", "CheckpointError", "HashingWriter", "file_digest", "read_manifest", "verify_checkpoint",
           "write_manifest"]

MANIFEST = "MANIFEST.json"
_FORMAT = 1
_CHUNK = 8 * 2**20  # bytes per read when hashing; large enough that hashlib runs without the GIL
_HASH_THREADS = min(8, os.cpu_count() or 1)


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, incomplete, corrupt, or from a different config; names file and cause."""


class HashingWriter:
    """A binary file opened for writing whose sha256 and size are computed from the bytes as they pass.

    Use as `torch.save(obj, w)`; `digest()` after `close()`. The file is fsynced on close, so a manifest
    written after it never lists bytes that are not yet on disk.
    """

    def __init__(self, path: Path) -> None:
        self.path, self.size = path, 0
        self._f = path.open("wb")
        self._h = hashlib.sha256()

    def write(self, data: bytes | bytearray | memoryview) -> int:
        n = self._f.write(data)
        self._h.update(data)
        self.size += n
        return n

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        if not self._f.closed:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()

    def digest(self) -> dict[str, Any]:
        return {"size": self.size, "sha256": self._h.hexdigest()}

    def __enter__(self) -> HashingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def file_digest(path: Path) -> dict[str, Any]:
    """Size and sha256 of one file, read in large chunks."""
    h, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return {"size": size, "sha256": h.hexdigest()}


def _files(ckpt: Path) -> list[str]:
    return sorted(p.relative_to(ckpt).as_posix() for p in ckpt.rglob("*") if p.is_file() and p.name != MANIFEST)


def write_manifest(ckpt: Path, step: int, fingerprint: str, known: dict[str, dict[str, Any]]) -> Path:
    """Hash every file of `ckpt` not in `known` (already hashed while written) and write the manifest last.

    Files are fsynced before the manifest is, so a manifest on disk implies its files are.
    """
    todo = [name for name in _files(ckpt) if name not in known]
    for name in todo:  # bytes written by other libraries must reach the disk before the manifest
        with (ckpt / name).open("rb") as f:
            os.fsync(f.fileno())
    with ThreadPoolExecutor(_HASH_THREADS) as ex:
        digests = dict(zip(todo, ex.map(lambda n: file_digest(ckpt / n), todo), strict=True))
    files = {name: (known.get(name) or digests[name]) for name in _files(ckpt)}
    body = {"format": _FORMAT, "step": step, "fingerprint": fingerprint, "files": files,
            "bytes": sum(f["size"] for f in files.values())}
    return write_text_atomic(ckpt / MANIFEST, json.dumps(body, indent=1, sort_keys=True) + "\n")


def read_manifest(ckpt: Path) -> dict[str, Any]:
    """The parsed manifest of `ckpt`.

    Raises:
        CheckpointError: the manifest is missing (an unfinished save) or unreadable.
    """
    path = ckpt / MANIFEST
    if not path.is_file():
        raise CheckpointError(f"{path} is missing (an unfinished save, or a checkpoint made before manifests)")
    try:
        body = json.loads(path.read_text())
        if body.get("format") != _FORMAT or not isinstance(body.get("files"), dict):
            raise ValueError(f"format {body.get('format')!r}, expected {_FORMAT}")
    except (ValueError, AttributeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path} is unreadable: {e}") from None
    return body


def _check_file(ckpt: Path, name: str, want: dict[str, Any], hash_files: bool) -> str | None:
    """Why `name` does not match its manifest entry, or None."""
    path = ckpt / name
    if not path.is_file():
        return f"{path} is missing"
    size = path.stat().st_size
    if size < want["size"]:
        return f"{path} is truncated: {size} of {want['size']} bytes"
    if size > want["size"]:
        return f"{path} has {size} bytes, the manifest says {want['size']}"
    if hash_files:
        got = file_digest(path)["sha256"]
        if got != want["sha256"]:
            return f"{path} fails its checksum (sha256 {got[:12]}…, the manifest says {want['sha256'][:12]}…)"
    return None


def verify_checkpoint(ckpt: Path, hash_files: bool = True) -> dict[str, Any]:
    """The manifest of `ckpt` after checking every file's size (and, with `hash_files`, its sha256).

    Raises:
        CheckpointError: naming the first bad file and the cause (missing, truncated, checksum mismatch),
            or a manifest whose step differs from the folder name.
    """
    body = read_manifest(ckpt)
    step = ckpt.name.removeprefix("step_")
    if not step.isdigit() or int(step) != body.get("step"):
        raise CheckpointError(f"{ckpt / MANIFEST} is for step {body.get('step')}, not for folder {ckpt.name}")
    files = body["files"]
    with ThreadPoolExecutor(_HASH_THREADS) as ex:
        problems = list(ex.map(lambda n: _check_file(ckpt, n, files[n], hash_files), sorted(files)))
    bad = [p for p in problems if p is not None]
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise CheckpointError(bad[0] + more)
    return body
