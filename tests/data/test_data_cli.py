"""`or1 data` as a real subprocess: help with defaults, a small run, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from planted import AIME24, write_released, write_syn_parquet

ACTIONS = ["ingest", "clean", "dedup", "decontaminate", "difficulty", "select", "judge", "pipeline"]


def or1(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "or1.cli", "data", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_help_lists_actions_and_shows_dataclass_defaults():
    r = or1("--help")
    assert r.returncode == 0 and all(a in r.stdout for a in ACTIONS)
    r = or1("dedup", "--help")
    assert r.returncode == 0 and "(default: 0.7)" in r.stdout and "(default: 128)" in r.stdout
    assert "(default: 1..15)" in or1("select", "--help").stdout


def test_ingest_dedup_decontaminate_select_from_the_command_line(tmp_path):
    raw = tmp_path / "raw.jsonl"
    raw.write_text("\n".join(json.dumps(r) for r in [
        {"q": "How many primes are below 20?", "a": "8"},
        {"q": "How many primes are below 20 ?", "a": "8"},
        {"q": "", "a": "1"}]) + "\n")
    r = or1("ingest", str(raw), "-o", str(tmp_path / "in.parquet"), "--map", "problem=q", "--map", "answer=a")
    assert r.returncode == 0, r.stderr
    assert "ingest: 3 -> 2 rows (removed: missing_problem 1)" in r.stdout and "rejects.jsonl" in r.stdout
    r = or1("dedup", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "d.parquet"), "--threshold", "0.9")
    assert r.returncode == 0 and "dedup: 2 -> 1 rows (removed: exact_duplicate 1)" in r.stdout
    report = json.loads((tmp_path / "d.report.json").read_text())
    assert report["options"]["threshold"] == 0.9 and report["options"]["ngram"] == 3
    r = or1("decontaminate", str(tmp_path / "d.parquet"), "-o", str(tmp_path / "c.parquet"), "--against", str(AIME24))
    assert r.returncode == 0 and "decontaminate: 1 -> 1 rows" in r.stdout
    math = write_released(tmp_path) / "math-00000-of-00001.parquet"
    r = or1("select", str(math), "-o", str(tmp_path / "s.parquet"), "--model-name", "DeepSeek-R1-Distill-Qwen-7B")
    assert r.returncode == 0 and "select: 6 -> 3 rows" in r.stdout


def test_pipeline_command_prints_the_funnel(tmp_path):
    syn = write_syn_parquet(tmp_path, n=20)
    cfg = tmp_path / "p.yaml"
    cfg.write_text(yaml.safe_dump({"out_dir": str(tmp_path / "run"), "input": str(syn),
                                   "steps": ["clean", {"dedup": {"threshold": 0.7}}]}))
    r = or1("pipeline", str(cfg))
    assert r.returncode == 0, r.stderr
    assert "| 2 | dedup | 20 | 20 | 0 | - |" in r.stdout and (tmp_path / "run" / "funnel.png").is_file()


@pytest.mark.parametrize(("args", "needle"), [
    (["dedup", "missing.parquet", "-o", "x.parquet"], "missing.parquet: no such data file"),
    (["select", "missing.parquet", "-o", "x.parquet", "--model-name", "m", "--keep", "9..1"], "--keep='9..1'"),
    (["ingest", "raw.txt", "-o", "x.parquet"], "no such input file"),
    (["ingest", "x.jsonl", "-o", "x.parquet", "--map", "question"], "FIELD=COLUMN"),
])
def test_errors_are_one_line_with_exit_1(tmp_path, args, needle):
    r = or1(*args, cwd=tmp_path)
    lines = [ln for ln in r.stderr.splitlines() if "error:" in ln]
    assert r.returncode == 1 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert lines[0].startswith("or1 data: error:") and needle in lines[0]


@pytest.mark.parametrize(("args", "flag", "key"), [
    (["select", "x.parquet", "-o", "y.parquet", "--model-name", "m", "--keep", "7..x"], "--keep='7..x'", "select.keep"),
    (["ingest", "x.jsonl", "-o", "y.parquet", "--template", "Solve it."], "--template='Solve it.'", "ingest.template"),
    (["ingest", "x.jsonl", "-o", "y.parquet", "--template-code", "Code."], "--template-code=", "ingest.template_code"),
    (["decontaminate", "x.parquet", "-o", "y.parquet", "--against", "e.parquet", "--threshold", "7"],
     "--threshold=7.0", "decontaminate.similarity"),
    (["dedup", "x.parquet", "-o", "y.parquet", "--threshold", "1.5"], "--threshold=1.5", "dedup.threshold"),
    (["difficulty", "x.parquet", "-o", "y.parquet", "--model", "m", "--samples", "0"], "--samples=0",
     "difficulty.samples"),
])
def test_bad_options_name_the_flag_not_the_dotted_key(tmp_path, args, flag, key):
    """The options are checked once, in config.py, under their dotted key; `or1 data` names the flag given."""
    r = or1(*args, cwd=tmp_path)
    lines = [ln for ln in r.stderr.splitlines() if "error:" in ln]
    assert r.returncode == 1 and len(lines) == 1, r.stderr
    assert flag in lines[0] and key not in lines[0], lines[0]


def test_select_with_a_model_name_no_row_has_fails(tmp_path):
    math = write_released(tmp_path) / "math-00000-of-00001.parquet"
    r = or1("select", str(math), "-o", str(tmp_path / "s.parquet"), "--model-name", "Qwen2.5-7B")
    lines = [ln for ln in r.stderr.splitlines() if "error:" in ln]
    assert r.returncode == 1 and len(lines) == 1, r.stderr
    assert "extra_info.model_difficulty.Qwen2.5-7B" in lines[0] and "DeepSeek-R1-Distill-Qwen-7B (5 rows)" in lines[0]
    assert not (tmp_path / "s.parquet").exists()  # nothing written


def test_bad_usage_exits_2():
    assert or1("frobnicate").returncode == 2
    assert or1("select", "x.parquet", "-o", "y.parquet").returncode == 2  # --model-name is required
    assert or1("dedup", "x.parquet", "-o", "y.parquet", "--threshold", "high").returncode == 2


def test_every_flag_is_an_option_field():
    """A flag whose dest is not a field of the step's options would be silently ignored."""
    import argparse
    import dataclasses

    from or1.data.cli import add_parser
    from or1.data.pipeline import OPTIONS

    root = argparse.ArgumentParser()
    add_parser(root.add_subparsers())
    data = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction)).choices["data"]
    actions = next(a for a in data._actions if isinstance(a, argparse._SubParsersAction)).choices
    plumbing = {"help", "input", "inputs", "out", "map", "config"}
    for name, parser in actions.items():
        fields = {f.name for f in dataclasses.fields(OPTIONS[name])} if name in OPTIONS else set()
        for act in parser._actions:
            assert act.dest in fields | plumbing, f"or1 data {name}: {act.option_strings} sets unknown '{act.dest}'"
