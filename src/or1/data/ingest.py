"""`or1 data ingest`: raw JSONL / CSV / parquet problems -> schema rows, every bad row in a rejects file.

A column mapping names where each field lives (`problem`, `answer`, `tests`, `source`, `id`, `solution`,
`ability`, and `extra`: a dict merged into `extra_info`, e.g. a precomputed `model_difficulty`; by default a
column of the same name). Files already in the release schema (`prompt`,
`reward_model` columns) are validated and passed through. Nothing is dropped silently: a row that cannot
become a valid schema row goes to `OUT.rejects.jsonl` as {file, row, reason, detail, raw}.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from or1.config import CODE_FORMATS, IngestOptions
from or1.data.ingest_checks import Reject, check_ability, check_answer, check_tests, text_value
from or1.data.ingest_code import detect_code_format, to_code_row
from or1.data.report import build_report, report_path
from or1.data.rows import Removal, StepOutcome, dict_field, write_json
from or1.problems.schema import DataError, write_rows

__all__ = ["ingest", "rejects_path"]


def rejects_path(out_path: str | Path) -> Path:
    """`x/step.parquet` -> `x/step.rejects.jsonl`."""
    out_path = Path(out_path)
    return out_path.with_name(out_path.name.removesuffix(".parquet") + ".rejects.jsonl")


def _format(path: Path, fmt: str) -> str:
    if fmt not in ("auto", *CODE_FORMATS):
        return fmt
    suffix = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
    if path.suffix.lower() not in suffix:
        raise DataError(f"{path}: cannot tell the format from the extension; pass --format jsonl|csv|parquet")
    return suffix[path.suffix.lower()]


Record = tuple[int, dict[str, Any] | None, Reject | None, Any]  # (row number, record, read error, raw)


def _read_jsonl(path: Path) -> Iterator[Record]:
    with open(path, "rb") as f:
        for i, line in enumerate(f):
            if not line.strip():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as e:
                yield i, None, Reject("non_utf8", {"error": str(e)}), line.decode("utf-8", "backslashreplace")
                continue
            try:
                rec = json.loads(text)
            except json.JSONDecodeError as e:
                yield i, None, Reject("unreadable", {"error": f"bad JSON: {e}"}), text.rstrip("\n")
                continue
            if not isinstance(rec, dict):
                yield i, None, Reject("unreadable", {"error": "a JSONL row must be an object"}), rec
                continue
            yield i, rec, None, rec


def _read_csv(path: Path) -> Iterator[Record]:
    # surrogateescape keeps undecodable bytes as lone surrogates, so one bad row does not lose the file.
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    for i, rec in enumerate(csv.DictReader(io.StringIO(text, newline=""))):
        raw = {k: (v.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                   if isinstance(v, str) else v) for k, v in rec.items() if k is not None}
        if None in rec or any(v is None for v in rec.values()):
            yield i, None, Reject("unreadable", {"error": "wrong number of fields"}), raw
        elif any(isinstance(v, str) and v != raw[k] for k, v in rec.items()):
            yield i, None, Reject("non_utf8", {"error": "invalid UTF-8 bytes"}), raw
        else:
            yield i, dict(rec), None, rec


def _read_parquet(path: Path) -> Iterator[Record]:
    for i, rec in enumerate(pq.read_table(path).to_pylist()):
        yield i, rec, None, rec


_READERS = {"jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet}


def _schema_row(rec: dict[str, Any]) -> dict[str, Any]:
    """A row already in the release schema: validated as such, passed through unchanged."""
    prompt = rec.get("prompt")
    if not isinstance(prompt, list) or not prompt or not all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
            for m in prompt):
        raise Reject("bad_prompt", {"error": "prompt must be a non-empty list of {role, content} strings"})
    if not isinstance(rec.get("data_source"), str) or not rec["data_source"]:
        raise Reject("missing_source")
    ability = check_ability(rec.get("ability"))
    gt = (rec.get("reward_model") or {}).get("ground_truth") if isinstance(rec.get("reward_model"), dict) else None
    if ability == "code":
        check_tests(gt)
    else:
        check_answer(gt, 10**6)
    if not any(m["content"].strip() for m in prompt if m["role"] == "user"):
        raise Reject("missing_problem")
    return dict(rec)


def _extra_value(value: Any) -> dict[str, Any]:
    """The `extra` field: a dict, or its JSON text, merged into extra_info."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise Reject("bad_field", {"field": "extra", "error": f"not JSON: {e}"}) from None
    if not isinstance(value, dict):
        raise Reject("bad_field", {"field": "extra", "error": "must be an object"})
    return value


def _mapped_row(rec: dict[str, Any], opts: IngestOptions) -> dict[str, Any]:
    """A raw record, read through the column mapping, as a schema row (extra_info.index set by the caller)."""
    def get(name: str) -> Any:
        return rec.get(opts.mapping.get(name, name))

    problem = text_value(get("problem"), "problem")
    if not problem.strip():
        raise Reject("missing_problem")
    if len(problem) > opts.max_problem_chars:
        raise Reject("too_long", {"field": "problem", "chars": len(problem), "max": opts.max_problem_chars})
    ability = check_ability(text_value(get("ability"), "ability") or opts.ability)
    gt = check_tests(get("tests")) if ability == "code" else check_answer(get("answer"), opts.max_answer_chars)
    info: dict[str, Any] = {**_extra_value(get("extra")), "split": opts.split, "problem": problem}
    if get("id") is not None:
        info["id"] = text_value(get("id"), "id")
    solution = text_value(get("solution"), "solution")
    if solution.strip():
        info["solution"] = solution
    return {
        "data_source": text_value(get("source"), "source") or opts.data_source,
        "prompt": [{"role": "user", "content": opts.template_for(ability).replace("{problem}", problem)}],
        "ability": ability,
        "reward_model": {"style": "rule", "ground_truth": gt},
        "extra_info": info,
    }


def _convert(inputs: list[Path], opts: IngestOptions) -> tuple[StepOutcome, list[dict[str, Any]], int]:
    kept: list[dict[str, Any]] = []
    removed: list[Removal] = []
    rejects: list[dict[str, Any]] = []
    per_file: dict[str, Counter] = {}
    count_in = 0
    for path in inputs:
        counts = per_file.setdefault(str(path), Counter())
        schema_layout = not opts.mapping.get("problem")
        for i, rec, err, raw in _READERS[_format(path, opts.format)](path):
            count_in += 1
            try:
                if err is not None:
                    raise err
                assert rec is not None
                layout = opts.format if opts.format in CODE_FORMATS else (
                    detect_code_format(rec) if schema_layout else None)
                if layout is not None:
                    row = to_code_row(rec, layout, template=opts.template_for("code"), split=opts.split,
                                      max_problem_chars=opts.max_problem_chars,
                                      data_source=None if opts.data_source == "ingested" else opts.data_source)
                elif schema_layout and "prompt" in rec and "reward_model" in rec:
                    row = _schema_row(rec)
                else:
                    row = _mapped_row(rec, opts)
            except Reject as r:
                counts[r.reason] += 1
                removed.append(Removal(f"{path.name}#{i}", r.reason, r.detail))
                rejects.append({"file": str(path), "row": i, "reason": r.reason, "detail": r.detail, "raw": raw})
                continue
            info = dict_field(row, "extra_info")
            row["extra_info"] = {**info, "index": info.get("index", len(kept))}
            counts["kept"] += 1
            kept.append(row)
    return StepOutcome(kept, removed, {"files": {k: dict(v) for k, v in per_file.items()}}), rejects, count_in


def ingest(inputs: list[str | Path], out_path: str | Path, opts: IngestOptions | None = None) -> dict[str, Any]:
    """Convert raw files into one schema parquet file, its rejects file and its JSON report.

    Args:
        inputs: JSONL, CSV or parquet files.
        out_path: the parquet file to write; `.rejects.jsonl` and `.report.json` are written beside it.
        opts: column mapping and limits (`IngestOptions`).

    Returns:
        The report (see `report.build_report`); `stats.rejects` is the rejects file.

    Raises:
        DataError: an input is missing or its format cannot be told.
    """
    opts = opts or IngestOptions()
    start = time.perf_counter()
    paths = [Path(p) for p in inputs]
    for p in paths:
        if not p.is_file():
            raise DataError(f"{p}: no such input file")
    outcome, rejects, count_in = _convert(paths, opts)
    rej = rejects_path(out_path)
    rej.parent.mkdir(parents=True, exist_ok=True)
    with open(rej, "w", encoding="utf-8") as f:
        for r in rejects:
            f.write(json.dumps(r, ensure_ascii=False, default=repr) + "\n")
    outcome.stats["rejects"] = str(rej)
    report = build_report("ingest", [str(p) for p in paths], str(out_path), count_in, outcome, opts,
                          time.perf_counter() - start)
    write_json(report, report_path(out_path))
    if not outcome.kept:
        raise DataError(f"no valid rows in {', '.join(map(str, paths))}: every row was rejected (see {rej})")
    write_rows(outcome.kept, out_path)
    return report
