"""Autograd wiring of the tanh RNN kernels, and the public single-layer entry ``rnn_tanh_triton``."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from ..layer import LayerWeights
from .launch import rnn_backward, rnn_forward, state_rows


def input_projection(x: Tensor, weights: LayerWeights) -> Tensor:
    """x_t W_ihᵀ + b_ih + b_hh for all steps as one matmul: (T, B, I) -> (T, B, G*H)."""
    if x.dim() != 3 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"expected input of shape (T, B, I) with T, B >= 1, got {tuple(x.shape)}")
    biases = [bias for bias in (weights.b_ih, weights.b_hh) if bias is not None]
    bias = sum(biases[1:], biases[0]) if biases else None
    return F.linear(x, weights.w_ih, bias)


def recurrent_grads(
    grad_pre: Tensor, states: Tensor, w_hh: Tensor, reverse: bool, needs: tuple[bool, bool]
) -> tuple[Tensor | None, Tensor | None]:
    """δW_hh and δh0 from the stored pre-activation gradients, as large matmuls outside the kernels, in
    the weights' dtype.

    ``grad_pre`` (T, B, G*H) holds δa_t; ``states`` (T + 1, B, H) every h_t and h0. ``needs`` says
    which of the two are wanted.
    """
    num_steps, batch, gates_width = grad_pre.shape
    # Operands in the weights' dtype (bfloat16 runs on tensor cores), accumulated in float32 by torch.
    operand = grad_pre.to(w_hh.dtype)
    grad_w = grad_h0 = None
    if needs[0]:
        # δW_hh = Σ_t δa_tᵀ h_{t-1}: rows t + reverse hold h_{t-1} in processing order.
        previous = states[int(reverse) : int(reverse) + num_steps].reshape(num_steps * batch, -1)
        grad_w = operand.reshape(num_steps * batch, gates_width).t() @ previous.to(w_hh.dtype)
    if needs[1]:
        # δh0 = δa_first W_hh, first being the first step in processing order.
        first = num_steps - 1 if reverse else 0
        grad_h0 = operand[first] @ w_hh  # (B, H)
    return grad_w, grad_h0


class RNNTanhFunction(torch.autograd.Function):
    """One tanh RNN layer and direction: (xw, W_hh, h0) -> (output, h_n)."""

    @staticmethod
    def forward(ctx: Any, xw: Tensor, w_hh: Tensor, h0: Tensor, reverse: bool) -> tuple[Tensor, Tensor]:
        num_steps = xw.shape[0]
        states = rnn_forward(xw, w_hh, h0, reverse)  # (T + 1, B, H) float32
        ctx.save_for_backward(states, w_hh)
        ctx.reverse = reverse
        ctx.dtypes = (xw.dtype, h0.dtype)
        initial, first = state_rows(num_steps, reverse)
        output = states[first : first + num_steps]  # (T, B, H) in time order
        # A copy, so that carrying h_n to the next batch does not keep the buffer alive.
        final = states[num_steps - initial].to(h0.dtype, copy=True)  # (B, H)
        return output.to(xw.dtype), final

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor, grad_final: Tensor) -> tuple[Tensor | None, ...]:
        states, w_hh = ctx.saved_tensors
        grad_pre = rnn_backward(grad_output, grad_final, states, w_hh, ctx.reverse)  # (T, B, H)
        grad_w, grad_h0 = recurrent_grads(grad_pre, states, w_hh, ctx.reverse, ctx.needs_input_grad[1:3])
        xw_dtype, h0_dtype = ctx.dtypes
        grad_h0 = None if grad_h0 is None else grad_h0.to(h0_dtype)
        return grad_pre.to(xw_dtype), grad_w, grad_h0, None


def rnn_tanh_triton(
    x: Tensor, state: tuple[Tensor, ...], weights: LayerWeights, reverse: bool = False
) -> tuple[Tensor, tuple[Tensor]]:
    """One tanh RNN layer over dense ``x`` (T, B, I) from ``state`` = (h0,) with h0 (B, H).

    Returns the output (T, B, H) in time order (also for ``reverse``) and ``(h_n,)``.
    """
    xw = input_projection(x, weights)  # (T, B, H)
    output, final = RNNTanhFunction.apply(xw, weights.w_hh, state[0], reverse)
    return output, (final,)
