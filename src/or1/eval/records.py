"""Sample records on disk: one JSON line per scored sample, the evaluation's source of truth.

Every number `or1 eval` reports is recomputed from these lines, so an interrupted run can continue from
them and two runs can be compared problem by problem. A file is appended one whole chunk of problems at a
time and flushed to disk; a line cut short by a crash, or a problem with fewer than K lines, is dropped on
the next read (`load_complete`), which leaves only whole problems.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from or1.atomic import write_text_atomic
from or1.sampling import Sample

__all__ = ["SampleRecord", "append_records", "group_by_problem", "load_complete", "read_records", "to_record"]


@dataclass(frozen=True)
class SampleRecord:
    """One scored sample as written to `samples/<dataset>.jsonl`.

    Attributes:
        problem_id: the problem's uid (`data_source/index`).
        row: the problem's row in the data file.
        sample: sample index within the problem, 0..K-1 (sample 0 is the original's "pass@1" sample).
        response: the decoded response text.
        extracted: the extracted answer (math) or program (code); None when there was none.
        correct: the verdict (reward 1).
        status: the verifier's status (ok, wrong, unfinished, no_answer, timeout, ...).
        length: response tokens.
        truncated: True when the response hit the length limit without EOS.
    """

    problem_id: str
    row: int
    sample: int
    response: str
    extracted: str | None
    correct: bool
    status: str
    length: int
    truncated: bool

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def to_record(s: Sample, row: int) -> SampleRecord:
    """The record of a scored sample of the problem at data-file row `row`."""
    return SampleRecord(s.problem.uid, row, s.index, s.response, s.result.extracted, s.result.correct,
                        s.result.status, int(s.length), bool(s.truncated))


def append_records(path: Path, records: Iterable[SampleRecord]) -> None:
    """Append records as one write, flushed and synced, so a kill loses at most this chunk."""
    text = "".join(r.to_json() + "\n" for r in records)
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def read_records(path: Path) -> list[SampleRecord]:
    """Every whole record of a samples file; a cut-off or unreadable line is skipped."""
    if not path.is_file():
        return []
    out = []
    fields = set(SampleRecord.__dataclass_fields__)
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and set(row) == fields:
            out.append(SampleRecord(**row))
    return out


def group_by_problem(records: Sequence[SampleRecord]) -> dict[str, list[SampleRecord]]:
    """Records per problem id (in first-seen order), each list sorted by sample index, duplicates dropped."""
    groups: dict[str, dict[int, SampleRecord]] = {}
    for r in records:
        groups.setdefault(r.problem_id, {}).setdefault(r.sample, r)
    return {pid: [g[i] for i in sorted(g)] for pid, g in groups.items()}


def load_complete(path: Path, k: int) -> dict[str, list[SampleRecord]]:
    """Problems of a samples file that have all K samples; the file is rewritten when anything is dropped.

    Rewriting (atomically) keeps the file equal to what the summary counts, so after an interruption the
    samples file never holds half a problem.
    """
    records = read_records(path)
    groups = {pid: g for pid, g in group_by_problem(records).items() if [r.sample for r in g] == list(range(k))}
    kept = sum(len(g) for g in groups.values())
    if path.is_file() and kept != len(path.read_text(encoding="utf-8").splitlines()):
        write_text_atomic(path, "".join(r.to_json() + "\n" for g in groups.values() for r in g))
    return groups
