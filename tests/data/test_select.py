"""Select by model difficulty, on a file in the released Skywork-OR1-RL-Data layout, read as it is."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from planted import write_released

from or1.config import SelectOptions, parse_keep
from or1.data.pipeline import run_data_step
from or1.data.select import difficulty_value, select_rows
from or1.problems.schema import DataError, load_problems


@pytest.mark.parametrize(("spec", "bounds"), [
    ("1..15", (1, 15)), ("..15", (None, 15)), ("1..", (1, None)), ("7", (7, 7)), (" 2 .. 6 ", (2, 6)),
])
def test_parse_keep(spec, bounds):
    assert parse_keep(spec) == bounds


@pytest.mark.parametrize("spec", ["1-15", "15..1", "a..b", ""])
def test_parse_keep_rejects(spec):
    with pytest.raises(ValueError, match=r"select\.keep"):
        parse_keep(spec)


def test_released_layout_math_split(tmp_path):
    released_dir = write_released(tmp_path)
    path = released_dir / "math-00000-of-00001.parquet"
    struct = pq.read_schema(path).field("extra_info").type.field("model_difficulty").type
    assert [f.name for f in struct] == ["DeepSeek-R1-Distill-Qwen-1.5B", "DeepSeek-R1-Distill-Qwen-32B",
                                        "DeepSeek-R1-Distill-Qwen-7B"]  # a struct, as in the release
    report = run_data_step("select", path, tmp_path / "math7b.parquet",
                           SelectOptions(model_name="DeepSeek-R1-Distill-Qwen-7B"))
    # 7B failures per row: 0, 5, 16, null, 1, 15 -> keep 5, 1, 15
    assert {r["uid"]: r["reason"] for r in report["removed_rows"]} == {
        "train-math-numina/0": "too_easy", "train-math-numina/2": "too_hard", "train-math-numina/3": "no_difficulty"}
    kept = load_problems(tmp_path / "math7b.parquet")  # still valid schema rows, ground truth decoded
    assert [p.uid for p in kept] == ["train-math-numina/1", "train-math-numina/4", "train-math-numina/5"]
    assert kept[0].ground_truth == ["1"]


def test_released_layout_code_split_other_model_and_range(tmp_path):
    released_dir = write_released(tmp_path)
    rows = pq.read_table(released_dir / "code-00000-of-00001.parquet").to_pylist()
    out = select_rows(rows, SelectOptions(keep="1..7", model_name="DeepSeek-R1-Distill-Qwen-32B"))
    # 32B failures (of 8): 4, null, 1, 6 -> keep 0, 2, 3
    assert [r["extra_info"]["index"] for r in out.kept] == [0, 2, 3]
    assert [(r.uid, r.reason) for r in out.removed] == [("train-code-taco/1", "no_difficulty")]
    assert json.loads(out.kept[0]["reward_model"]["ground_truth"])["inputs"] == ["1\n"]  # untouched


def test_json_string_difficulty_and_missing_model():
    row = {"data_source": "s", "extra_info": {"index": 0, "model_difficulty": json.dumps({"m": 3})}}
    assert difficulty_value(row, "m") == 3 and difficulty_value(row, "other") is None
    assert difficulty_value({"data_source": "s", "extra_info": None}, "m") is None
    with pytest.raises(ValueError, match="model_name"):
        SelectOptions(keep="1..15")


def test_model_name_no_row_has_is_an_error_naming_the_names_seen(tmp_path):
    path = write_released(tmp_path) / "math-00000-of-00001.parquet"
    rows = pq.read_table(path).to_pylist()
    with pytest.raises(DataError) as e:
        select_rows(rows, SelectOptions(model_name="DeepSeek-R1-Distill-Qwen-7b"))  # lower-case b: a typo
    msg = str(e.value)
    assert "extra_info.model_difficulty.DeepSeek-R1-Distill-Qwen-7b" in msg
    assert "did you mean 'DeepSeek-R1-Distill-Qwen-7B'" in msg
    assert "DeepSeek-R1-Distill-Qwen-1.5B" in msg and "DeepSeek-R1-Distill-Qwen-32B" in msg


def test_rows_without_any_difficulty_say_to_rate_them_first():
    rows = [{"data_source": "s", "extra_info": {"index": i}} for i in range(3)]
    with pytest.raises(DataError, match="or1 data difficulty --model-name m"):
        select_rows(rows, SelectOptions(model_name="m"))
    assert select_rows([], SelectOptions(model_name="m")).kept == []  # nothing in, nothing to name
