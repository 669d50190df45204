"""Judge: verdict parsing, prompt rendering, and M-of-votes with real causal-LM judges (the tiny model)."""

from __future__ import annotations

import copy

import pyarrow.parquet as pq
import pytest
from planted import write_random_model

from or1.config import JUDGE_PROMPT, JudgeOptions
from or1.data.judge import judge_rows, parse_verdict, render_prompt

YES, NO = r"\byes\b", r"\bno\b"


@pytest.mark.parametrize(("text", "verdict"), [
    ("yes", True), ("No.", False), ("Yes, it is good.", True), ("I thought no, but yes", True),
    ("yes at first; on reflection, no", False), ("<think>no no no</think> Yes", True),
    ("<think>yes</think> the answer is unclear", None), ("", None), ("nobody knows", None),
])
def test_parse_verdict(text, verdict):
    assert parse_verdict(text, YES, NO) is verdict


def test_render_prompt_keeps_braces_and_shows_answers():
    row = {"prompt": [{"role": "user", "content": "Find $\\{x\\}$ if {x}=3."}], "ability": "math",
           "reward_model": {"ground_truth": "3"}, "extra_info": {}}
    text = render_prompt(JUDGE_PROMPT, row)
    assert "Find $\\{x\\}$ if {x}=3." in text and "Reference answer: 3" in text
    code = dict(row, ability="code", reward_model={"ground_truth": '{"inputs": [], "outputs": []}'})
    assert "tests given in the data" in render_prompt("{problem} / {answer}", code)


@pytest.fixture(scope="module")
def judge_dir(tmp_path_factory):
    return write_random_model(tmp_path_factory.mktemp("judge") / "model")


def test_votes_from_two_judges_decide_what_is_kept(judge_dir, easy_task):
    rows = pq.read_table(easy_task["test"]).to_pylist()[:6]
    # A digit anywhere in the answer is a vote: the untrained model writes some, so counts vary by row.
    opts = JudgeOptions(models=(str(judge_dir), str(judge_dir)), votes=3, min_votes=3, prompt="{problem}",
                        accept=r"\d", reject=r"(?!)", max_tokens=12, chunk=4)
    out = judge_rows(copy.deepcopy(rows), opts)
    tallies = [r["extra_info"]["judge"] for r in out.kept] + [r.detail for r in out.removed]
    assert len(tallies) == 6 and all(t["total"] == 6 and t["votes"] + t["unparsed"] == 6 for t in tallies)
    assert all(r["extra_info"]["judge"]["votes"] >= 3 for r in out.kept)
    assert all(r.reason == "low_votes" and r.detail["votes"] < 3 for r in out.removed)
    assert sum(out.stats["votes_histogram"].values()) == 6
    again = judge_rows(copy.deepcopy(rows), opts)  # seeded: the same votes again
    assert [r["extra_info"]["judge"] for r in again.kept] == [r["extra_info"]["judge"] for r in out.kept]
    everything = judge_rows(copy.deepcopy(rows), JudgeOptions(models=(str(judge_dir),), votes=2, min_votes=0,
                                                              max_tokens=4))
    assert len(everything.kept) == 6  # M = 0 keeps all, still recording votes


@pytest.mark.parametrize(("kw", "match"), [
    ({}, "models"), ({"models": ("m",), "min_votes": 5, "votes": 4}, "min_votes"),
    ({"models": ("m",), "prompt": "no placeholder"}, "prompt"), ({"models": ("m",), "accept": "("}, "regex"),
])
def test_bad_options(kw, match):
    with pytest.raises(ValueError, match=match):
        JudgeOptions(**kw)
