"""The cpu backend: torch's LSTM, the tanh RNN as one autograd node per layer and direction when a
backward can follow, and torch's own RNN loop otherwise."""

from __future__ import annotations

from collections import Counter

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

import rnnlab.nn as rnn_nn


def graph_nodes(tensor: torch.Tensor) -> Counter:
    """How many autograd nodes of each kind are behind ``tensor``."""
    seen, names, stack = set(), Counter(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        names[type(node).__name__] += 1
        stack.extend(next_node for next_node, _ in node.next_functions)
    return names


def test_with_gradients_the_rnn_records_one_node_per_layer_and_direction():
    module = rnn_nn.RNN(3, 4, 2, bidirectional=True, backend="cpu")
    output, _ = module(torch.randn(6, 2, 3))
    nodes = graph_nodes(output)
    assert nodes["RNNTanhFunctionBackward"] == 4
    # No per-step nodes: one input projection (an addmm) per layer and direction, and no tanh.
    assert nodes["AddmmBackward0"] == 4 and nodes["TanhBackward0"] == 0, nodes


def test_without_gradients_and_for_packed_input_it_runs_torch_and_equals_it_exactly():
    torch.manual_seed(0)
    module = rnn_nn.RNN(3, 4, 2, bidirectional=True, backend="cpu")
    reference = torch.nn.RNN(3, 4, 2, bidirectional=True)
    reference.load_state_dict(module.state_dict())
    x = torch.randn(5, 3, 3)
    with torch.no_grad():
        assert torch.equal(module(x)[0], reference(x)[0])
    packed = pack_padded_sequence(x, torch.tensor([5, 4, 2]))
    assert torch.equal(module(packed)[0].data, reference(packed)[0].data)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_the_lstm_is_torch_bit_for_bit(bidirectional):
    module = rnn_nn.LSTM(3, 4, 2, bidirectional=bidirectional, backend="cpu")
    x = torch.randn(5, 2, 3, requires_grad=True)
    ours = module(x)[0]
    module.backend = "torch"
    theirs = module(x)[0]
    assert torch.equal(ours, theirs)
    grads = [torch.autograd.grad(out.sum(), [x, *module.parameters()]) for out in (ours, theirs)]
    assert all(torch.equal(a, b) for a, b in zip(*grads))


def test_dropout_between_layers_uses_the_same_masks_as_the_loop_backend():
    module = rnn_nn.RNN(3, 4, 3, dropout=0.5, backend="cpu", dtype=torch.float64)
    x = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True)
    torch.manual_seed(5)
    ours = module(x)[0]
    module.backend = "loop"
    torch.manual_seed(5)
    theirs = module(x)[0]
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-12)
    for a, b in zip(torch.autograd.grad(ours.sum(), [x, *module.parameters()]),
                    torch.autograd.grad(theirs.sum(), [x, *module.parameters()])):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
