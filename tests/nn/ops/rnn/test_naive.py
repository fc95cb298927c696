"""The per-step reference layer equals torch.nn.RNNCell applied step by step."""

from __future__ import annotations

import pytest
import torch

from rnnlab.nn.ops.rnn.naive import rnn_tanh_layer


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_matches_the_torch_cell(reverse, bias, layer_matches_cell):
    layer_matches_cell(rnn_tanh_layer, torch.nn.RNNCell, 1, reverse, bias)
