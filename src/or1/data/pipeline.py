"""`or1 data pipeline CONFIG.yaml`: run data steps in order, each on the previous step's output.

Config:
    out_dir: runs/data          # step k writes NN_step.parquet and NN_step.report.json here
    input: rows.parquet         # schema rows to start from; omit when the first step is ingest
    steps:
      - ingest: {inputs: [raw.jsonl], mapping: {problem: question}}
      - clean
      - dedup: {threshold: 0.8}
      - decontaminate: {against: [aime24.parquet, aime25.parquet]}
      - difficulty: {model: path/to/model, samples: 16}
      - select: {keep: "1..15", model_name: model}
      - judge: {models: [path/to/judge], votes: 4, min_votes: 2}
Options are the fields of each step's options class (unknown keys are rejected with the nearest
name); relative paths are relative to the working directory. The run ends with `funnel.md`,
`funnel.png` and `pipeline.report.json` in out_dir.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from or1.config import (
    CleanOptions,
    DecontamOptions,
    DedupOptions,
    DifficultyOptions,
    IngestOptions,
    JudgeOptions,
    SelectOptions,
)
from or1.data.clean import clean_rows
from or1.data.decontaminate import decontaminate_rows
from or1.data.dedup import dedup_rows
from or1.data.difficulty import difficulty_rows, progress_path
from or1.data.funnel import funnel_markdown, funnel_png
from or1.data.ingest import ingest
from or1.data.judge import judge_rows
from or1.data.report import run_step
from or1.data.rows import StepOutcome, write_json
from or1.data.select import select_rows

__all__ = ["OPTIONS", "load_pipeline", "make_options", "run_data_step", "run_pipeline"]

STEPS: dict[str, Callable[[list[dict[str, Any]], Any], StepOutcome]] = {
    "clean": clean_rows, "dedup": dedup_rows, "decontaminate": decontaminate_rows,
    "difficulty": difficulty_rows, "select": select_rows, "judge": judge_rows,
}
OPTIONS: dict[str, type] = {
    "ingest": IngestOptions, "clean": CleanOptions, "dedup": DedupOptions, "decontaminate": DecontamOptions,
    "difficulty": DifficultyOptions, "select": SelectOptions, "judge": JudgeOptions,
}


def make_options(step: str, values: dict[str, Any], where: str) -> Any:
    """Build `OPTIONS[step]` from a mapping; lists become tuples where the field is a tuple.

    Raises:
        ValueError: unknown step or option (with the nearest known name), or an invalid value.
    """
    if step not in OPTIONS:
        near = difflib.get_close_matches(step, ["ingest", *STEPS], n=1)
        raise ValueError(f"{where}: unknown step '{step}'" + (f"; did you mean '{near[0]}'?" if near else ""))
    cls = OPTIONS[step]
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in values.items():
        if key not in names:
            near = difflib.get_close_matches(key, names, n=1)
            raise ValueError(f"{where}: unknown {step} option '{key}'" + (f"; did you mean '{near[0]}'?" if near else
                                                                           f" (known: {', '.join(names)})"))
        if typing.get_origin(hints[key]) is tuple:
            value = tuple(value) if isinstance(value, list | tuple) else (value,)
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: {e}") from None


def run_data_step(step: str, input_path: str | Path, out_path: str | Path, opts: Any) -> dict[str, Any]:
    """Run one step (not ingest) from file to file; difficulty resumes from `OUT.progress.jsonl`."""
    if step == "difficulty" and opts.progress is None:
        opts = dataclasses.replace(opts, progress=str(progress_path(out_path)))
    return run_step(step, STEPS[step], input_path, out_path, opts)


def load_pipeline(path: str | Path) -> tuple[Path, str | None, list[tuple[str, Any, dict[str, Any]]]]:
    """(out_dir, input, [(step, options, extras)]) of a pipeline config; extras hold ingest's `inputs`.

    Raises:
        ValueError: a malformed config, naming the key or step at fault.
    """
    cfg = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(cfg, dict):
        raise ValueError(f"{path}: a pipeline config is a mapping with out_dir and steps")
    unknown = sorted(set(cfg) - {"out_dir", "input", "steps"})
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(unknown)} (known: out_dir, input, steps)")
    if not cfg.get("out_dir") or not isinstance(cfg.get("steps"), list) or not cfg["steps"]:
        raise ValueError(f"{path}: needs out_dir and a non-empty list of steps")
    steps = []
    for k, entry in enumerate(cfg["steps"], 1):
        name, values = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()), (None, None))
        if not isinstance(name, str) or (isinstance(entry, dict) and len(entry) != 1):
            raise ValueError(f"{path}: steps.{k} must be a step name or {{name: {{options}}}}")
        values = dict(values or {})
        extras = {"inputs": values.pop("inputs", None)} if name == "ingest" else {}
        if name == "ingest" and (k != 1 or not extras["inputs"]):
            raise ValueError(f"{path}: steps.{k}: ingest must come first and list its inputs")
        steps.append((name, make_options(name, values, f"{path}: steps.{k}"), extras))
    if steps[0][0] != "ingest" and not cfg.get("input"):
        raise ValueError(f"{path}: give `input` (schema parquet) or start the steps with ingest")
    return Path(cfg["out_dir"]), cfg.get("input"), steps


def run_pipeline(path: str | Path) -> dict[str, Any]:
    """Run every step of a pipeline config; returns the summary also written to pipeline.report.json."""
    out_dir, current, steps = load_pipeline(path)
    reports = []
    for k, (name, opts, extras) in enumerate(steps, 1):
        out = out_dir / f"{k:02d}_{name}.parquet"
        if name == "ingest":
            inputs = extras["inputs"] if isinstance(extras["inputs"], list) else [extras["inputs"]]
            reports.append(ingest(inputs, out, opts))
        else:
            assert current is not None  # load_pipeline: `input`, or ingest first
            reports.append(run_data_step(name, current, out, opts))
        current = str(out)
    table = funnel_markdown(reports)
    (out_dir / "funnel.md").write_text("# Data pipeline funnel\n\n" + table, encoding="utf-8")
    funnel_png(reports, out_dir / "funnel.png")
    summary = {
        "config": str(path), "output": current, "funnel": str(out_dir / "funnel.md"),
        "chart": str(out_dir / "funnel.png"),
        "steps": [{k: r[k] for k in ("step", "output", "count_in", "count_out", "removed", "reasons")}
                  for r in reports],
        "table": table,
    }
    write_json(summary, out_dir / "pipeline.report.json")
    return summary
