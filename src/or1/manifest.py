"""Checkpoint manifests: every file's size and sha256, the step and the config fingerprint.

A checkpoint proves itself: its `MANIFEST.json` is written last (atomically) and lists every other file.
A folder without a manifest that verifies is not a checkpoint (an interrupted save, a torn copy, a
flipped bit). Each file's sha256 is taken per 64 MiB chunk (a file up to that size has one, equal to
`sha256sum` of it), so verification spreads over every core even when one file holds most of the bytes
(a 7B run's optimizer.pt is ~60 GB). Files written through `HashingWriter` are hashed while they are
written, on a second thread beside the disk write; files written by other libraries (safetensors,
tokenizer JSON) are hashed right after, while still in the page cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from or1.atomic import write_text_atomic

__all__ = ["CHUNK_BYTES", "MANIFEST", "CheckpointError", "HashingWriter", "file_digest", "read_manifest",
           "verify_checkpoint", "write_manifest"]

MANIFEST = "MANIFEST.json"
CHUNK_BYTES = 64 * 2**20
_FORMAT = 1
_HASH_THREADS = min(16, os.cpu_count() or 1)  # hashlib releases the GIL: threads hash in parallel


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, incomplete, corrupt, or from a different config; names file and cause."""


class _ChunkHasher:
    """sha256 of each CHUNK_BYTES piece of a byte stream fed in arbitrary slices.

    The whole chunks inside one large slice (a tensor's storage) are hashed on a pool of threads.
    """

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self.size, self._h, self._filled, self._pool = 0, hashlib.sha256(), 0, pool
        self.digests: list[str] = []

    def _close_chunk(self) -> None:
        self.digests.append(self._h.hexdigest())
        self._h, self._filled = hashlib.sha256(), 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        self.size += len(view)
        if self._filled:  # finish the chunk in progress
            take = min(len(view), CHUNK_BYTES - self._filled)
            self._h.update(view[:take])
            self._filled, view = self._filled + take, view[take:]
            if self._filled == CHUNK_BYTES:
                self._close_chunk()
        whole = len(view) // CHUNK_BYTES
        pieces = [view[i * CHUNK_BYTES : (i + 1) * CHUNK_BYTES] for i in range(whole)]
        self.digests += self._pool.map(lambda b: hashlib.sha256(b).hexdigest(), pieces)
        tail = view[whole * CHUNK_BYTES :]
        if len(tail):
            self._h.update(tail)
            self._filled = len(tail)

    def entry(self) -> dict[str, Any]:
        tail = [self._h.hexdigest()] if self._filled or not self.digests else []
        return {"size": self.size, "sha256": self.digests + tail}


class HashingWriter:
    """A binary file opened for writing whose chunk hashes and size are computed from the bytes as they pass.

    Use as `torch.save(obj, w)`; `digest()` after `close()`. Each write is hashed on helper threads (the
    whole chunks of a large write in parallel) while this one writes the same bytes to disk (all release
    the GIL), then waits for both: no copy is kept.
    The file is fsynced on close, so a manifest written after it never lists bytes not yet on disk.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._f = path.open("wb")
        self._ex = ThreadPoolExecutor(1, thread_name_prefix="or1-hash")
        self._chunks = ThreadPoolExecutor(_HASH_THREADS, thread_name_prefix="or1-hash-chunk")
        self._hash = _ChunkHasher(self._chunks)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        hashed = self._ex.submit(self._hash.update, data)
        n = self._f.write(data)
        hashed.result()
        return n

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        if not self._f.closed:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
            self._ex.shutdown()
            self._chunks.shutdown()

    def digest(self) -> dict[str, Any]:
        return self._hash.entry()

    def __enter__(self) -> HashingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _chunk_sha256(path: Path, index: int) -> str:
    with path.open("rb") as f:
        return hashlib.sha256(os.pread(f.fileno(), CHUNK_BYTES, index * CHUNK_BYTES)).hexdigest()


def _hash_chunks(paths: list[Path]) -> list[list[str]]:
    """The chunk hashes of each file, all chunks of all files hashed on a pool of threads."""
    jobs = [(k, p, i) for k, p in enumerate(paths) for i in range(max(1, -(-p.stat().st_size // CHUNK_BYTES)))]
    with ThreadPoolExecutor(_HASH_THREADS) as ex:
        digests = list(ex.map(lambda j: _chunk_sha256(j[1], j[2]), jobs))
    out: list[list[str]] = [[] for _ in paths]
    for (k, _, _), d in zip(jobs, digests, strict=True):
        out[k].append(d)
    return out


def file_digest(path: Path) -> dict[str, Any]:
    """Size and chunk sha256s of one file (what `HashingWriter.digest` gives for the same bytes)."""
    return {"size": path.stat().st_size, "sha256": _hash_chunks([path])[0]}


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
    hashed = _hash_chunks([ckpt / name for name in todo])
    digests = {name: {"size": (ckpt / name).stat().st_size, "sha256": h} for name, h in zip(todo, hashed, strict=True)}
    files: dict[str, dict[str, Any]] = {name: (known.get(name) or digests[name]) for name in _files(ckpt)}
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


def _size_problem(ckpt: Path, name: str, want: dict[str, Any]) -> str | None:
    """Why `name` does not have its manifest size, or None."""
    path = ckpt / name
    if not path.is_file():
        return f"{path} is missing"
    size = path.stat().st_size
    if size < want["size"]:
        return f"{path} is truncated: {size} of {want['size']} bytes"
    if size > want["size"]:
        return f"{path} has {size} bytes, the manifest says {want['size']}"
    return None


def _hash_problem(ckpt: Path, files: dict[str, dict[str, Any]]) -> str | None:
    """The first file whose chunk hashes differ from the manifest's, or None."""
    names = sorted(files)
    for name, got in zip(names, _hash_chunks([ckpt / n for n in names]), strict=True):
        want = files[name]["sha256"]
        bad = [i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b]
        if bad or len(got) != len(want):
            i = bad[0] if bad else min(len(got), len(want))
            a, b = (got[i] if i < len(got) else "-"), (want[i] if i < len(want) else "-")
            return (f"{ckpt / name} fails its checksum (sha256 of bytes {i * CHUNK_BYTES}+ is {a[:12]}…, "
                    f"the manifest says {b[:12]}…)")
    return None


def verify_checkpoint(ckpt: Path, hash_files: bool = True) -> dict[str, Any]:
    """The manifest of `ckpt` after checking every file's size (and, with `hash_files`, its sha256s).

    Raises:
        CheckpointError: naming the first bad file and the cause (missing, truncated, checksum mismatch),
            or a manifest whose step differs from the folder name.
    """
    body = read_manifest(ckpt)
    step = ckpt.name.removeprefix("step_")
    if not step.isdigit() or int(step) != body.get("step"):
        raise CheckpointError(f"{ckpt / MANIFEST} is for step {body.get('step')}, not for folder {ckpt.name}")
    files = body["files"]
    bad = [p for p in (_size_problem(ckpt, n, files[n]) for n in sorted(files)) if p is not None]
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise CheckpointError(bad[0] + more)
    problem = _hash_problem(ckpt, files) if hash_files else None
    if problem is not None:
        raise CheckpointError(problem)
    return body
