"""Readable per-step reference of one LSTM layer in one direction."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from ..layer import LayerResult, LayerWeights, step_order, update_active


def lstm_layer(
    x: Tensor,
    batch_sizes: Sequence[int],
    state: tuple[Tensor, ...],
    weights: LayerWeights,
    reverse: bool = False,
) -> LayerResult:
    """Run one LSTM layer over packed steps ``x`` (N, I) split by ``batch_sizes``.

    ``state`` is ``(h0, c0)``, each (B, H). Gates are stacked in torch's order i, f, g, o.
    Only the first ``batch_sizes[t]`` rows advance at step t.
    """
    h, c = state  # (B, H) each
    # Input projection for all steps at once: W_i* x_t + b_i* for the four gates.
    projected = F.linear(x, weights.w_ih, weights.b_ih).split(list(batch_sizes))  # T x (b_t, 4H)
    states: list[Tensor] = []  # in processing order
    for t in step_order(len(batch_sizes), reverse):
        size = batch_sizes[t]
        gates = projected[t] + F.linear(h[:size], weights.w_hh, weights.b_hh)  # (b_t, 4H)
        gate_i, gate_f, gate_g, gate_o = gates.chunk(4, dim=1)  # (b_t, H) each
        # Hochreiter & Schmidhuber (1997); forget gate from Gers et al. (2000); torch's formulation:
        # i = σ(W_ii x + b_ii + W_hi h + b_hi)     input gate
        # f = σ(W_if x + b_if + W_hf h + b_hf)     forget gate
        # g = tanh(W_ig x + b_ig + W_hg h + b_hg)  candidate cell
        # o = σ(W_io x + b_io + W_ho h + b_ho)     output gate
        i = torch.sigmoid(gate_i)
        f = torch.sigmoid(gate_f)
        g = torch.tanh(gate_g)
        o = torch.sigmoid(gate_o)
        # c_t = f ⊙ c_{t-1} + i ⊙ g
        c_active = f * c[:size] + i * g
        # h_t = o ⊙ tanh(c_t)
        h_active = o * torch.tanh(c_active)
        c = update_active(c, c_active)  # (B, H)
        h = update_active(h, h_active)  # (B, H)
        states.append(h)
    if reverse:
        states.reverse()
    return LayerResult(states=states, final=(h, c))
