"""Ingest: every format through a column mapping; every invalid row in the rejects file with its reason."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from or1.config import IngestOptions
from or1.data.ingest import ingest, rejects_path
from or1.problems.schema import DataError, load_problems, write_rows
from or1.tiny.task import make_rows

TESTS = {"inputs": ["1 2\n"], "outputs": ["3\n"]}


def _rejects(out) -> list[dict]:
    return [json.loads(line) for line in rejects_path(out).read_text().splitlines()]


def test_jsonl_mapping_and_every_reject_reason(tmp_path):
    rows = [
        {"q": "What is 2+3?", "a": 5, "origin": "mine", "key": 7},                 # kept, numeric answer
        {"q": "List the roots of x^2=1.", "a": ["1", "-1"]},                       # kept, list of answers
        {"q": "Echo the sum.", "kind": "code", "t": json.dumps(TESTS), "ref": "print(3)"},  # kept, code
        {"q": "", "a": "1"},                                                       # missing_problem
        {"q": "What is 1+1?", "a": "  "},                                          # missing_answer
        {"q": "x" * 50, "a": "1"},                                                 # too_long
        {"q": "Sort it.", "kind": "code", "t": ""},                                # missing_tests
        {"q": "Sort it.", "kind": "code", "t": {"inputs": [], "outputs": []}},     # empty_tests
        {"q": "Sort it.", "kind": "code", "t": {"inputs": ["1"], "outputs": []}},  # bad_tests
        {"q": "Draw it.", "kind": "poetry", "a": "1"},                             # bad_ability
    ]
    raw = tmp_path / "raw.jsonl"
    with open(raw, "wb") as f:
        for r in rows:
            f.write(json.dumps(r).encode() + b"\n")
        f.write(b'{"q": "caf\xe9", "a": "1"}\n')                                   # non_utf8
        f.write(b"{not json}\n")                                                   # unreadable
    opts = IngestOptions(mapping={"problem": "q", "answer": "a", "source": "origin", "id": "key", "ability": "kind",
                                  "tests": "t", "solution": "ref"}, max_problem_chars=40)
    report = ingest([raw], tmp_path / "out.parquet", opts)

    reasons = {r["row"]: r["reason"] for r in _rejects(tmp_path / "out.parquet")}
    assert reasons == {3: "missing_problem", 4: "missing_answer", 5: "too_long", 6: "missing_tests",
                       7: "empty_tests", 8: "bad_tests", 9: "bad_ability", 10: "non_utf8", 11: "unreadable"}
    assert report["count_in"] == 12 and report["count_out"] == 3 and report["removed"] == 9
    assert sum(report["reasons"].values()) == 9
    problems = load_problems(tmp_path / "out.parquet")  # the output is valid schema
    assert [p.ground_truth for p in problems[:2]] == ["5", ["1", "-1"]]
    assert problems[0].uid == "mine/0" and problems[0].extra_info["id"] == "7"
    assert problems[2].ability == "code" and problems[2].ground_truth == TESTS
    assert problems[2].extra_info["solution"] == "print(3)"
    first = _rejects(tmp_path / "out.parquet")[0]
    assert first["raw"] == rows[3] and first["file"] == str(raw)  # the row itself is in the rejects file


def test_csv_with_bad_bytes_and_template(tmp_path):
    raw = tmp_path / "raw.csv"
    raw.write_bytes(b'problem,answer\n"Find $x$, if 2x=4.",2\nbad \xff\xfe row,3\n"Short,1\n')
    opts = IngestOptions(template="{problem} Put the answer in \\boxed{}.", data_source="csvsrc")
    report = ingest([raw], tmp_path / "out.parquet", opts)
    assert report["count_in"] == 3 and report["count_out"] == 1
    assert {r["reason"] for r in _rejects(tmp_path / "out.parquet")} == {"non_utf8", "unreadable"}
    (p,) = load_problems(tmp_path / "out.parquet")
    assert p.prompt[0]["content"] == "Find $x$, if 2x=4. Put the answer in \\boxed{}."
    assert p.extra_info["problem"] == "Find $x$, if 2x=4." and p.data_source == "csvsrc"


def test_release_schema_parquet_passes_through(tmp_path):
    rows = make_rows(5, seed=0, split="train")
    bad = dict(rows[0], reward_model={"style": "rule", "ground_truth": ""})
    write_rows([*rows, bad], tmp_path / "in.parquet")
    report = ingest([tmp_path / "in.parquet"], tmp_path / "out.parquet")
    assert report["count_out"] == 5 and report["reasons"] == {"missing_answer": 1}
    out = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert out == rows  # unchanged, extra_info.index included


def test_extra_column_is_merged_into_extra_info(tmp_path):
    raw = tmp_path / "raw.jsonl"
    raw.write_text(json.dumps({"problem": "1+1?", "answer": "2", "extra": {"model_difficulty": {"m": 3}}}) + "\n")
    ingest([raw], tmp_path / "out.parquet")
    (row,) = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert row["extra_info"]["model_difficulty"] == {"m": 3}


def test_nothing_valid_is_an_error_and_bad_options_name_the_field(tmp_path):
    raw = tmp_path / "raw.jsonl"
    raw.write_text('{"problem": ""}\n')
    with pytest.raises(DataError, match="every row was rejected"):
        ingest([raw], tmp_path / "out.parquet")
    assert len(_rejects(tmp_path / "out.parquet")) == 1
    with pytest.raises(DataError, match="no such input"):
        ingest([tmp_path / "missing.jsonl"], tmp_path / "o.parquet")
    with pytest.raises(ValueError, match="unknown field"):
        IngestOptions(mapping={"question": "q"})
    with pytest.raises(ValueError, match="template"):
        IngestOptions(template="no placeholder")


def test_parquet_binary_column_with_bad_utf8(tmp_path):
    table = pa.table({"problem": pa.array([b"ok problem", b"\xff\xfe"], pa.binary()), "answer": ["1", "2"]})
    pq.write_table(table, tmp_path / "raw.parquet")
    report = ingest([tmp_path / "raw.parquet"], tmp_path / "out.parquet")
    assert report["count_out"] == 1 and report["reasons"] == {"non_utf8": 1}


MATH_T = "{problem} Please reason step by step, and put your final answer within \\boxed{}."
CODE_T = "{problem}\n\nWrite a Python program that reads from standard input."


def _mixed(tmp_path, **opts) -> dict[str, str]:
    raw = tmp_path / "mixed.jsonl"
    raw.write_text("\n".join(json.dumps(r) for r in [
        {"problem": "What is 2+3?", "answer": "5"},
        {"problem": "Print the sum of two numbers.", "ability": "code", "tests": TESTS}]) + "\n")
    ingest([raw], tmp_path / "out.parquet", IngestOptions(**opts))
    return {p.ability: p.prompt[0]["content"] for p in load_problems(tmp_path / "out.parquet")}


def test_templates_per_ability(tmp_path):
    content = _mixed(tmp_path, template_math=MATH_T, template_code=CODE_T)
    assert content["math"] == MATH_T.replace("{problem}", "What is 2+3?")
    assert content["code"] == CODE_T.replace("{problem}", "Print the sum of two numbers.")  # no \boxed for code


def test_template_is_the_default_of_both_abilities(tmp_path):
    content = _mixed(tmp_path, template="Q: {problem}", template_code=CODE_T)
    assert content["math"] == "Q: What is 2+3?"
    assert content["code"].startswith("Print the sum") and "\\boxed" not in content["code"]


def test_ability_templates_need_the_placeholder():
    with pytest.raises(ValueError, match=r"ingest\.template_code"):
        IngestOptions(template_code="no placeholder")
