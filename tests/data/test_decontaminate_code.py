"""Decontamination of code problems against LiveCodeBench files: by content, by samples, and by date window."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from code_contamination import EVAL, TRAIN, lcb_rows, train_rows

from or1.cli import main
from or1.config import DecontamOptions, IngestOptions
from or1.data.code_text import code_statement, sample_numbers
from or1.data.decontaminate import decontaminate_rows
from or1.data.eval_files import load_eval_problems
from or1.data.ingest import ingest
from or1.problems.schema import DataError, write_rows

FIXTURES = Path(__file__).parent / "code_formats"
EXPECTED = {f"pool/{i}": (reason, uid) for i, (_, reason, uid) in enumerate(TRAIN) if reason}
WINDOW = "2024-08-01"


def _raw_parquet(tmp_path: Path) -> Path:
    path = tmp_path / "lcb_release.parquet"
    pq.write_table(pa.Table.from_pylist(lcb_rows()), path)
    return path


def _raw_jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "lcb_release.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lcb_rows()))
    return path


def _ingested(tmp_path: Path) -> Path:
    out = tmp_path / "lcb_ingested.parquet"
    ingest([_raw_parquet(tmp_path)], out, IngestOptions())
    return out


@pytest.mark.parametrize("make_file", [_raw_parquet, _raw_jsonl, _ingested])
def test_copies_paraphrases_and_samples_removed_template_sharers_kept(tmp_path, make_file):
    out = decontaminate_rows(train_rows(), DecontamOptions(against=(str(make_file(tmp_path)),)))
    expected = EXPECTED
    if make_file is _ingested:  # ingested rows are named by their row, as every schema row is
        position = {f"livecodebench/{qid}": f"livecodebench/{k}" for k, (qid, *_) in enumerate(EVAL)}
        expected = {uid: (reason, position[e]) for uid, (reason, e) in EXPECTED.items()}
    assert {r.uid: (r.reason, r.detail["eval_uid"]) for r in out.removed} == expected
    assert len(out.kept) == len(TRAIN) - len(EXPECTED)  # unrelated AtCoder/LeetCode/TACO problems all stay
    by_uid = {r.uid: r.detail for r in out.removed}
    assert by_uid["pool/2"]["samples"] == "3 1 4 2 2 6" and by_uid["pool/2"]["eval_date"] == "2024-10-05"
    assert "standard input" not in by_uid["pool/0"]["ngram"]  # the story, not the platform's template


def test_date_window_reports_matches_of_recent_problems_and_removes_nothing(tmp_path):
    out = decontaminate_rows(train_rows(), DecontamOptions(against=(str(_raw_parquet(tmp_path)),), after=WINDOW))
    assert out.removed == [] and len(out.kept) == len(TRAIN)
    matches = {m["uid"]: m for m in out.stats["window_matches"]}
    # copies of eval problems dated before the window are not compared, so not reported
    before = {f"livecodebench/{qid}" for qid, _, when, _, _ in EVAL if when[:10] < WINDOW}
    assert set(matches) == {uid for uid, (_, e) in EXPECTED.items() if e not in before}
    assert {"pool/1", "pool/4"} <= set(EXPECTED) - set(matches)
    assert all(m["detail"]["eval_date"] >= WINDOW and m["reason"] for m in matches.values())
    assert out.stats["eval_outside_window"] == sum(when[:10] < WINDOW for _, _, when, _, _ in EVAL) == 2


def test_math_rows_are_not_compared_with_code_problems(tmp_path):
    out = decontaminate_rows(train_rows("math"), DecontamOptions(against=(str(_raw_parquet(tmp_path)),)))
    assert out.removed == []


def test_the_release_fixture_decontaminates_a_file_ingested_from_it(tmp_path):
    # every release row is an eval problem, also the two whose tests are broken (ingest rejects those)
    train = tmp_path / "train.parquet"
    ingest([FIXTURES / "livecodebench.parquet"], train, IngestOptions())
    rows = pq.read_table(train).to_pylist()
    rows.append({**rows[0], "extra_info": {"index": 9, "problem": "Print the number of vowels in S."}})
    against = (str(FIXTURES / "livecodebench.parquet"),)
    out = decontaminate_rows(rows, DecontamOptions(against=against))
    assert [r.detail["eval_uid"] for r in out.removed] == ["livecodebench/abc999_a", "livecodebench/3999",
                                                          "livecodebench/abc999_b"]
    assert len(load_eval_problems(against).names) == 4


def test_cli_with_a_release_file_and_a_window(tmp_path):
    train = tmp_path / "train.parquet"
    write_rows(train_rows(), train)
    out = tmp_path / "clean.parquet"
    assert main(["data", "decontaminate", str(train), "-o", str(out), "--against", str(_raw_jsonl(tmp_path)),
                 "--after", WINDOW]) == 0
    report = json.loads((tmp_path / "clean.report.json").read_text())
    assert report["removed"] == 0 and len(report["stats"]["window_matches"]) == 3
    assert main(["data", "decontaminate", str(train), "-o", str(out), "--against", str(_raw_jsonl(tmp_path))]) == 0
    report = json.loads((tmp_path / "clean.report.json").read_text())
    assert report["reasons"] == {"ngram_overlap": 3, "sample_overlap": 2}
    assert {r["uid"] for r in report["removed_rows"]} == set(EXPECTED)


def test_a_file_in_neither_layout_is_named(tmp_path):
    path = tmp_path / "other.parquet"
    pq.write_table(pa.Table.from_pylist([{"question": "q", "answer": "a"}]), path)
    with pytest.raises(DataError, match=r"other.parquet: row 0: neither a schema row nor a LiveCodeBench"):
        load_eval_problems((str(path),))
    with pytest.raises(DataError, match="must be schema parquet or a LiveCodeBench release file"):
        load_eval_problems((str(tmp_path / "x.csv"),))


@pytest.mark.parametrize("text, kept, dropped", [
    ("Find X.\n\nInput\n\nThe input is given from Standard Input in the following format:\nN\n\nOutput\n\n"
     "Print the answer.\n\nConstraints\n\n- 1 \\leq N \\leq 10^5\n\nSample Input 1\n\n3\n\nSample Output 1\n\n9",
     ["Find X.", "Sample Input\n", "3", "9"], ["Standard Input", "Print the answer", "10^5", "Sample Input 1"]),
    ("Return the sum.\n\nExample 1:\n\nInput: nums = [1,2]\nOutput: 3\nExplanation: 1 + 2 = 3.\n\n"
     "Constraints:\n\n1 <= nums.length <= 100", ["Return the sum.", "Input: nums = [1,2]", "Output: 3"],
     ["Explanation", "nums.length", "Example 1"]),
    ("Constraints: 1 <= n <= 10. Print n.", ["Constraints: 1 <= n <= 10. Print n."], []),  # all template: as is
    ("The output of the machine is the input of the next one.", ["The output of the machine"], []),
    # sentences that start like headings are story; Codeforces examples print bare input/output lines
    ("Constraints on the input are loose.\nNote that n can be 0.\n\nInput\n\nOne integer n.\n\nExamples\n\n"
     "input\n5\noutput\n120\n\nNote\n\nFive factorial.", ["Constraints on the input are loose.",
                                                          "Note that n can be 0.", "input\n5\noutput\n120",
                                                          "Five factorial."], ["One integer"]),
])
def test_code_statement_drops_platform_sections(text, kept, dropped):
    out = code_statement(text)
    assert all(k in out for k in kept) and not any(d in out for d in dropped)


def test_sample_numbers_split_lists():
    assert sample_numbers("Story 7.\n\nExample 1:\n\nInput: nums = [3,1,4,2], k = 2\nOutput: 6") == \
        ["3", "1", "4", "2", "2", "6"]
