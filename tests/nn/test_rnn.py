"""rnnlab.nn.RNN equals torch.nn.RNN (tanh) in values and gradients, for every backend."""

from __future__ import annotations

import pytest
import torch

import rnnlab.nn as rnn_nn

BACKENDS = ("loop", "torch", "cpu")


@pytest.mark.parametrize("backend", BACKENDS)
def test_matches_torch_in_float64(torch_comparison, case, backend):
    torch_comparison("rnn", case, backend, torch.float64, 1e-10)


@pytest.mark.parametrize("backend", BACKENDS)
def test_matches_torch_in_float32(torch_comparison, case32, backend):
    torch_comparison("rnn", case32, backend, torch.float32, 1e-5)


def test_rejects_nonlinearities_other_than_tanh():
    with pytest.raises(ValueError, match="only nonlinearity='tanh'.*'relu'"):
        rnn_nn.RNN(3, 4, nonlinearity="relu")


def test_positional_arguments_follow_torch():
    ours = rnn_nn.RNN(3, 4, 2, "tanh", False, True, 0.0, True)
    reference = torch.nn.RNN(3, 4, 2, "tanh", False, True, 0.0, True)
    assert (ours.num_layers, ours.bias, ours.batch_first, ours.bidirectional) == (2, False, True, True)
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in reference.named_parameters()]


def test_is_a_torch_rnn_and_reports_its_backend():
    module = rnn_nn.RNN(3, 4, backend="loop")
    assert isinstance(module, torch.nn.RNN)
    assert "backend='loop'" in repr(module)
    assert module.nonlinearity == "tanh"
