"""The tanh RNN's elementwise step inside the Triton tile kernels (``ops/recurrence.py``)."""

from __future__ import annotations

import triton
import triton.language as tl  # noqa: F401  (the interpreter needs it visible to every jit function)

from ..common import tanh


@triton.jit
def rnn_cell_forward(a):
    """h_t from the pre-activation a_t, (BLOCK_B, UNITS) float32."""
    # Elman (1990): h_t = tanh(a_t), a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    return tanh(a)


@triton.jit
def rnn_cell_backward(dh, h):
    """δa_t from δh_t and h_t."""
    # δa_t = δh_t ⊙ (1 − h_t²)
    return dh * (1.0 - h * h)
