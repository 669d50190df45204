"""The original release's AIME 2024/2025 golds (packaged: src/or1/problems/sets/), as they are stored: "025",
"336^\\circ", ... Each gold is checked against the spellings a model writes and against its near misses.

GOLDS is written out by hand and `test_golds_match_release` checks it against the parquet files, so
the table can neither drift from the data nor depend on it to be read.
"""

import pyarrow.parquet as pq
import pytest

from or1.problems.builtin import resolve_data_file
from or1.rewards.math.verifier import score, verify

GOLDS = {
    "aime24": [
        "204", "025", "809", "116", "104", "294", "540", "197", "480", "113",
        "371", "385", "110", "104", "721", "073", "236", "045", "033", "080",
        "055", "699", "127", "902", "468", "601", "023", "321", "211", "315",
    ],
    "aime25": [
        "70", "588", "16", "117", "279", "504", "821", "77", "62", "81",
        "259", "510", "204", "60", "735", "468", "49", "82", "106", "336^\\circ",
        "293", "237", "610", "149", "907", "113", "19", "248", "104", "240",
    ],
}  # fmt: skip


def _value(gold: str) -> int:
    return int(gold.replace("^\\circ", ""))


def _cases() -> dict[str, list[tuple[str, str, bool]]]:
    """Per gold: the bare integer, the 3-digit zero-padded form and a boxed form are right; the
    neighbours and the negation are wrong."""
    cases: dict[str, list[tuple[str, str, bool]]] = {"aime_correct": [], "aime_near_miss": []}
    for golds in GOLDS.values():
        for gold in golds:
            v = _value(gold)
            right = [str(v), f"{v:03d}", f"\\boxed{{{v}}}"]
            wrong = [str(v + 1), str(v - 1), str(-v)]
            cases["aime_correct"] += [(pred, gold, True) for pred in right]
            cases["aime_near_miss"] += [(pred, gold, False) for pred in wrong]
    return cases


CASES = _cases()
ROWS = [(cat, *row) for cat, rows in CASES.items() for row in rows]


def test_golds_match_release() -> None:
    for name, golds in GOLDS.items():
        table = pq.read_table(resolve_data_file(name)).to_pylist()
        assert [row["reward_model"]["ground_truth"] for row in table] == golds


@pytest.mark.parametrize(("category", "pred", "gold", "expected"), ROWS)
def test_aime(category: str, pred: str, gold: str, expected: bool) -> None:
    assert verify(gold=gold, pred=pred) is expected


@pytest.mark.parametrize(
    ("response", "gold", "status"),
    [
        ("<think>so 25</think>The answer is $\\boxed{25}$.", "025", "ok"),
        ("<think>...</think>\n\\[\\boxed{336^\\circ}\\]", "336^\\circ", "ok"),
        ("<think>...</think>\\boxed{336}", "336^\\circ", "ok"),
        ("<think>...</think>**Answer:** \\boxed{073}", "073", "ok"),
        ("<think>\\boxed{25}</think>so the answer is 24: \\boxed{24}", "025", "wrong"),
        ("<think>...</think>Thus $\\boxed{\\text{809}}$", "809", "ok"),
        ("<think>\\boxed{25}", "025", "unfinished"),
        ("<think>...</think>The answer is 25.", "025", "no_answer"),
    ],
)
def test_aime_responses(response: str, gold: str, status: str) -> None:
    assert score(response, gold).status == status
