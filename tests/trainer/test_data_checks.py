"""Rows that can never earn reward are refused at load, naming file and row, or skipped and counted."""

from __future__ import annotations

import copy
import json
import logging

import pytest

from or1.problems.schema import DataError, read_table, write_rows
from or1.trainer.setup import load_data


@pytest.fixture
def bad_file(easy_task, tmp_path):
    """Eight good rows, then a gold of "[]", a list of one empty gold, a blank prompt and a code row without tests."""
    rows = read_table(easy_task["train"]).to_pylist()[:8]
    bad = [copy.deepcopy(rows[0]) for _ in range(4)]
    bad[0]["reward_model"]["ground_truth"] = "[]"
    bad[1]["reward_model"]["ground_truth"] = '[""]'  # the loader itself refuses a bare empty string
    bad[2]["prompt"] = [{"role": "user", "content": "  "}]
    bad[3]["ability"] = "code"
    bad[3]["reward_model"]["ground_truth"] = json.dumps({"inputs": [], "outputs": []})
    for i, r in enumerate(bad):
        r["extra_info"]["index"] = 100 + i
    return write_rows(rows + bad, tmp_path / "bad.parquet")


def test_unpayable_rows_are_an_error_naming_file_and_row(bad_file, tokenizer):
    with pytest.raises(DataError) as e:
        load_data((str(bad_file),), tokenizer, 64)
    msg = str(e.value)
    assert msg.startswith("4 rows can never earn reward: ")
    assert f"{bad_file}: row 8 (or1-tiny-arith/100): its gold [] holds no answer" in msg
    assert f"{bad_file}: row 9 (or1-tiny-arith/101): its gold [''] holds no answer" in msg
    assert f"{bad_file}: row 10 (or1-tiny-arith/102): its prompt is empty after templating" in msg
    assert f"{bad_file}: row 11 (or1-tiny-arith/103): its tests cannot run" in msg
    assert "data.skip_invalid=true" in msg


def test_skip_invalid_skips_and_counts_them(bad_file, tokenizer, caplog):
    with caplog.at_level(logging.WARNING):
        problems, ids = load_data((str(bad_file),), tokenizer, 64, skip_invalid=True)
    assert [p.uid for p in problems] == [f"or1-tiny-arith/{i}" for i in range(8)]
    assert len(ids) == 8
    [warning] = [r.getMessage() for r in caplog.records if "never earn reward" in r.getMessage()]
    assert warning.startswith("skipped 4 rows that can never earn reward (data.skip_invalid=true): ")
