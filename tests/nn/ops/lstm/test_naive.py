"""The per-step reference layer equals torch.nn.LSTMCell applied step by step."""

from __future__ import annotations

import pytest
import torch

from rnnlab.nn.ops.lstm.naive import lstm_layer


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_matches_the_torch_cell(reverse, bias, layer_matches_cell):
    layer_matches_cell(lstm_layer, torch.nn.LSTMCell, 2, reverse, bias)
