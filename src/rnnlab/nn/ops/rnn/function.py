"""Autograd wiring of the fused tanh RNN layer, and its public single-layer entries.

One :class:`RNNTanhFunction` serves both fused implementations of the sequential part: the Triton
tile kernels (``launch.py``, entry ``rnn_tanh_triton``) and the CPU loop (``cpu.py``, entry
``rnn_tanh_cpu``), each a :class:`~rnnlab.nn.ops.fused.Recurrence`; the matmuls around them are
``ops/fused.py``'s.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..fused import Recurrence, input_projection, recurrent_grads, state_rows
from ..layer import LayerWeights
from .cpu import CPU


class RNNTanhFunction(torch.autograd.Function):
    """One tanh RNN layer and direction: (xw, W_hh, h0) -> (output, h_n), on a given Recurrence."""

    @staticmethod
    def forward(
        ctx: Any, xw: Tensor, w_hh: Tensor, h0: Tensor, reverse: bool, recurrence: Recurrence
    ) -> tuple[Tensor, Tensor]:
        num_steps = xw.shape[0]
        states = recurrence.forward(xw, w_hh, h0, reverse)  # (T + 1, B, H)
        ctx.save_for_backward(states, w_hh)
        ctx.reverse = reverse
        ctx.recurrence = recurrence
        ctx.dtypes = (xw.dtype, h0.dtype)
        initial, first = state_rows(num_steps, reverse)
        output = states[first : first + num_steps]  # (T, B, H) in time order
        # A copy, so that carrying h_n to the next batch does not keep the buffer alive.
        final = states[num_steps - initial].to(h0.dtype, copy=True)  # (B, H)
        return output.to(xw.dtype), final

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor, grad_final: Tensor) -> tuple[Tensor | None, ...]:
        states, w_hh = ctx.saved_tensors
        grad_pre = ctx.recurrence.backward(grad_output, grad_final, states, w_hh, ctx.reverse)  # (T, B, H)
        grad_w, grad_h0 = recurrent_grads(grad_pre, states, w_hh, ctx.reverse, ctx.needs_input_grad[1:3])
        xw_dtype, h0_dtype = ctx.dtypes
        grad_h0 = None if grad_h0 is None else grad_h0.to(h0_dtype)
        return grad_pre.to(xw_dtype), grad_w, grad_h0, None, None


def rnn_tanh_fused(
    x: Tensor, state: tuple[Tensor, ...], weights: LayerWeights, reverse: bool, recurrence: Recurrence
) -> tuple[Tensor, tuple[Tensor]]:
    """One tanh RNN layer over dense ``x`` (T, B, I) from ``state`` = (h0,) with h0 (B, H).

    Returns the output (T, B, H) in time order (also for ``reverse``) and ``(h_n,)``.
    """
    xw = input_projection(x, weights)  # (T, B, H)
    output, final = RNNTanhFunction.apply(xw, weights.w_hh, state[0], reverse, recurrence)
    return output, (final,)


def rnn_tanh_triton(
    x: Tensor, state: tuple[Tensor, ...], weights: LayerWeights, reverse: bool = False
) -> tuple[Tensor, tuple[Tensor]]:
    """:func:`rnn_tanh_fused` on the Triton tile kernels (CUDA, or the CPU interpreter)."""
    # Imported here, so that importing this module (and the CPU entry) never imports triton.
    from .launch import TRITON

    return rnn_tanh_fused(x, state, weights, reverse, TRITON)


def rnn_tanh_cpu(
    x: Tensor, state: tuple[Tensor, ...], weights: LayerWeights, reverse: bool = False
) -> tuple[Tensor, tuple[Tensor]]:
    """:func:`rnn_tanh_fused` on the loop of torch ops in ``cpu.py`` (any device; the CPU's default)."""
    return rnn_tanh_fused(x, state, weights, reverse, CPU)
