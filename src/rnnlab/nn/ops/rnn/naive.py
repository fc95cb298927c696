"""Readable per-step reference of one tanh RNN layer in one direction."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from ..layer import LayerResult, LayerWeights, step_order, update_active


def rnn_tanh_layer(
    x: Tensor,
    batch_sizes: Sequence[int],
    state: tuple[Tensor, ...],
    weights: LayerWeights,
    reverse: bool = False,
) -> LayerResult:
    """Run one tanh RNN layer over packed steps ``x`` (N, I) split by ``batch_sizes``.

    ``state`` is ``(h0,)`` with h0 (B, H). Only the first ``batch_sizes[t]`` rows advance at step t,
    so padded steps of shorter sequences never change their state.
    """
    (h,) = state  # (B, H)
    # Input projection for all steps at once: W_ih x_t + b_ih.
    projected = F.linear(x, weights.w_ih, weights.b_ih).split(list(batch_sizes))  # T x (b_t, H)
    states: list[Tensor] = []  # in processing order
    for t in step_order(len(batch_sizes), reverse):
        size = batch_sizes[t]
        # Elman (1990), torch's formulation: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
        h_active = torch.tanh(projected[t] + F.linear(h[:size], weights.w_hh, weights.b_hh))
        h = update_active(h, h_active)  # (B, H)
        states.append(h)
    if reverse:
        states.reverse()
    return LayerResult(states=states, final=(h,))
