"""Launchers of the tile kernels for the tanh RNN (grid and mode from ``ops/plan.py``)."""

from __future__ import annotations

from torch import Tensor

from ..common import check_offsets, dot_precision
from ..fused import Recurrence, new_buffer, state_rows
from ..launch import run_steps
from ..plan import Plan, choose_plan
from ..recurrence import backward_kernel, forward_kernel


def rnn_forward(xw: Tensor, w_hh: Tensor, h0: Tensor, reverse: bool, plan: Plan | None = None) -> Tensor:
    """All states of one tanh RNN layer: (T + 1, B, H) float32 holding h0 and every h_t.

    ``xw`` (T, B, H) is x_t W_ihᵀ + b_ih + b_hh; ``w_hh`` (H, H); ``h0`` (B, H). Forward: row 0 is h0
    and row t + 1 is h_t; reverse: row T is h0 and row t is h_t.
    """
    num_steps, batch, hidden = xw.shape
    check_offsets(batch, hidden, hidden)
    plan = plan or choose_plan(batch, hidden, 1, w_hh.dtype, xw.device)
    states = new_buffer((num_steps + 1, batch, hidden), xw.device)
    states[state_rows(num_steps, reverse)[0]] = h0
    xw, w_hh = xw.contiguous(), w_hh.contiguous()

    def launch(kernel, counters, status, first, steps, timeout, options):
        kernel(xw, w_hh, states, states, states, counters, status, first, steps, num_steps, batch, hidden,
               timeout, GATES=1, REVERSE=int(reverse), SAVE_GATES=False, PRECISION=dot_precision(w_hh.dtype),
               **options)

    run_steps(forward_kernel, plan, batch, hidden, num_steps, xw.device, "RNN forward", launch)
    return states


def rnn_backward(
    dout: Tensor, dh_n: Tensor, states: Tensor, w_hh: Tensor, reverse: bool, plan: Plan | None = None
) -> Tensor:
    """δa_t for every step, (T, B, H) float32.

    ``dout`` (T, B, H) is ∂J/∂output, ``dh_n`` (B, H) is ∂J/∂h_n, ``states`` rnn_forward's result.
    """
    num_steps, batch, hidden = dout.shape
    plan = plan or choose_plan(batch, hidden, 1, w_hh.dtype, dout.device)
    grad_pre = new_buffer((num_steps, batch, hidden), dout.device)
    dout, dh_n, w_hh = dout.float().contiguous(), dh_n.float().contiguous(), w_hh.contiguous()

    def launch(kernel, counters, status, first, steps, timeout, options):
        kernel(dout, dh_n, dh_n, states, states, states, w_hh, grad_pre, counters, status, first, steps,
               num_steps, batch, hidden, timeout, GATES=1, REVERSE=int(reverse),
               PRECISION=dot_precision(w_hh.dtype), **options)

    run_steps(backward_kernel, plan, batch, hidden, num_steps, dout.device, "RNN backward", launch)
    return grad_pre


TRITON = Recurrence(forward=rnn_forward, backward=rnn_backward)
