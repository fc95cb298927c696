"""Helpers shared by the single-layer operators."""

from __future__ import annotations

import torch

from rnnlab.nn.ops.layer import layer_output, step_order, update_active


def test_step_order():
    assert list(step_order(3, reverse=False)) == [0, 1, 2]
    assert list(step_order(3, reverse=True)) == [2, 1, 0]


def test_update_active_keeps_inactive_rows():
    old = torch.arange(6.0).reshape(3, 2)
    new = torch.full((2, 2), -1.0)
    assert torch.equal(update_active(old, new), torch.tensor([[-1.0, -1.0], [-1.0, -1.0], [4.0, 5.0]]))
    full = torch.zeros(3, 2)
    assert update_active(old, full) is full


def test_layer_output_packs_active_rows_in_time_order():
    states = [torch.tensor([[1.0], [2.0]]), torch.tensor([[3.0], [4.0]])]
    assert torch.equal(layer_output(states, [2, 1]), torch.tensor([[1.0], [2.0], [3.0]]))
