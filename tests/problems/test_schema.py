"""Reading and validating parquet rows in the release schema."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from or1.problems.builtin import resolve_data_file
from or1.problems.schema import DataError, decode_ground_truth, load_problems, write_rows
from or1.tiny.task import make_rows


@pytest.mark.parametrize("name", ["aime24", "aime25"])
def test_release_eval_sets_load_unchanged(name):
    problems = load_problems(name)  # the packaged release file, by name
    assert len(problems) == 30
    assert all(p.ability == "math" and p.prompt[0]["role"] == "user" for p in problems)
    golds = [p.ground_truth for p in problems]
    assert all(isinstance(g, str) for g in golds)
    if name == "aime24":
        assert golds[1] == "025"  # zero padding survives: never decoded to the int 25
    else:
        assert "336^\\circ" in golds
    assert len({p.uid for p in problems}) == 30


# The release's files, byte for byte (src/or1/problems/sets/README.md lists the same sums).
RELEASE_SHA256 = {"aime24": "784313b60c71b82256324cd4fa6966b5b1e0e55eb610cae5d62abbafb9f10bb9",
                  "aime25": "961e2edf21a4babfcf7e04dac3264b55578b14524aceb1b2c29be8d9c7a54fe3"}


@pytest.mark.parametrize("name", sorted(RELEASE_SHA256))
def test_packaged_eval_files_are_the_release_bytes_and_listed_in_the_manifest(name):
    path = resolve_data_file(name)
    assert path.parent.name == "sets" and path.name == f"{name}.parquet"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == RELEASE_SHA256[name]
    assert RELEASE_SHA256[name] in (path.parent / "README.md").read_text()


def test_an_existing_file_wins_over_a_packaged_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_rows(make_rows(3, 0, "train"), tmp_path / "aime24")
    assert len(load_problems("aime24")) == 3


def test_an_unknown_name_lists_the_packaged_sets():
    with pytest.raises(DataError, match=r"aime26: no such data file \(packaged sets.*aime24, aime25, code_tiny"):
        load_problems("aime26")


@pytest.mark.parametrize(("raw", "expected"), [
    ("025", "025"),
    ("204", "204"),  # JSON would read an int; the raw string is kept
    ("3.5", "3.5"),
    ('["1", "2"]', ["1", "2"]),
    ("[1, 2]", ["1", "2"]),
    ('{"inputs": ["1"], "outputs": ["2"]}', {"inputs": ["1"], "outputs": ["2"]}),
    ("\\frac{1}{2}", "\\frac{1}{2}"),
    ('"quoted"', '"quoted"'),
])
def test_decode_ground_truth(raw, expected):
    assert decode_ground_truth(raw) == expected


def test_write_and_read_back(tmp_path):
    rows = make_rows(5, 0, "train")
    problems = load_problems(write_rows(rows, tmp_path / "t.parquet"))
    assert [p.ground_truth for p in problems] == [r["reward_model"]["ground_truth"] for r in rows]
    assert problems[0].uid == "or1-tiny-arith/0"
    assert not list(tmp_path.glob("*.tmp"))


def _write(tmp_path, rows) -> Path:
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_missing_column_is_named(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "reward_model"} for r in make_rows(2, 0, "x")]
    with pytest.raises(DataError, match="missing required column\\(s\\) reward_model"):
        load_problems(_write(tmp_path, rows))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("reward_model", {"style": "rule", "ground_truth": ""}, "row 2: 'reward_model.ground_truth' is missing or empty"),
    ("prompt", [], "row 2: 'prompt' must be a non-empty list"),
    ("ability", "", "row 2: 'ability' must be a non-empty string"),
])
def test_malformed_row_is_named(tmp_path, field, value, message):
    rows = make_rows(4, 0, "x")
    rows[2][field] = value
    with pytest.raises(DataError, match=message):
        load_problems(_write(tmp_path, rows))


def test_not_parquet_and_missing_file(tmp_path):
    junk = tmp_path / "junk.parquet"
    junk.write_text("not parquet")
    with pytest.raises(DataError, match="not a readable parquet file"):
        load_problems(junk)
    with pytest.raises(DataError, match="no such data file"):
        load_problems(tmp_path / "absent.parquet")
