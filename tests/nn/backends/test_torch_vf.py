"""The torch backend runs torch's own kernels on the call, dense and packed."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

import rnnlab.nn as rnn_nn
from rnnlab.nn.backends.torch_vf import TorchBackend
from rnnlab.nn.dispatch import RecurrentCall


def make_call(module, x, batch_sizes, states):
    return RecurrentCall(
        x=x, batch_sizes=batch_sizes, hx=states, weights=tuple(module._flat_weights),
        has_biases=module.bias, num_layers=module.num_layers, bidirectional=module.bidirectional,
        dropout=module.dropout, training=module.training,
    )


@pytest.mark.parametrize("packed", [False, True])
def test_direct_calls_equal_torch_nn(packed):
    lstm = torch.nn.LSTM(3, 4, 2, bidirectional=True, dtype=torch.float64)
    rnn = torch.nn.RNN(3, 4, 2, bidirectional=True, dtype=torch.float64)
    x = torch.randn(5, 3, 3, dtype=torch.float64)
    h0, c0 = torch.randn(2, 4, 3, 4, dtype=torch.float64)
    data, batch_sizes = x, None
    if packed:
        sequence = pack_padded_sequence(x, torch.tensor([5, 4, 2]))
        data, batch_sizes = sequence.data, sequence.batch_sizes
        x = sequence
    backend = TorchBackend()
    result = backend.lstm(make_call(lstm, data, batch_sizes, (h0, c0)))
    output, (h_n, c_n) = lstm(x, (h0, c0))
    assert torch.equal(result.output, output.data if packed else output)
    assert torch.equal(result.hidden[0], h_n) and torch.equal(result.hidden[1], c_n)
    result = backend.rnn(make_call(rnn, data, batch_sizes, (h0,)))
    output, h_n = rnn(x, h0)
    assert torch.equal(result.output, output.data if packed else output)
    assert torch.equal(result.hidden[0], h_n)
    assert result.steps is None


def test_dropout_in_training_equals_torch_nn_with_the_same_seed():
    ours = rnn_nn.LSTM(3, 4, 3, dropout=0.5, backend="torch")
    reference = torch.nn.LSTM(3, 4, 3, dropout=0.5)
    reference.load_state_dict(ours.state_dict())
    x = torch.randn(5, 2, 3)
    torch.manual_seed(5)
    actual = ours(x)[0]
    torch.manual_seed(5)
    assert torch.equal(actual, reference(x)[0])
