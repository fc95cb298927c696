"""rnnlab.nn.LSTM equals torch.nn.LSTM in values and gradients, for every backend."""

from __future__ import annotations

import pytest
import torch

import rnnlab.nn as rnn_nn

BACKENDS = ("loop", "torch", "cpu")


@pytest.mark.parametrize("backend", BACKENDS)
def test_matches_torch_in_float64(torch_comparison, case, backend):
    torch_comparison("lstm", case, backend, torch.float64, 1e-10)


@pytest.mark.parametrize("backend", BACKENDS)
def test_matches_torch_in_float32(torch_comparison, case32, backend):
    torch_comparison("lstm", case32, backend, torch.float32, 1e-5)


def test_positional_arguments_follow_torch():
    ours = rnn_nn.LSTM(3, 4, 2, False, True, 0.0, True)
    reference = torch.nn.LSTM(3, 4, 2, False, True, 0.0, True)
    assert (ours.num_layers, ours.bias, ours.batch_first, ours.bidirectional) == (2, False, True, True)
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in reference.named_parameters()]


def test_gate_order_is_torchs_i_f_g_o():
    # With only the forget-gate bias large and everything else zero, c_t = sigmoid(big) * c_{t-1}
    # keeps the initial cell, and h stays o * tanh(c) with o = sigmoid(0) = 1/2.
    module = rnn_nn.LSTM(2, 3, backend="loop", dtype=torch.float64)
    with torch.no_grad():
        for param in module.parameters():
            param.zero_()
        module.bias_ih_l0[3:6] = 50.0  # rows H..2H are the forget gate
    c0 = torch.full((1, 1, 3), 0.7, dtype=torch.float64)
    _, (h_n, c_n) = module(torch.randn(4, 1, 2, dtype=torch.float64), (torch.zeros_like(c0), c0))
    torch.testing.assert_close(c_n, c0)
    torch.testing.assert_close(h_n, 0.5 * torch.tanh(c0))


def test_is_a_torch_lstm_and_reports_its_backend():
    module = rnn_nn.LSTM(3, 4, backend="loop")
    assert isinstance(module, torch.nn.LSTM)
    assert "backend='loop'" in repr(module)
