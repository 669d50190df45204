"""`or1 data` argument parsing (kept free of heavy imports: it is built with every `or1` invocation).

Each action turns its flags into the step's options dataclass (`or1/config.py`; flags left out keep the
dataclass default, the one source of defaults, shown by `--help`) and calls one library function. An
invalid option's error names the flag the user gave (`--keep='5..1': ...`), not the dotted key.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from or1.config import ABILITIES, CODE_FORMATS
from or1.config_flags import flag_message

__all__ = ["add_parser"]

ACTIONS = ("ingest", "clean", "dedup", "decontaminate", "difficulty", "select", "judge", "pipeline")


def _formatter(step: str) -> type[argparse.HelpFormatter]:
    """A help formatter that appends each option's default, read from the step's options class on demand."""

    class Formatter(argparse.HelpFormatter):
        """argparse's formatter, plus the default of each option that maps to an options field."""

        def _get_help_string(self, action: argparse.Action) -> str:
            from or1.data.pipeline import OPTIONS

            help_text = action.help or ""
            fields = {f.name: f for f in dataclasses.fields(OPTIONS[step])} if step in OPTIONS else {}
            f = fields.get(action.dest)
            if (f is None or action.required or isinstance(action, argparse._StoreConstAction)
                    or f.default is dataclasses.MISSING or "(default" in help_text):
                return help_text
            return f"{help_text} (default: {f.default if f.default not in ('', None, ()) else 'none'})"

    return Formatter


def _options(step: str, a: argparse.Namespace) -> Any:
    """The step's options from the flags that were given."""
    from or1.data.pipeline import OPTIONS, make_options

    names = [f.name for f in dataclasses.fields(OPTIONS[step])]
    values = {n: getattr(a, n) for n in names if getattr(a, n, None) is not None}
    try:
        return make_options(step, values, f"or1 data {step}")
    except ValueError as e:
        raise ValueError(flag_message(str(e), a.option_flags)) from None


def _print_report(r: dict[str, Any]) -> None:
    from or1.data.report import report_path

    reasons = ", ".join(f"{k} {v}" for k, v in r["reasons"].items())
    print(f"{r['step']}: {r['count_in']} -> {r['count_out']} rows" + (f" (removed: {reasons})" if reasons else ""))
    print(f"wrote {r['output']} and {report_path(r['output'])}")


def _ingest(a: argparse.Namespace) -> int:
    from or1.data.ingest import ingest, rejects_path

    a.mapping = dict(_pair(m) for m in a.map) if a.map else None
    _print_report(ingest(a.inputs, a.out, _options("ingest", a)))
    print(f"rejected rows with reasons: {rejects_path(a.out)}")
    return 0


def _pair(text: str) -> tuple[str, str]:
    field, sep, column = text.partition("=")
    if not sep or not field or not column:
        raise ValueError(f"--map {text!r}: expected FIELD=COLUMN, e.g. problem=question")
    return field, column


def _step(a: argparse.Namespace) -> int:
    from or1.data.pipeline import run_data_step

    if getattr(a, "prompt", None) and a.prompt.startswith("@"):
        with open(a.prompt[1:], encoding="utf-8") as f:
            a.prompt = f.read()
    _print_report(run_data_step(a.action, a.input, a.out, _options(a.action, a)))
    return 0


def _pipeline(a: argparse.Namespace) -> int:
    from or1.data.pipeline import run_pipeline

    summary = run_pipeline(a.config)
    print(summary["table"], end="")
    print(f"final rows: {summary['output']}; funnel: {summary['funnel']}, {summary['chart']}")
    return 0


def _io(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", help="schema parquet file (the previous step's output)")
    p.add_argument("-o", "--out", required=True, help="parquet file to write; NAME.report.json goes beside it")


def _sub(subs: argparse._SubParsersAction, name: str, help_text: str, description: str) -> argparse.ArgumentParser:
    p = subs.add_parser(name, help=help_text, description=description, formatter_class=_formatter(name))
    p.set_defaults(fn=_step, action=name)
    return p


def _add_ingest(subs: argparse._SubParsersAction) -> None:
    p = _sub(subs, "ingest", "raw JSONL/CSV/parquet -> schema rows, with a rejects file",
             "Read problems through a column mapping into the release schema; every invalid row (missing answer, "
             "empty tests, non-UTF-8, over-long, ...) goes to OUT.rejects.jsonl with its reason.")
    p.add_argument("inputs", nargs="+", help="JSONL, CSV or parquet files")
    p.add_argument("-o", "--out", required=True, help="parquet file to write")
    p.add_argument("--map", action="append", metavar="FIELD=COLUMN",
                   help="column of a field (problem answer tests source id solution ability extra); repeatable")
    p.add_argument("--format", choices=["auto", "jsonl", "csv", "parquet", *CODE_FORMATS],
                   help="input format, or a code release layout (file format from the extension; "
                        "auto also detects the code layouts by their columns)")
    p.add_argument("--ability", choices=ABILITIES, help="ability of rows without an ability column")
    p.add_argument("--data-source", dest="data_source", help="data_source of rows without a source column")
    p.add_argument("--template", help="user message of every row; {problem} is replaced by the problem")
    p.add_argument("--template-math", dest="template_math",
                   help="user message of math rows, e.g. '{problem} Please reason step by step, and put your final "
                        "answer within \\boxed{}.' (default: --template)")
    p.add_argument("--template-code", dest="template_code",
                   help="user message of code rows (default: --template)")
    p.add_argument("--max-problem-chars", dest="max_problem_chars", type=int, help="longer problems are rejected")
    p.add_argument("--max-answer-chars", dest="max_answer_chars", type=int, help="longer answers are rejected")
    p.add_argument("--split", help="extra_info.split of the rows")
    p.set_defaults(fn=_ingest)


def _add_filters(subs: argparse._SubParsersAction) -> None:
    p = _sub(subs, "clean", "normalise text; drop figure/URL problems, unparsable answers, failing references",
             "Normalise text (NFC, no control characters); drop problems that need a figure or a link, math rows "
             "whose answer does not parse, and code rows whose extra_info.solution fails its tests in the sandbox.")
    _io(p)
    p.add_argument("--keep-figures", dest="drop_figures", action="store_const", const=False,
                   help="keep problems that need a figure they do not contain")
    p.add_argument("--drop-inline-figures", dest="drop_inline_figures", action="store_const", const=True,
                   help="also drop problems whose figure is drawn in the text (Asymptote, TikZ)")
    p.add_argument("--keep-urls", dest="drop_urls", action="store_const", const=False, help="keep problems with URLs")
    p.add_argument("--no-answer-check", dest="check_answers", action="store_const", const=False,
                   help="do not parse math answers")
    p.add_argument("--no-code-check", dest="check_code", action="store_const", const=False,
                   help="do not run reference solutions")
    p.add_argument("--workers", type=int, help="concurrent sandbox runs (default: one per core)")
    p.add_argument("--time-limit", dest="time_limit_s", type=float, help="seconds per test of a reference solution")

    p = _sub(subs, "dedup", "exact and near-duplicate removal (MinHash LSH), with clusters",
             "Remove exact duplicates (same words) and near duplicates (MinHash LSH over word n-grams), keeping the "
             "first row of each group, then code rows with the same normalised reference solution; the report "
             "lists the clusters.")
    _io(p)
    p.add_argument("--threshold", type=float, help="estimated Jaccard similarity that makes a near duplicate")
    p.add_argument("--ngram", type=int, help="words per shingle")
    p.add_argument("--num-perm", dest="num_perm", type=int, help="MinHash permutations")
    p.add_argument("--seed", type=int, help="MinHash seed")
    p.add_argument("--no-solutions", dest="solutions", action="store_const", const=False,
                   help="do not compare code rows on their normalised reference solutions")
    p.add_argument("--solution-min-tokens", dest="solution_min_tokens", type=int,
                   help="tokens a normalised reference solution needs to count")

    p = _sub(subs, "decontaminate", "remove rows close to evaluation sets (13-gram overlap + paraphrase similarity)",
             "Remove rows sharing a content word n-gram with, or paraphrasing (TF-IDF word/char similarity, same "
             "numbers, same rare words), any problem of the --against files (schema parquet, or LiveCodeBench "
             "release parquet/JSONL); code rows also by a code eval problem's sample numbers.")
    _io(p)
    p.add_argument("--against", nargs="+", required=True,
                   help="evaluation files: schema parquet (aime24.parquet) or LiveCodeBench release rows")
    p.add_argument("--ngram", type=int, help="words per n-gram of the overlap test")
    p.add_argument("--threshold", dest="similarity", type=float, help="TF-IDF cosine that alone makes a paraphrase")
    p.add_argument("--similarity-with-evidence", dest="similarity_with_evidence", type=float,
                   help="lower cosine that is a paraphrase when the numbers and rare words agree")
    p.add_argument("--common-frac", dest="common_frac", type=float,
                   help="n-grams found in this fraction of the eval problems are template phrases")
    p.add_argument("--template-rows", dest="template_rows", type=int,
                   help="n-grams found in this many training rows unlike the eval problem are template phrases")
    p.add_argument("--sample-min-numbers", dest="sample_min_numbers", type=int,
                   help="numbers a code eval problem's samples need for the sample test")
    p.add_argument("--after", help="ISO date: compare only with eval problems dated on or after it; report, "
                                   "remove nothing")


def _add_model_steps(subs: argparse._SubParsersAction) -> None:
    p = _sub(subs, "difficulty", "sample a model N times per problem; store failures out of N",
             "Store extra_info.model_difficulty[MODEL_NAME] = failures out of --samples and per-sample stats. "
             "Resumable: rerun the same command after an interruption.")
    _io(p)
    p.add_argument("--model", required=True, help="HF model directory")
    p.add_argument("--model-name", dest="model_name", help="key under model_difficulty (default: directory name)")
    p.add_argument("--samples", type=int, help="samples per problem")
    for flag, kind, what in (("temperature", float, "sampling temperature"), ("top-p", float, "nucleus mass"),
                             ("max-tokens", int, "response length limit"), ("seed", int, "base seed"),
                             ("chunk", int, "problems per engine call and progress record"),
                             ("workers", int, "verifier processes (default: one per core)")):
        p.add_argument(f"--{flag}", dest=flag.replace("-", "_"), type=kind, help=what)
    p.add_argument("--resample", action="store_const", const=True, help="re-sample rows that already have a value")

    p = _sub(subs, "select", "keep rows by model difficulty, e.g. --keep 1..15",
             "Keep rows whose extra_info.model_difficulty[--model-name] (failures out of N) is in --keep; rows "
             "without a value are dropped. Reads the released Skywork-OR1-RL-Data files as they are.")
    _io(p)
    p.add_argument("--keep", help="inclusive range of failures: 1..15, ..15, 1.. or 7")
    p.add_argument("--model-name", dest="model_name", required=True, help="e.g. DeepSeek-R1-Distill-Qwen-7B")

    p = _sub(subs, "judge", "judge models vote on problem quality; keep rows with >= M votes",
             "Every --model answers the prompt --votes times per problem; a verdict matching --accept is a vote.")
    _io(p)
    p.add_argument("--model", dest="models", action="append", required=True, help="judge model directory; repeatable")
    p.add_argument("--votes", type=int, help="samples per judge and problem")
    p.add_argument("--min-votes", dest="min_votes", type=int, help="votes needed to keep a problem")
    p.add_argument("--prompt", help="template with {problem} and {answer}, or @FILE")
    p.add_argument("--accept", help="regex of a verdict for the problem")
    p.add_argument("--reject", help="regex of a verdict against it")
    for flag, kind, what in (("temperature", float, "sampling temperature"), ("max-tokens", int, "answer length limit"),
                             ("seed", int, "base seed")):
        p.add_argument(f"--{flag}", dest=flag.replace("-", "_"), type=kind, help=what)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `or1 data` and its actions (ingest, clean, dedup, decontaminate, difficulty, select, judge,
    pipeline)."""
    d = sub.add_parser("data", help="build an RL training set: ingest, clean, dedup, decontaminate, rate, select",
                       description="The data pipeline of DESIGN.md §3. Each step reads and writes schema parquet and "
                                   "writes NAME.report.json with counts in and out and every removed row's reason.")
    subs = d.add_subparsers(dest="action", required=True, metavar="ACTION")
    _add_ingest(subs)
    _add_filters(subs)
    _add_model_steps(subs)
    p = subs.add_parser("pipeline", help="run the steps of a YAML config and draw the funnel",
                        description="Run a pipeline config (see docs/data_pipeline.md); writes each step's parquet "
                                    "and report, then funnel.md and funnel.png in out_dir.")
    p.add_argument("config", help="pipeline YAML")
    p.set_defaults(fn=_pipeline)
    for name, step in subs.choices.items():  # `step.option` in an options error -> the flag that sets it
        step.set_defaults(option_flags={f"{name}.{a.dest}": max(a.option_strings, key=len)
                                        for a in step._actions if a.option_strings and a.dest != "help"})
