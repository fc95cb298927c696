"""Launchers of the tile kernels for the LSTM (grid and mode from ``ops/plan.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..common import check_offsets, dot_precision
from ..fused import new_buffer, state_rows
from ..launch import run_steps
from ..plan import Plan, choose_plan
from ..recurrence import backward_kernel, forward_kernel


@dataclass(frozen=True)
class LSTMStates:
    """What the forward kernel leaves for the output and for the backward kernel."""

    hidden: Tensor  # (T + 1, B, H) float32: h0 and every h_t, rows as in state_rows
    cell: Tensor  # (T + 1, B, H) float32: c0 and every c_t
    gates: Tensor | None  # (T, B, 4H) float32: i, f, g, o per step; None when not saved


def lstm_forward(
    xw: Tensor,
    w_hh: Tensor,
    h0: Tensor,
    c0: Tensor,
    reverse: bool,
    save_gates: bool,
    plan: Plan | None = None,
) -> LSTMStates:
    """All states of one LSTM layer and direction.

    ``xw`` (T, B, 4H) is x_t W_ihᵀ + b_ih + b_hh; ``w_hh`` (4H, H); ``h0``, ``c0`` (B, H). The gates
    are kept for the backward pass when ``save_gates``.
    """
    num_steps, batch, width = xw.shape
    hidden = width // 4
    check_offsets(batch, width, hidden)
    plan = plan or choose_plan(batch, hidden, 4, w_hh.dtype, xw.device)
    initial = state_rows(num_steps, reverse)[0]
    states = LSTMStates(
        hidden=new_buffer((num_steps + 1, batch, hidden), xw.device),
        cell=new_buffer((num_steps + 1, batch, hidden), xw.device),
        gates=new_buffer((num_steps, batch, width), xw.device) if save_gates else None,
    )
    states.hidden[initial] = h0
    states.cell[initial] = c0
    gates = states.gates if states.gates is not None else states.cell  # not written unless saved
    xw, w_hh = xw.contiguous(), w_hh.contiguous()

    def launch(kernel, counters, status, first, steps, timeout, options):
        kernel(xw, w_hh, states.hidden, states.cell, gates, counters, status, first, steps, num_steps, batch,
               hidden, timeout, GATES=4, REVERSE=int(reverse), SAVE_GATES=save_gates,
               PRECISION=dot_precision(w_hh.dtype), **options)

    run_steps(forward_kernel, plan, batch, hidden, num_steps, xw.device, "LSTM forward", launch)
    return states


def lstm_backward(
    dout: Tensor,
    dh_n: Tensor,
    dc_n: Tensor,
    states: LSTMStates,
    w_hh: Tensor,
    reverse: bool,
    plan: Plan | None = None,
) -> tuple[Tensor, Tensor]:
    """(δa_t for every step (T, B, 4H), δc0 (B, H)), both float32.

    ``dout`` (T, B, H) is ∂J/∂output, ``dh_n`` and ``dc_n`` (B, H) the gradients of the final states.
    """
    if states.gates is None:
        raise ValueError("lstm_backward needs the gates: run lstm_forward with save_gates=True")
    num_steps, batch, hidden = dout.shape
    plan = plan or choose_plan(batch, hidden, 4, w_hh.dtype, dout.device)
    grad_pre = new_buffer((num_steps, batch, 4 * hidden), dout.device)
    grad_cell = dc_n.float().clone(memory_format=torch.contiguous_format)  # becomes δc0 in place
    dout, dh_n, w_hh = dout.float().contiguous(), dh_n.float().contiguous(), w_hh.contiguous()

    def launch(kernel, counters, status, first, steps, timeout, options):
        kernel(dout, dh_n, grad_cell, states.hidden, states.cell, states.gates, w_hh, grad_pre, counters, status,
               first, steps, num_steps, batch, hidden, timeout, GATES=4, REVERSE=int(reverse),
               PRECISION=dot_precision(w_hh.dtype), **options)

    run_steps(backward_kernel, plan, batch, hidden, num_steps, dout.device, "LSTM backward", launch)
    return grad_pre, grad_cell
