"""Launchers of the LSTM kernels (tiles, precision and buffers from ``ops/common.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..common import Tiles, ceil_div, check_offsets, choose_tiles, dot_precision, new_buffer, state_rows
from .triton_kernels import lstm_backward_kernel, lstm_forward_kernel


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
    tiles: Tiles | None = None,
) -> LSTMStates:
    """All states of one LSTM layer and direction.

    ``xw`` (T, B, 4H) is x_t W_ihᵀ + b_ih + b_hh; ``w_hh`` (4H, H); ``h0``, ``c0`` (B, H). The gates
    are kept for the backward pass when ``save_gates``.
    """
    num_steps, batch, width = xw.shape
    hidden = width // 4
    check_offsets(batch, width, hidden)
    tiles = tiles or choose_tiles(batch, hidden, w_hh.dtype)
    initial = state_rows(num_steps, reverse)[0]
    states = LSTMStates(
        hidden=new_buffer((num_steps + 1, batch, hidden), xw.device),
        cell=new_buffer((num_steps + 1, batch, hidden), xw.device),
        gates=new_buffer((num_steps, batch, width), xw.device) if save_gates else None,
    )
    states.hidden[initial] = h0
    states.cell[initial] = c0
    gates = states.gates if states.gates is not None else states.cell  # not written unless saved
    lstm_forward_kernel[(ceil_div(batch, tiles.block_b),)](
        xw.contiguous(), w_hh.contiguous(), states.hidden, states.cell, gates, num_steps, batch, hidden,
        REVERSE=int(reverse), SAVE_GATES=save_gates, PRECISION=dot_precision(w_hh.dtype),
        BLOCK_B=tiles.block_b, BLOCK_N=tiles.block_n, BLOCK_K=tiles.block_k, num_warps=tiles.num_warps,
    )
    return states


def lstm_backward(
    dout: Tensor,
    dh_n: Tensor,
    dc_n: Tensor,
    states: LSTMStates,
    w_hh: Tensor,
    reverse: bool,
    tiles: Tiles | None = None,
) -> tuple[Tensor, Tensor]:
    """(δa_t for every step (T, B, 4H), δc0 (B, H)), both float32.

    ``dout`` (T, B, H) is ∂J/∂output, ``dh_n`` and ``dc_n`` (B, H) the gradients of the final states.
    """
    if states.gates is None:
        raise ValueError("lstm_backward needs the gates: run lstm_forward with save_gates=True")
    num_steps, batch, hidden = dout.shape
    tiles = tiles or choose_tiles(batch, hidden, w_hh.dtype)
    grad_pre = new_buffer((num_steps, batch, 4 * hidden), dout.device)
    grad_cell = dc_n.float().clone(memory_format=torch.contiguous_format)  # becomes δc0 in place
    lstm_backward_kernel[(ceil_div(batch, tiles.block_b),)](
        dout.float().contiguous(), dh_n.float().contiguous(), grad_cell, states.cell, states.gates,
        w_hh.contiguous(), grad_pre, num_steps, batch, hidden,
        REVERSE=int(reverse), PRECISION=dot_precision(w_hh.dtype),
        BLOCK_B=tiles.block_b, BLOCK_N=tiles.block_n, BLOCK_K=tiles.block_k, num_warps=tiles.num_warps,
    )
    return grad_pre, grad_cell
