"""The prompt sampler: deterministic order, exact resume, offline-filter restriction."""

from __future__ import annotations

import pytest

from or1.trainer.prompt_sampler import PromptSampler


def test_epochs_cover_every_prompt_once():
    s = PromptSampler(10, seed=3)
    first, second = s.next(10), s.next(10)
    assert sorted(first) == sorted(second) == list(range(10))
    assert first != second  # a new permutation each epoch


def test_same_seed_same_order_and_resume_is_exact():
    a, b = PromptSampler(7, seed=1), PromptSampler(7, seed=1)
    assert a.next(5) == b.next(5)
    state = a.state_dict()
    expected = a.next(9)
    c = PromptSampler(7, seed=99)
    c.load_state_dict(state)
    assert c.next(9) == expected


def test_set_active_restricts_and_rejects_empty():
    s = PromptSampler(6, seed=0)
    s.set_active([1, 4])
    assert sorted(s.next(4)) == [1, 1, 4, 4]
    with pytest.raises(ValueError, match="kept no prompt"):
        s.set_active([])


def test_no_shuffle_is_file_order():
    assert PromptSampler(4, seed=0, shuffle=False).next(6) == [0, 1, 2, 3, 0, 1]
