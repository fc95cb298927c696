"""What every fused single-layer implementation shares, in plain torch (no Triton import).

A fused layer computes the input projection of all steps as one matmul, runs the sequential part of
the recurrence in one piece (the Triton tile kernels, or the CPU loop of ``rnn/cpu.py``) that keeps
every state in one (T + 1, B, H) buffer, and after its backward forms δW_hh and δh0 from the stored
δa as large matmuls (backpropagation through time, Werbos 1990; the formulas are in ``README.md``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from .layer import LayerWeights

# With this environment variable set to 1, every buffer a fused implementation writes starts as NaN,
# so an element it fails to write shows up in the results; the tests set it.
POISON_ENV = "RNNLAB_POISON_BUFFERS"


@dataclass(frozen=True)
class Recurrence:
    """One implementation of the sequential part of a tanh RNN layer and direction."""

    # (xw (T, B, H), W_hh (H, H), h0 (B, H), reverse) -> states (T + 1, B, H), rows as in state_rows
    forward: Callable[[Tensor, Tensor, Tensor, bool], Tensor]
    # (δoutput (T, B, H), δh_n (B, H), states, W_hh, reverse) -> δa_t for every step (T, B, H)
    backward: Callable[[Tensor, Tensor, Tensor, Tensor, bool], Tensor]


def new_buffer(shape: tuple[int, ...], device: torch.device, dtype: torch.dtype = torch.float32) -> Tensor:
    """A buffer a fused implementation writes in full; NaN-filled when RNNLAB_POISON_BUFFERS=1."""
    if os.environ.get(POISON_ENV) == "1":
        return torch.full(shape, float("nan"), dtype=dtype, device=device)
    return torch.empty(shape, dtype=dtype, device=device)


def state_rows(num_steps: int, reverse: bool) -> tuple[int, int]:
    """(row of the initial state, first row of h_1..h_T in time order) in a (T + 1, B, H) buffer.

    The forward direction writes h_t to row t + 1 (row 0 holds h0); the reverse direction writes h_t
    to row t (row T holds h0), so both leave h_1..h_T in time order and h_{t-1} of every step, in
    processing order, in one contiguous slice.
    """
    return (num_steps, 0) if reverse else (0, 1)


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
    """δW_hh and δh0 from the stored pre-activation gradients, as large matmuls, in the weights' dtype.

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
