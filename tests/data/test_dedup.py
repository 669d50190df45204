"""Dedup: exact and near duplicates with MinHash LSH, first row kept, clusters reported."""

from __future__ import annotations

import pytest
from planted import write_syn_parquet

from or1.config import DedupOptions
from or1.data.dedup import dedup_rows
from or1.data.report import run_step
from or1.data.synthetic import synthetic_rows


def _rows(texts: list[str], answers: list[str] | None = None) -> list[dict]:
    answers = answers or ["1"] * len(texts)
    return [{"data_source": "t", "prompt": [{"role": "user", "content": t}], "ability": "math",
             "reward_model": {"style": "rule", "ground_truth": a}, "extra_info": {"index": i}}
            for i, (t, a) in enumerate(zip(texts, answers, strict=True))]


def _edit_last_word(text: str, word: str) -> str:
    return text.rsplit(" ", 1)[0] + " " + word


def test_distinct_problems_are_all_kept():
    texts = [r["problem"] for r in synthetic_rows(300, seed=5)]
    out = dedup_rows(_rows(texts), DedupOptions())
    assert len(out.kept) == 300 and out.removed == [] and out.stats["clusters"] == 0


def test_exact_and_near_duplicates_keep_the_first_row():
    base = [r["problem"] for r in synthetic_rows(6, seed=1)]
    texts = [*base,
             "  " + base[1].upper().replace(",", " ,") + "  ",          # 6: same words -> exact
             base[2].replace(" the ", " this ", 1),                     # 7: one word changed -> near
             base[2] + " Give the answer as an integer.",                # 8: an instruction added -> exact
             base[4]]                                                    # 9: exact, conflicting answer
    answers = ["1"] * 9 + ["2"]
    out = dedup_rows(_rows(texts, answers), DedupOptions())
    got = {r.uid: (r.reason, r.detail["duplicate_of"]) for r in out.removed}
    assert got == {"t/6": ("exact_duplicate", "t/1"), "t/7": ("near_duplicate", "t/2"),
                   "t/8": ("exact_duplicate", "t/2"), "t/9": ("exact_duplicate", "t/4")}
    assert next(r for r in out.removed if r.uid == "t/9").detail["answer_conflict"] is True
    assert all(0.8 <= r.detail["similarity"] <= 1 for r in out.removed)
    assert [r["extra_info"]["index"] for r in out.kept] == list(range(6))
    clusters = {c["kept"]: c for c in out.stats["cluster_list"]}
    assert clusters["t/2"]["size"] == 3 and [m["uid"] for m in clusters["t/2"]["removed"]] == ["t/7", "t/8"]
    assert out.stats["clusters"] == 3 and out.stats["largest_cluster"] == 3


def test_threshold_is_configurable():
    base = [r["problem"] for r in synthetic_rows(2, seed=2)]
    words = base[0].split()
    for k in (3, 9, 15, 21, 27):  # five scattered word changes: estimated similarity about 0.5
        words[k] = "zzz" + words[k]
    rows = _rows([base[0], base[1], " ".join(words)])
    assert dedup_rows(rows, DedupOptions()).removed == []
    (removed,) = dedup_rows(rows, DedupOptions(threshold=0.4)).removed
    assert removed.uid == "t/2" and removed.reason == "near_duplicate"


def test_chained_duplicates_form_one_cluster():
    base = synthetic_rows(1, seed=4)[0]["problem"]
    texts = [base, base.upper(), _edit_last_word(base, "eventually?")]
    out = dedup_rows(_rows(texts), DedupOptions())
    (cluster,) = out.stats["cluster_list"]
    assert cluster["kept"] == "t/0" and cluster["size"] == 3


def test_run_step_writes_rows_and_report(tmp_path):
    syn_parquet = write_syn_parquet(tmp_path)
    report = run_step("dedup", dedup_rows, syn_parquet, tmp_path / "d.parquet", DedupOptions(threshold=0.9))
    assert report["count_in"] == report["count_out"] == 60 and report["options"]["threshold"] == 0.9
    assert (tmp_path / "d.report.json").is_file() and (tmp_path / "d.parquet").is_file()


@pytest.mark.parametrize("bad", [{"threshold": 0.0}, {"threshold": 1.5}, {"ngram": 0}, {"num_perm": 4}])
def test_bad_options(bad):
    with pytest.raises(ValueError, match="dedup"):
        DedupOptions(**bad)
