"""The public registry functions of rnnlab.nn and the built-in backends."""

from __future__ import annotations

import importlib.util

import pytest
import torch

import rnnlab.nn as rnn_nn
from rnnlab.nn.backends import REGISTRY, LoopBackend


def test_builtins_are_registered_and_cpu_is_the_cpu_default():
    assert rnn_nn.available_backends()[:4] == ("loop", "torch", "triton", "cpu")
    assert rnn_nn.default_backend() == "cpu"
    assert rnn_nn.default_backend("cpu") == "cpu"
    # On CUDA the Triton kernels are the default wherever Triton is installed.
    expected = "triton" if importlib.util.find_spec("triton") else "torch"
    assert rnn_nn.default_backend(torch.device("cuda", 0)) == expected


def test_a_registered_backend_is_selectable_without_touching_the_modules():
    class Doubling(LoopBackend):
        def rnn(self, call):
            result = super().rnn(call)
            return rnn_nn.RecurrentResult(result.output * 2, result.hidden)

    rnn_nn.register_backend("doubling", Doubling())
    try:
        assert "doubling" in rnn_nn.available_backends()
        module = rnn_nn.RNN(2, 3, backend="loop")
        x = torch.randn(4, 1, 2)
        plain = module(x)[0]
        module.backend = "doubling"
        torch.testing.assert_close(module(x)[0], 2 * plain)
        with pytest.raises(ValueError, match="already registered"):
            rnn_nn.register_backend("doubling", Doubling())
    finally:
        REGISTRY.unregister("doubling")
    assert "doubling" not in rnn_nn.available_backends()
