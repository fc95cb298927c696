"""Autograd wiring of the LSTM kernels, and the public single-layer entry ``lstm_triton``."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..fused import input_projection, recurrent_grads, state_rows
from ..layer import LayerWeights
from .launch import LSTMStates, lstm_backward, lstm_forward


class LSTMFunction(torch.autograd.Function):
    """One LSTM layer and direction: (xw, W_hh, h0, c0) -> (output, h_n, c_n)."""

    @staticmethod
    def forward(
        ctx: Any, xw: Tensor, w_hh: Tensor, h0: Tensor, c0: Tensor, reverse: bool, save_gates: bool
    ) -> tuple[Tensor, Tensor, Tensor]:
        num_steps = xw.shape[0]
        states = lstm_forward(xw, w_hh, h0, c0, reverse, save_gates)
        if states.gates is not None:
            ctx.save_for_backward(states.hidden, states.cell, states.gates, w_hh)
        ctx.reverse = reverse
        ctx.dtypes = (xw.dtype, h0.dtype, c0.dtype)
        initial, first = state_rows(num_steps, reverse)
        output = states.hidden[first : first + num_steps]  # (T, B, H) in time order
        final = num_steps - initial
        # Copies, so that carrying (h_n, c_n) to the next batch does not keep the buffers alive.
        h_n = states.hidden[final].to(h0.dtype, copy=True)
        c_n = states.cell[final].to(c0.dtype, copy=True)
        return output.to(xw.dtype), h_n, c_n

    @staticmethod
    def backward(
        ctx: Any, grad_output: Tensor, grad_h_n: Tensor, grad_c_n: Tensor
    ) -> tuple[Tensor | None, ...]:
        hidden, cell, gates, w_hh = ctx.saved_tensors
        states = LSTMStates(hidden=hidden, cell=cell, gates=gates)
        grad_pre, grad_c0 = lstm_backward(grad_output, grad_h_n, grad_c_n, states, w_hh, ctx.reverse)
        grad_w, grad_h0 = recurrent_grads(grad_pre, hidden, w_hh, ctx.reverse, ctx.needs_input_grad[1:3])
        xw_dtype, h0_dtype, c0_dtype = ctx.dtypes
        grad_h0 = None if grad_h0 is None else grad_h0.to(h0_dtype)
        grad_c0 = grad_c0.to(c0_dtype) if ctx.needs_input_grad[3] else None
        return grad_pre.to(xw_dtype), grad_w, grad_h0, grad_c0, None, None


def lstm_triton(
    x: Tensor, state: tuple[Tensor, ...], weights: LayerWeights, reverse: bool = False
) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """One LSTM layer over dense ``x`` (T, B, I) from ``state`` = (h0, c0), each (B, H).

    Returns the output (T, B, H) in time order (also for ``reverse``) and ``(h_n, c_n)``.
    """
    xw = input_projection(x, weights)  # (T, B, 4H)
    inputs = (xw, weights.w_hh, *state[:2])
    # The gates (T, B, 4H) are kept only when a backward pass can follow.
    save_gates = torch.is_grad_enabled() and any(tensor.requires_grad for tensor in inputs)
    output, h_n, c_n = LSTMFunction.apply(*inputs, reverse, save_gates)
    return output, (h_n, c_n)
