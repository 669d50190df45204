"""Reading back what a run logged to W&B (offline files) and MLflow (a local store), for the tests.

An offline W&B run is a `run-<id>.wandb` file: a 7-byte header (`:W&B`, magic 0xBEE1, version 0), then
the LevelDB log format (32 KiB blocks of records with a 7-byte header: crc32, length, type full / first /
middle / last), each record a `wandb.proto.wandb_internal_pb2.Record`.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

_BLOCK = 32768


def wandb_records(path: Path) -> list[Any]:
    from wandb.proto import wandb_internal_pb2 as pb

    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B run file"
    pos, pending, chunks = 7, b"", []
    while pos + 7 <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < 7:  # a block's tail too short for a header is padding
            pos += left
            continue
        _crc, n, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if kind == 0 and n == 0:
            pos += left
            continue
        chunk, pos = data[pos + 7 : pos + 7 + n], pos + 7 + n
        if kind == 1:
            chunks.append(chunk)
        elif kind == 2:
            pending = chunk
        elif kind == 3:
            pending += chunk
        elif kind == 4:
            chunks.append(pending + chunk)
            pending = b""
    records = []
    for c in chunks:
        r = pb.Record()
        r.ParseFromString(c)
        records.append(r)
    return records


def wandb_runs(out: Path) -> list[dict[str, Any]]:
    """Each offline run file under OUT/wandb: its run id, config and history rows ({key: value})."""
    runs = []
    for f in sorted((out / "wandb").glob("offline-run-*/run-*.wandb")):
        run: dict[str, Any] = {"file": f, "id": None, "config": {}, "history": []}
        for r in wandb_records(f):
            kind = r.WhichOneof("record_type")
            if kind == "run":
                run["id"] = r.run.run_id
                run["config"] |= {i.key: json.loads(i.value_json) for i in r.run.config.update}
            elif kind == "config":
                run["config"] |= {i.key: json.loads(i.value_json) for i in r.config.update}
            elif kind == "history":
                run["history"].append({(i.key or "/".join(i.nested_key)): json.loads(i.value_json)
                                       for i in r.history.item})
        runs.append(run)
    return runs
