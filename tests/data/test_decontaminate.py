"""Decontamination against the release's AIME24/25: copies by 13-gram overlap, paraphrases by content."""

from __future__ import annotations

import pytest
from planted import AIME24, AIME25, PARAPHRASE_REASON, PARAPHRASES, aime24_prompts

from or1.config import DecontamOptions
from or1.data.decontaminate import EvalIndex, decontaminate_rows
from or1.data.eval_files import load_eval_problems
from or1.data.synthetic import synthetic_rows
from or1.data.text import problem_text, tokens
from or1.problems.schema import write_rows

OPTS = DecontamOptions(against=(str(AIME24), str(AIME25)))


def _rows(texts: list[str]) -> list[dict]:
    return [{"data_source": "t", "prompt": [{"role": "user", "content": t}], "ability": "math",
             "reward_model": {"style": "rule", "ground_truth": "1"}, "extra_info": {"index": i}}
            for i, t in enumerate(texts)]


def test_copies_and_paraphrases_are_removed_with_the_right_reason():
    aime = aime24_prompts()
    clean = [r["problem"] for r in synthetic_rows(40, seed=9)]
    planted = {
        "t/40": (aime[1], "ngram_overlap"),                                        # verbatim, boilerplate included
        "t/41": ("Warm-up first. " + aime[6].lower() + " Good luck!", "ngram_overlap"),  # embedded, re-cased
        "t/42": (problem_text({"prompt": [{"role": "user", "content": aime[8]}]}), "ngram_overlap"),  # no suffix
        **{f"t/{43 + k}": (PARAPHRASES[i], PARAPHRASE_REASON[i]) for k, i in enumerate(PARAPHRASES)},
    }
    out = decontaminate_rows(_rows(clean + [t for t, _ in planted.values()]), OPTS)
    assert {r.uid: r.reason for r in out.removed} == {uid: reason for uid, (_, reason) in planted.items()}
    assert len(out.kept) == 40
    by_uid = {r.uid: r.detail for r in out.removed}
    assert by_uid["t/40"]["eval_uid"] == "test-math-aime24/1" and by_uid["t/40"]["benchmark"] == "aime24"
    assert by_uid["t/43"]["eval_uid"] == "test-math-aime24/0" and by_uid["t/43"]["cosine"] >= 0.45
    assert by_uid["t/43"]["numbers"] == 1.0
    assert by_uid["t/44"]["eval_uid"] == "test-math-aime24/2"
    assert len(by_uid["t/41"]["ngram"].split()) == 13
    assert out.stats["per_benchmark"] == {"aime24": 6} and out.stats["eval_problems"] == 60


def test_paraphrases_share_no_13_gram_where_claimed():
    index = EvalIndex(load_eval_problems(OPTS.against), OPTS)
    for i, reason in PARAPHRASE_REASON.items():
        assert bool(index.shared(tokens(PARAPHRASES[i]))) == (reason == "ngram_overlap")


def test_template_ngrams_shared_by_many_eval_problems_are_ignored(tmp_path):
    suffix = "Answer with a single integer written in base ten, with no units and no words at all."
    texts = ["Problem alpha beta gamma. " + suffix, "Problem delta epsilon zeta. " + suffix,
             "Problem eta theta iota kappa.", "Problem lambda mu nu xi."]
    evals = [{"data_source": "e", "prompt": [{"role": "user", "content": t}], "ability": "math",
              "reward_model": {"style": "rule", "ground_truth": "1"}, "extra_info": {"index": i}}
             for i, t in enumerate(texts)]
    path = write_rows(evals, tmp_path / "e.parquet")
    rows = _rows([f"Count the primes below 50. {suffix}", f"Problem alpha beta gamma. {suffix}"])
    # In 2 of 4 eval problems: template text by default (at least 2 problems); a copy is still a copy.
    (removed,) = decontaminate_rows(rows, DecontamOptions(against=(str(path),))).removed
    assert removed.uid == "t/1" and removed.detail["eval_uid"] == "e/0"
    # Counted as content (3 of 4), the shared suffix still does not make the primes problem a copy.
    out = decontaminate_rows(rows, DecontamOptions(against=(str(path),), common_frac=0.75))
    assert [r.uid for r in out.removed] == ["t/1"] and out.removed[0].reason == "ngram_overlap"


def test_short_eval_problem_matches_as_a_whole(tmp_path):
    evals = [{"data_source": "e", "prompt": [{"role": "user", "content": "Compute 17 times 23."}], "ability": "math",
              "reward_model": {"style": "rule", "ground_truth": "391"}, "extra_info": {"index": 0}}]
    path = write_rows(evals, tmp_path / "short.parquet")
    rows = _rows(["First, compute 17 times 23. Then add one.", "Compute 17 times 24 plus the number of days."])
    out = decontaminate_rows(rows, DecontamOptions(against=(str(path),), similarity=1.0))
    assert [(r.uid, r.reason) for r in out.removed] == [("t/0", "ngram_overlap")]


def test_options_need_eval_files():
    with pytest.raises(ValueError, match="against"):
        DecontamOptions()


def test_packaged_sets_are_named_in_against():
    aime = aime24_prompts()
    out = decontaminate_rows(_rows([aime[4], "Count the primes below 50."]), DecontamOptions(against=("aime24",)))
    (removed,) = out.removed
    assert removed.detail["benchmark"] == "aime24" and removed.detail["eval_uid"] == "test-math-aime24/4"
    assert out.stats["eval_problems"] == 30
