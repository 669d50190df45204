"""Manifests: hashes computed while writing equal a re-read; verification names the file and the cause."""

from __future__ import annotations

import json

import pytest
import torch

from or1.manifest import (
    MANIFEST,
    CheckpointError,
    HashingWriter,
    file_digest,
    verify_checkpoint,
    write_manifest,
)


def _checkpoint(root, step=7):
    ckpt = root / f"step_{step:06d}"
    (ckpt / "model").mkdir(parents=True)
    (ckpt / "model" / "config.json").write_text('{"a": 1}')
    with HashingWriter(ckpt / "state.pt") as w:
        torch.save({"step": step, "t": torch.arange(1000)}, w)
    write_manifest(ckpt, step, "fp", {"state.pt": w.digest()})
    return ckpt, w.digest()


def test_hash_while_writing_equals_a_reread_and_the_file_loads(tmp_path):
    ckpt, digest = _checkpoint(tmp_path)
    assert digest == file_digest(ckpt / "state.pt")
    assert torch.load(ckpt / "state.pt")["step"] == 7
    body = json.loads((ckpt / MANIFEST).read_text())
    assert body["step"] == 7 and body["fingerprint"] == "fp"
    assert sorted(body["files"]) == ["model/config.json", "state.pt"]
    assert body["bytes"] == sum(f["size"] for f in body["files"].values())
    assert verify_checkpoint(ckpt) == body


@pytest.mark.parametrize(("damage", "cause"), [
    (lambda c: (c / MANIFEST).unlink(), "MANIFEST.json is missing"),
    (lambda c: (c / MANIFEST).write_text('{"format": 1, "fi'), "MANIFEST.json is unreadable"),
    (lambda c: (c / "model" / "config.json").unlink(), "model/config.json is missing"),
    (lambda c: (c / "model" / "config.json").write_text('{"a":'), "model/config.json is truncated: 5 of 8 bytes"),
    (lambda c: (c / "model" / "config.json").write_text('{"a": 2}'), "model/config.json fails its checksum"),
    (lambda c: (c / "model" / "config.json").write_text('{"a": 10}'), "has 9 bytes, the manifest says 8"),
    (lambda c: c.rename(c.with_name("step_000008")), "is for step 7, not for folder step_000008"),
])
def test_verification_names_the_file_and_the_cause(tmp_path, damage, cause):
    ckpt, _ = _checkpoint(tmp_path)
    damage(ckpt)
    target = ckpt if ckpt.exists() else ckpt.with_name("step_000008")
    with pytest.raises(CheckpointError, match=cause.replace("(", r"\(")):
        verify_checkpoint(target)


def test_large_files_are_hashed_per_chunk_and_a_flip_names_its_chunk(tmp_path, monkeypatch):
    from or1 import manifest

    monkeypatch.setattr(manifest, "CHUNK_BYTES", 1000)
    ckpt = tmp_path / "step_000001"
    ckpt.mkdir()
    data = bytes(range(256)) * 10  # 2560 bytes: chunks of 1000, 1000, 560
    with HashingWriter(ckpt / "big.bin") as w:
        for i in range(0, len(data), 333):  # slices that straddle chunk boundaries
            w.write(data[i : i + 333])
    with HashingWriter(tmp_path / "one_write.bin") as w1:
        w1.write(data[:10])
        w1.write(data[10:])  # whole chunks inside one write are hashed in parallel
    assert w.digest() == w1.digest() == file_digest(ckpt / "big.bin")
    assert len(w.digest()["sha256"]) == 3
    write_manifest(ckpt, 1, "fp", {"big.bin": w.digest()})
    flipped = bytearray(data)
    flipped[1500] ^= 1
    (ckpt / "big.bin").write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError, match=r"big\.bin fails its checksum \(sha256 of bytes 1000\+ is "):
        verify_checkpoint(ckpt)
