"""The sequential part of a tanh RNN layer as a loop of torch ops, with its backward written out.

torch has no fused CPU kernel for the tanh RNN (its CPU LSTM runs oneDNN's): ``_VF.rnn_tanh``
records an addmm and a tanh per step, and autograd's engine walks them back one node at a time. Here
the forward writes every h_t into one (T + 1, B, H) buffer without recording anything, and the
backward runs the recursion of backpropagation through time (Werbos 1990; ``ops/README.md``) in
place, two ops a step; :class:`~rnnlab.nn.ops.rnn.function.RNNTanhFunction` adds δW_hh and δh0 as
one matmul each. The arithmetic per step is torch's own (addmm, then tanh), so outputs match
``_VF.rnn_tanh``'s; gradients differ only in the order of summation. ``benchmarks/cpu_rnn.py``
times it against torch.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..fused import Recurrence, new_buffer, state_rows
from ..layer import step_order


def rnn_forward_cpu(xw: Tensor, w_hh: Tensor, h0: Tensor, reverse: bool) -> Tensor:
    """All states of one tanh RNN layer: (T + 1, B, H) in xw's dtype, rows as in ``state_rows``.

    ``xw`` (T, B, H) is x_t W_ihᵀ + b_ih + b_hh; ``w_hh`` (H, H); ``h0`` (B, H).
    """
    num_steps, batch, hidden = xw.shape
    states = new_buffer((num_steps + 1, batch, hidden), xw.device, xw.dtype)
    states[state_rows(num_steps, reverse)[0]] = h0
    w_t = w_hh.t()
    for t in step_order(num_steps, reverse):
        # Rows of h_t and of the state before it in processing order (state_rows' layout).
        row, previous = (t, t + 1) if reverse else (t + 1, t)
        # Elman (1990), torch's formulation: h_t = tanh(x_t W_ihᵀ + b_ih + b_hh + h_{t-1} W_hhᵀ)
        torch.addmm(xw[t], states[previous], w_t, out=states[row])
        states[row].tanh_()
    return states


def rnn_backward_cpu(dout: Tensor, dh_n: Tensor, states: Tensor, w_hh: Tensor, reverse: bool) -> Tensor:
    """δa_t for every step, (T, B, H) in the states' dtype.

    ``dout`` (T, B, H) is ∂J/∂output, ``dh_n`` (B, H) is ∂J/∂h_n, ``states`` rnn_forward_cpu's result.
    """
    num_steps = dout.shape[0]
    first = state_rows(num_steps, reverse)[1]
    # tanh′(a_t) = 1 − h_t², for h_1..h_T in time order: (T, B, H)
    slope = 1 - states[first : first + num_steps].square()
    # δa_t = (∂J/∂output_t + δh_t from step t + 1) ⊙ (1 − h_t²): the first term for all steps at once,
    grad_pre = dout.to(states.dtype) * slope
    carry = dh_n.to(states.dtype)
    order = list(step_order(num_steps, reverse))
    for index in range(num_steps - 1, -1, -1):
        t = order[index]
        # the second as the recursion reaches step t,
        grad_pre[t].addcmul_(carry, slope[t])
        if index:
            # δh_{t-1} = δa_t W_hh (h_{t-1} being the state before t in processing order).
            carry = grad_pre[t] @ w_hh  # (B, H)
    return grad_pre


CPU = Recurrence(forward=rnn_forward_cpu, backward=rnn_backward_cpu)
