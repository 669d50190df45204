"""`or1 eval`: sample K responses per problem, score them, and write every sample and the summaries.

Resumable and reproducible. Problems are sampled in fixed chunks of `chunk_problems` (one engine call
each), and chunk c of data set D is seeded from (seed, D, c) only. A resumed run therefore re-creates
exactly the batches an uninterrupted run would have sampled, and skips the chunks already on disk: the
final samples are the same whether or not the run was interrupted. The sampling settings live in
`OUT/eval.json`; continuing into a folder evaluated with other settings is refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text
from transformers import PreTrainedTokenizerBase

from or1.atomic import write_text_atomic
from or1.config import EvalConfig
from or1.eval.datasets import EvalSet, load_eval_sets
from or1.eval.records import append_records, load_complete, to_record
from or1.eval.report import write_outputs
from or1.eval.results import DatasetResult, summarize_dataset
from or1.problems.schema import DataError
from or1.rewards.registry import RewardRegistry, ScoreRequest
from or1.rollout.types import RolloutEngine, SamplingParams
from or1.sampling import sample_and_score

__all__ = ["EvalSpec", "SettingsMismatch", "chunk_seed", "run_eval"]

log = logging.getLogger(__name__)
EngineLoader = Callable[[], tuple[RolloutEngine, PreTrainedTokenizerBase]]
# Settings that decide the samples: a folder only continues a run that used the same values.
_IDENTITY = ("model_dir", "k", "temperature", "top_p", "max_response_length", "seed", "chunk_problems")


class SettingsMismatch(ValueError):
    """The output folder holds an evaluation made with other sampling settings."""


@dataclass(frozen=True)
class EvalSpec:
    """What to evaluate (model, data, output folder) and how (`config.EvalConfig`, every default there).

    Attributes:
        model_path: the model as the user named it (written to pass.csv).
        model_dir: the resolved HF model directory.
        data: parquet files or packaged set names.
        out: output folder.
        settings: sampling and scoring settings.
    """

    model_path: str
    model_dir: str
    data: tuple[str, ...]
    out: str
    settings: EvalConfig = field(default_factory=EvalConfig)

    def __post_init__(self) -> None:
        if not self.data:
            raise ValueError("give at least one --data file")

    def identity(self) -> dict[str, Any]:
        d = {"model_dir": self.model_dir, **asdict(self.settings)}
        return {key: d[key] for key in _IDENTITY}


def chunk_seed(seed: int, dataset: str, chunk: int) -> int:
    """Seed of one engine call: a function of (seed, data set name, chunk index) only."""
    digest = hashlib.sha256(f"{seed}/{dataset}/{chunk}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (2**63)


def _check_manifest(spec: EvalSpec, sets: list[EvalSet]) -> dict[str, Any]:
    """The folder's manifest updated with this run's sets; raises if the folder holds another evaluation."""
    path = Path(spec.out) / "eval.json"
    old = json.loads(path.read_text()) if path.is_file() else None
    new = {**spec.identity(), "model_path": spec.model_path, "datasets": {}}
    if old is not None:
        for key in _IDENTITY:
            if old.get(key) != new[key]:
                raise SettingsMismatch(f"{spec.out} holds an evaluation with {key}={old.get(key)!r}, not "
                                       f"{new[key]!r}; use another --out to evaluate with new settings")
        new["datasets"] = dict(old.get("datasets", {}))
    for s in sets:
        prev = new["datasets"].get(s.name)
        if prev is not None and prev != str(s.path):
            raise SettingsMismatch(f"{spec.out} holds samples of another file named {s.name!r} ({prev})")
        new["datasets"][s.name] = str(s.path)
    return new


def _check_verifiers(sets: list[EvalSet], registry: RewardRegistry) -> None:
    """Every row has a verifier, checked before sampling (the registry would only fail when scoring)."""
    for s in sets:
        for row, p in enumerate(s.problems):
            try:
                registry.family(ScoreRequest("", p.ability, p.data_source, p.ground_truth))
            except KeyError as e:
                raise DataError(f"{s.path}: row {row}: {e.args[0]}") from None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")


class _RateColumn(ProgressColumn):
    """Samples per second over rich's recent window."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:.1f} samples/s" if task.speed else "- samples/s")


def _progress(enabled: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), _RateColumn(),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), disable=not enabled)


def _sample_set(s: EvalSet, spec: EvalSpec, engine: RolloutEngine, tok: PreTrainedTokenizerBase,
                registry: RewardRegistry, on_chunk: Callable[[int], None]) -> None:
    """Sample the set's missing problems chunk by chunk, appending each chunk to its samples file."""
    path = Path(spec.out) / "samples" / f"{s.name}.jsonl"
    done = load_complete(path, spec.settings.k)
    problems, limit = s.problems, min(len(s.problems), spec.settings.max_problems or len(s.problems))
    params = SamplingParams(n=spec.settings.k, temperature=spec.settings.temperature, top_p=spec.settings.top_p,
                            max_tokens=spec.settings.max_response_length)
    # Chunks are cut from the whole file, whatever the limit, so every batch (and its seed) is the one an
    # uninterrupted run samples: padding and batch composition then cannot change a sample.
    for c, start in enumerate(range(0, limit, spec.settings.chunk_problems)):
        rows = range(start, min(start + spec.settings.chunk_problems, len(problems)))
        todo = {i for i in rows if i < limit and problems[i].uid not in done}
        if not todo:
            continue
        # The whole chunk is sampled even when part of it is on disk or past the limit: same batch, same samples.
        groups = sample_and_score(engine, tok, [problems[i] for i in rows], registry, params,
                                  seed=chunk_seed(spec.settings.seed, s.name, c), prompts_per_call=len(rows))
        new = {problems[i].uid: [to_record(x, i) for x in g] for i, g in zip(rows, groups, strict=True) if i in todo}
        append_records(path, [r for g in new.values() for r in g])
        done.update(new)
        on_chunk(sum(len(g) for g in new.values()))


def _done_within_limit(s: EvalSet, spec: EvalSpec) -> int:
    done = load_complete(Path(spec.out) / "samples" / f"{s.name}.jsonl", spec.settings.k)
    return sum(p.uid in done for p in s.problems[: spec.settings.max_problems])


def run_eval(spec: EvalSpec, load_engine: EngineLoader, registry: RewardRegistry,
             progress: bool = True) -> list[DatasetResult]:
    """Evaluate, resuming from the samples already in `spec.out`, and write every output.

    Order matters for consistent output on bad input: data files are validated and the folder's
    settings checked before the model is loaded, and nothing is written before both succeed.

    Raises:
        DataError: a data file is missing or malformed, or a row has no verifier.
        SettingsMismatch: the folder holds an evaluation with other settings.
    """
    sets = load_eval_sets(spec.data)
    _check_verifiers(sets, registry)
    manifest = _check_manifest(spec, sets)
    engine, tok = load_engine()
    out = Path(spec.out)
    (out / "samples").mkdir(parents=True, exist_ok=True)
    _write_json(out / "eval.json", manifest)
    total = sum(len(s.problems[: spec.settings.max_problems]) for s in sets) * spec.settings.k
    done_before = sum(_done_within_limit(s, spec) for s in sets) * spec.settings.k
    with _progress(progress) as bar:
        task = bar.add_task("sampling", total=total, completed=done_before)
        for s in sets:
            bar.update(task, description=f"{s.name} (K={spec.settings.k})")
            _sample_set(s, spec, engine, tok, registry, lambda n: bar.advance(task, n))
    results = []
    for name, file in manifest["datasets"].items():
        groups = load_complete(out / "samples" / f"{name}.jsonl", spec.settings.k)
        if groups:
            results.append(summarize_dataset(name, file, groups, spec.settings.k, spec.settings.temperature))
    write_outputs(out, results, spec.model_path, spec.settings.ex_name or out.resolve().name,
                  spec.settings.max_response_length)
    return results
