"""Input rows of `or1 verify math|code` (jsonl_rows.py): one output line per input line, in order, whatever
a line holds (a bad byte, a bare \\r, a blank line), with a summary line on stderr."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from or1.rewards.code.jsonl import verify_jsonl as verify_code
from or1.rewards.jsonl_rows import parse_line

OR1 = [str(Path(sys.executable).with_name("or1"))]  # the installed console script
GT = {"inputs": ["1 2\n"], "outputs": ["3"]}


@pytest.mark.parametrize(
    ("raw", "data", "error"),
    [
        (b'{"a": 1}\n', {"a": 1}, ""),
        (b'{"a": 1}\r\n', {"a": 1}, ""),  # CRLF: the \r goes with the line end
        (b'{"a": "x\ry"}\n', {"a": "x\ry"}, ""),  # a bare \r inside a string stays in the row
        (b'{"a": "x\ty"}', {"a": "x\ty"}, ""),  # raw control characters in strings are accepted
        (b"\n", None, "line 7: blank line"),
        (b" \t\r\n", None, "line 7: blank line"),
        (b'{"a": "\xff"}\n', None, "line 7: not UTF-8 (byte 0xff at offset 7)"),
        (b"[1, 2]\n", None, "line 7: expected a JSON object"),
        (b"{nope\n", None, "line 7: not JSON"),
        (b"[" * 100_000, None, "line 7: not JSON"),  # too deep: an error row, not a crash
    ],
)
def test_parse_line(raw, data, error):
    row = parse_line(7, raw)
    assert row.line == 7 and row.data == data and row.error.startswith(error)


def _math_rows(n: int) -> tuple[bytes, list[bool | None]]:
    """n rows (line 1235 has a bad byte, line 5679 a bare \\r inside a string) and each row's verdict."""
    rows, want = [], []
    for i in range(n):
        rows.append(json.dumps({"prediction": str(i % 7), "gold": str(i % 5)}).encode())
        want.append(i % 7 == i % 5)
    rows[1234], want[1234] = b'{"prediction": "caf\xff", "gold": "1"}', None
    rows[5678], want[5678] = b'{"prediction": "5\r6", "gold": "56"}', False
    return b"\n".join(rows) + b"\n", want


def test_or1_verify_math_gives_one_line_per_input_line(tmp_path):
    """10,000 rows with one bad byte and one bare \\r: 10,000 verdicts in order (the real CLI)."""
    data, want = _math_rows(10_000)
    path = tmp_path / "rows.jsonl"
    path.write_bytes(data)
    r = subprocess.run([*OR1, "verify", "math", str(path), "--workers", "1"], capture_output=True, timeout=300)
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 10_000, r.stderr[-2000:]
    records = [json.loads(line) for line in lines]
    assert [None if rec["status"] == "error" else rec["correct"] for rec in records] == want
    assert records[1234]["message"].startswith("line 1235: not UTF-8")
    assert r.returncode == 1  # a malformed row
    assert r.stderr.decode().splitlines()[-1] == (
        f"or1 verify math: 10000 rows, {sum(w is True for w in want)} correct; ok 9999, error 1"
    )


def _code_rows() -> tuple[bytes, list[str]]:
    sum_program = "a, b = map(int, input().split())\r\nprint(a + b)\r\n"  # CR LF inside the program
    rows = [
        json.dumps({"program": sum_program, "ground_truth": GT}).encode() + b"\r",  # CRLF line end
        json.dumps({"program": "print(4)", "ground_truth": GT}).encode(),
        b"",
        b'{"program": "print(\'\xe9\')", "ground_truth": {}}',
        b'{"program": "print(3)\r", "ground_truth": ' + json.dumps(GT).encode() + b"}",  # a bare \r
        b'{"program": "print(3)"}',
    ]
    return b"\n".join(rows) + b"\n", ["ok", "wrong_answer", "error", "error", "ok", "error"]


def test_verify_code_gives_one_line_per_input_line(tmp_path):
    data, statuses = _code_rows()
    path = tmp_path / "rows.jsonl"
    path.write_bytes(data * 20)
    out, err = io.StringIO(), io.StringIO()
    assert verify_code(str(path), workers=2, time_limit_s=6.0, out=out, err=err) == 1
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [rec["status"] for rec in records] == statuses * 20
    assert records[2]["error"] == "line 3: blank line"
    assert records[3]["error"].startswith("line 4: not UTF-8")
    assert records[6 * 19 + 5]["error"].startswith("line 120: needs 'ground_truth'")
    assert err.getvalue().startswith("or1 verify code: 120 rows, 40 passed; error 60, ok 40, wrong_answer 20")


def test_or1_verify_code_cli(tmp_path):
    data, statuses = _code_rows()
    path = tmp_path / "rows.jsonl"
    path.write_bytes(data)
    r = subprocess.run([*OR1, "verify", "code", str(path), "--workers", "2"], capture_output=True, timeout=300)
    assert [json.loads(line)["status"] for line in r.stdout.decode().splitlines()] == statuses
    assert "(run memory: " in r.stderr.decode()
