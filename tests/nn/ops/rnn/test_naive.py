"""The per-step reference layer equals torch.nn.RNNCell applied step by step."""

from __future__ import annotations

import pytest
import torch

from rnnlab.nn.ops.layer import LayerWeights
from rnnlab.nn.ops.rnn.naive import rnn_tanh_layer

NUM_STATES = 1


def cell_reference(cell, x_steps, state, reverse):
    """Apply the cell to the active rows of each step; inactive rows keep their state."""
    state = [s.clone() for s in state]
    states = {}
    order = range(len(x_steps) - 1, -1, -1) if reverse else range(len(x_steps))
    for t in order:
        size = x_steps[t].shape[0]
        active = tuple(s[:size] for s in state)
        new = cell(x_steps[t], active[0] if NUM_STATES == 1 else active)
        new = (new,) if NUM_STATES == 1 else new
        state = [torch.cat([n, s[size:]]) for n, s in zip(new, state)]
        states[t] = state[0]
    return [states[t] for t in range(len(x_steps))], tuple(state)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_matches_the_torch_cell(reverse, bias):
    torch.manual_seed(4)
    cell = torch.nn.RNNCell(3, 5, bias=bias, dtype=torch.float64)
    batch_sizes = [4, 4, 3, 1]
    x = torch.randn(sum(batch_sizes), 3, dtype=torch.float64)
    state = tuple(torch.randn(4, 5, dtype=torch.float64) for _ in range(NUM_STATES))
    weights = LayerWeights(cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    result = rnn_tanh_layer(x, batch_sizes, state, weights, reverse=reverse)
    expected_states, expected_final = cell_reference(cell, list(x.split(batch_sizes)), state, reverse)
    assert len(result.states) == len(batch_sizes)
    for actual, expected in zip(result.states, expected_states):
        torch.testing.assert_close(actual, expected, rtol=0, atol=1e-12)
    for actual, expected in zip(result.final, expected_final):
        torch.testing.assert_close(actual, expected, rtol=0, atol=1e-12)
