"""`or1 data difficulty`: sample a model N times per problem, store failures out of N (DESIGN.md §3).

For each row, `extra_info.model_difficulty[model_name]` = failures out of `samples` (the released
layout, so `or1 data select` reads both) and `extra_info.difficulty_stats[model_name]` = per-sample
statuses and lengths, the truncation count and N. Rows that already hold a value for the model are
reused, not re-sampled (so the released data can be topped up).

Resumable: problems go to the engine `chunk` at a time; after each chunk its results are appended to
a progress file (JSONL, flushed and fsynced). A rerun with the same settings skips every chunk already
there. Chunk c is sampled with seed `seed + c`, so a resumed run gives the same values as an
uninterrupted one. Nothing is removed here: `select` does the filtering.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from or1.config import DifficultyOptions
from or1.data.rows import StepOutcome, dict_field, extra, row_problem
from or1.data.select import difficulty_value, model_difficulty

__all__ = ["difficulty_rows", "progress_path"]

log = logging.getLogger(__name__)


def progress_path(out_path: str | Path) -> Path:
    """`x/step.parquet` -> `x/step.progress.jsonl`."""
    out_path = Path(out_path)
    return out_path.with_name(out_path.name.removesuffix(".parquet") + ".progress.jsonl")


def _fingerprint(opts: DifficultyOptions) -> dict[str, Any]:
    """The settings a progress file must match to be resumed (not the paths, workers or batch size)."""
    keep = ("model_name", "samples", "temperature", "top_p", "max_tokens", "seed", "chunk")
    return {k: v for k, v in asdict(opts).items() if k in keep} | {"model_name": opts.key}


def _problem_key(row: dict[str, Any]) -> str:
    text = json.dumps([row["prompt"], (row.get("reward_model") or {}).get("ground_truth")], sort_keys=True)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _load_progress(path: Path | None, fingerprint: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Chunks already done, by chunk number; a torn last line (a killed write) is ignored."""
    if path is None or not path.is_file():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    if not records or records[0].get("fingerprint") != fingerprint:
        raise ValueError(f"{path} was written with other difficulty settings "
                         f"({records[0].get('fingerprint') if records else 'none'}); remove it or match them")
    return {r["chunk"]: r for r in records[1:]}


def _append(path: Path | None, record: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    torn = False
    if path.is_file() and path.stat().st_size > 0:
        with open(path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            torn = f.read(1) != b"\n"
    with open(path, "a", encoding="utf-8") as f:
        f.write(("\n" if torn else "") + json.dumps(record) + "\n")  # never extend a torn last line
        f.flush()
        os.fsync(f.fileno())


class _Sampler:
    """The model, engine and verifiers, built only when some chunk needs sampling."""

    def __init__(self, opts: DifficultyOptions) -> None:
        from or1.policy import load_engine
        from or1.rewards.registry import default_registry
        from or1.rollout.types import SamplingParams

        self.engine, self.tokenizer = load_engine(opts.model, dtype="float32", device="cpu",
                                                  max_batch=opts.max_batch, seed=opts.seed)
        self.registry = default_registry(opts.workers)
        self.params = SamplingParams(n=opts.samples, temperature=opts.temperature, top_p=opts.top_p,
                                     max_tokens=opts.max_tokens)

    def run(self, problems: list[Any], seed: int) -> list[dict[str, Any]]:
        """Per-problem results {n, failures, statuses, lengths, truncated} of one chunk."""
        from or1.sampling import sample_and_score

        groups = sample_and_score(self.engine, self.tokenizer, problems, self.registry, self.params, seed,
                                  prompts_per_call=max(1, len(problems)))
        return [{"n": len(g), "failures": sum(not s.result.correct for s in g),
                 "statuses": [s.result.status for s in g], "lengths": [int(s.length) for s in g],
                 "truncated": sum(bool(s.truncated) for s in g)} for g in groups]

    def close(self) -> None:
        """Stop the verifier workers."""
        self.registry.close()


def difficulty_rows(rows: list[dict[str, Any]], opts: DifficultyOptions) -> StepOutcome:
    """Rate every row (module docstring); returns all rows, with the values stored in `extra_info`."""
    name, fp = opts.key, _fingerprint(opts)
    todo = [i for i, r in enumerate(rows) if opts.resample or difficulty_value(r, name) is None]
    chunks = [todo[s : s + opts.chunk] for s in range(0, len(todo), opts.chunk)]
    progress = Path(opts.progress) if opts.progress else None
    done = _load_progress(progress, fp)
    if progress is not None and not progress.is_file():
        _append(progress, {"fingerprint": fp})
    sampler: _Sampler | None = None
    resumed = 0
    try:
        for c, idx in enumerate(chunks):
            keys = [_problem_key(rows[i]) for i in idx]
            if c in done and done[c]["keys"] == keys:
                results, resumed = done[c]["results"], resumed + 1
            else:
                sampler = sampler or _Sampler(opts)
                results = sampler.run([row_problem(rows[i], i) for i in idx], opts.seed + c)
                _append(progress, {"chunk": c, "keys": keys, "results": results})
            for i, res in zip(idx, results, strict=True):
                info = extra(rows[i])
                info["model_difficulty"] = {**model_difficulty(rows[i]), name: res["failures"]}
                stats = dict_field(info, "difficulty_stats")
                info["difficulty_stats"] = {**stats, name: res}
            log.info("difficulty: chunk %d/%d done", c + 1, len(chunks))
    finally:
        if sampler is not None:
            sampler.close()
    hist = Counter(difficulty_value(r, name) for r in rows)
    stats = {"model": name, "samples": opts.samples, "sampled": len(todo), "reused": len(rows) - len(todo),
             "chunks": len(chunks), "resumed_chunks": resumed,
             "failures_histogram": {str(k): v for k, v in sorted(hist.items(), key=lambda kv: (kv[0] is None, kv[0]))}}
    return StepOutcome(rows, [], stats)
