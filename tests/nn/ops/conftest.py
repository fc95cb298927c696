"""Fixtures of the op tests: the check both per-step reference layers share, that a layer equals its
torch cell applied step by step on a packed batch (batch sizes shrinking), forwards and in reverse."""

from __future__ import annotations

import pytest
import torch

from rnnlab.nn.ops.layer import LayerWeights

BATCH_SIZES = [4, 4, 3, 1]


def cell_reference(cell, x_steps, state, reverse, num_states):
    """Apply the cell to the active rows of each step; inactive rows keep their state."""
    state = [s.clone() for s in state]
    states = {}
    order = range(len(x_steps) - 1, -1, -1) if reverse else range(len(x_steps))
    for t in order:
        size = x_steps[t].shape[0]
        active = tuple(s[:size] for s in state)
        new = cell(x_steps[t], active[0] if num_states == 1 else active)
        new = (new,) if num_states == 1 else new
        state = [torch.cat([n, s[size:]]) for n, s in zip(new, state)]
        states[t] = state[0]
    return [states[t] for t in range(len(x_steps))], tuple(state)


def assert_layer_matches_cell(layer, cell_class, num_states, reverse, bias):
    torch.manual_seed(4)
    cell = cell_class(3, 5, bias=bias, dtype=torch.float64)
    x = torch.randn(sum(BATCH_SIZES), 3, dtype=torch.float64)
    state = tuple(torch.randn(4, 5, dtype=torch.float64) for _ in range(num_states))
    weights = LayerWeights(cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    result = layer(x, BATCH_SIZES, state, weights, reverse=reverse)
    expected_states, expected_final = cell_reference(cell, list(x.split(BATCH_SIZES)), state, reverse, num_states)
    assert len(result.states) == len(BATCH_SIZES)
    for actual, expected in zip(result.states, expected_states):
        torch.testing.assert_close(actual, expected, rtol=0, atol=1e-12)
    for actual, expected in zip(result.final, expected_final):
        torch.testing.assert_close(actual, expected, rtol=0, atol=1e-12)


@pytest.fixture
def layer_matches_cell():
    """``check(layer, cell_class, num_states, reverse, bias)``, asserting the layer equals the cell."""
    return assert_layer_matches_cell
