"""Tests for or1.algo.truncation: the optional truncation mask."""

import torch

from or1.algo.truncation import mask_truncated


def test_truncated_rows_are_fully_masked():
    # responses 0 and 2 hit the length limit -> all their tokens leave the loss; response 1 is unchanged
    mask = torch.tensor([[True, True, True], [True, True, False], [True, True, True]])
    truncated = torch.tensor([True, False, True])
    out = mask_truncated(mask, truncated)
    assert out.dtype == torch.bool
    assert out.tolist() == [[False, False, False], [True, True, False], [False, False, False]]


def test_nothing_truncated_is_identity_and_input_untouched():
    mask = torch.tensor([[True, False], [True, True]])
    out = mask_truncated(mask, torch.tensor([False, False]))
    assert torch.equal(out, mask)
    mask_truncated(mask, torch.tensor([True, True]))
    assert mask.tolist() == [[True, False], [True, True]]


def test_padding_never_becomes_counted():
    # a non-truncated row keeps its padding masked
    out = mask_truncated(torch.tensor([[False, False]]), torch.tensor([False]))
    assert not out.any()
