"""`verify_jsonl`: one result line per row, in order; malformed rows are errors naming their row."""

import io
import json
from pathlib import Path

from or1.rewards.math.jsonl import verify_jsonl

ROWS = [
    {"prediction": "025", "gold": "25"},
    {"prediction": "24", "gold": "25"},
    {"prediction": "\\frac12", "gold": ["0.5", "1/2"]},
    {"prediction": "<think>x</think>\\boxed{7}", "gold": "7", "mode": "response"},
    {"prediction": "\\boxed{7}", "gold": "7", "mode": "response"},
    {"prediction": "<think>x</think>7", "gold": "7", "mode": "response"},
]


def _run(tmp_path: Path, lines: list[str]) -> tuple[int, list[dict]]:
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out = io.StringIO()
    code = verify_jsonl(str(path), workers=1, timeout_s=5.0, out=out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_rows_in_order(tmp_path: Path) -> None:
    code, records = _run(tmp_path, [json.dumps(r) for r in ROWS])
    assert code == 0
    assert [(r["correct"], r["status"]) for r in records] == [
        (True, "ok"),
        (False, "ok"),
        (True, "ok"),
        (True, "ok"),
        (False, "unfinished"),
        (False, "no_answer"),
    ]
    assert all(isinstance(r["seconds"], float) for r in records)


def test_malformed_rows_are_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    lines = [
        json.dumps(ROWS[0]),
        "not json",
        json.dumps({"prediction": 3, "gold": "3"}),
        json.dumps({"prediction": "3", "gold": "3", "mode": "text"}),
        json.dumps({"prediction": "3", "gold": []}),
        json.dumps(ROWS[1]),
    ]
    code, records = _run(tmp_path, lines)
    assert code == 1
    assert [r["status"] for r in records] == ["ok", "error", "error", "error", "error", "ok"]
    assert records[1]["message"].startswith("line 2:")
    assert records[4]["message"].startswith("line 5:")


def test_missing_file_is_exit_1() -> None:
    assert verify_jsonl("/nonexistent/rows.jsonl", workers=1, timeout_s=5.0, out=io.StringIO()) == 1
