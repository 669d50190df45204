"""The whole pipeline on planted data: every planted row is removed by the right step with the right reason,
and nothing else is removed. Also the funnel outputs and config errors."""

from __future__ import annotations

import itertools
import json
import re

import pyarrow.parquet as pq
import pytest
import yaml
from planted import AIME24, AIME25, planted_raw, write_random_model

from or1.data.pipeline import load_pipeline, run_pipeline
from or1.data.rows import row_uid

STEPS = ["ingest", "clean", "dedup", "decontaminate", "difficulty", "select"]


def _config(tmp_path, raw, model_dir) -> str:
    cfg = {"out_dir": str(tmp_path / "run"), "steps": [
        {"ingest": {"inputs": [str(raw)]}},
        {"clean": {"workers": 2, "time_limit_s": 5}},
        "dedup",
        {"decontaminate": {"against": [str(AIME24), str(AIME25)]}},
        {"difficulty": {"model": str(model_dir), "model_name": "tiny", "samples": 4, "max_tokens": 16, "workers": 1}},
        {"select": {"keep": "1..3", "model_name": "tiny"}},
    ]}
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def _removed_by_id(run, raw_ids: list[str]) -> dict[str, tuple[str, str]]:
    """{id: (step, reason)} from every step's report; ingest names rows by line, later steps by uid."""
    ingested = pq.read_table(run / "01_ingest.parquet").to_pylist()
    uid_to_id = {row_uid(r, i): r["extra_info"]["id"] for i, r in enumerate(ingested)}
    removed: dict[str, tuple[str, str]] = {}
    for k, step in enumerate(STEPS, 1):
        report = json.loads((run / f"{k:02d}_{step}.report.json").read_text())
        assert report["count_in"] - report["count_out"] == report["removed"] == len(report["removed_rows"])
        for r in report["removed_rows"]:
            key = raw_ids[int(r["uid"].rsplit("#", 1)[1])] if step == "ingest" else uid_to_id[r["uid"]]
            assert key not in removed, f"{key} removed twice"
            removed[key] = (step, r["reason"])
    return removed


def test_planted_rows_are_removed_by_the_right_step_and_nothing_else(tmp_path):
    raw = tmp_path / "raw.jsonl"
    expected, good = planted_raw(raw)
    raw_ids = [re.search(rb'"id": "([^"]+)"', line)[1].decode() for line in raw.read_bytes().splitlines()]
    summary = run_pipeline(_config(tmp_path, raw, write_random_model(tmp_path / "model")))
    run = tmp_path / "run"

    assert _removed_by_id(run, raw_ids) == expected
    final = pq.read_table(summary["output"]).to_pylist()
    assert {r["extra_info"]["id"] for r in final} == good
    assert all(1 <= r["extra_info"]["model_difficulty"]["tiny"] <= 3 for r in final)
    # the planted steps each removed something; the funnel adds up
    steps = summary["steps"]
    assert [s["step"] for s in steps] == STEPS and steps[0]["count_in"] == len(raw_ids)
    assert all(a["count_out"] == b["count_in"] for a, b in itertools.pairwise(steps))
    assert steps[-1]["count_out"] == len(good) and steps[4]["removed"] == 0
    funnel = (run / "funnel.md").read_text()
    assert all(f"| {k} | {s} |" in funnel for k, s in enumerate(STEPS, 1)) and "**total**" in funnel
    assert (run / "funnel.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((run / "pipeline.report.json").read_text())["output"] == summary["output"]


@pytest.mark.parametrize(("cfg", "match"), [
    ({"out_dir": "o", "steps": ["dedupe"]}, "unknown step 'dedupe'; did you mean 'dedup'"),
    ({"out_dir": "o", "input": "x.parquet", "steps": [{"dedup": {"treshold": 0.9}}]},
     "steps.1: unknown dedup option 'treshold'; did you mean 'threshold'"),
    ({"out_dir": "o", "input": "x.parquet", "steps": [{"dedup": {"threshold": 2}}]}, "dedup.threshold=2"),
    ({"out_dir": "o", "steps": ["clean"]}, "give `input`"),
    ({"out_dir": "o", "input": "x", "steps": ["clean", {"ingest": {"inputs": ["a"]}}]}, "ingest must come first"),
    ({"out_dir": "o", "steps": []}, "non-empty list of steps"),
    ({"out_dir": "o", "steps": ["clean"], "outdir": "p"}, "unknown key"),
])
def test_config_errors_name_the_problem(tmp_path, cfg, match):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ValueError, match=match.replace("(", r"\(").replace(".", r"\.")):
        load_pipeline(path)


def test_config_lists_become_tuples(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"out_dir": "o", "input": "x.parquet", "steps": [
        {"decontaminate": {"against": "a.parquet"}}, {"judge": {"models": ["m1", "m2"], "min_votes": 3}}]}))
    _, _, steps = load_pipeline(path)
    assert steps[0][1].against == ("a.parquet",) and steps[1][1].models == ("m1", "m2")
