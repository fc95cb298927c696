"""Launchers of the tanh RNN kernels (tiles, precision and buffers from ``ops/common.py``)."""

from __future__ import annotations

from torch import Tensor

from ..common import Tiles, ceil_div, check_offsets, choose_tiles, dot_precision, new_buffer, state_rows
from .triton_kernels import rnn_backward_kernel, rnn_forward_kernel

def rnn_forward(xw: Tensor, w_hh: Tensor, h0: Tensor, reverse: bool, tiles: Tiles | None = None) -> Tensor:
    """All states of one tanh RNN layer: (T + 1, B, H) float32 holding h0 and every h_t.

    ``xw`` (T, B, H) is x_t W_ihᵀ + b_ih + b_hh; ``w_hh`` (H, H); ``h0`` (B, H). Forward: row 0 is h0
    and row t + 1 is h_t; reverse: row T is h0 and row t is h_t.
    """
    num_steps, batch, hidden = xw.shape
    check_offsets(batch, hidden, hidden)
    tiles = tiles or choose_tiles(batch, hidden, w_hh.dtype)
    states = new_buffer((num_steps + 1, batch, hidden), xw.device)
    states[state_rows(num_steps, reverse)[0]] = h0
    grid = (ceil_div(batch, tiles.block_b),)
    rnn_forward_kernel[grid](
        xw.contiguous(), w_hh.contiguous(), states, num_steps, batch, hidden,
        REVERSE=int(reverse), PRECISION=dot_precision(w_hh.dtype),
        BLOCK_B=tiles.block_b, BLOCK_N=tiles.block_n, BLOCK_K=tiles.block_k, num_warps=tiles.num_warps,
    )
    return states


def rnn_backward(
    dout: Tensor, dh_n: Tensor, states: Tensor, w_hh: Tensor, reverse: bool, tiles: Tiles | None = None
) -> Tensor:
    """δa_t for every step, (T, B, H) float32.

    ``dout`` (T, B, H) is ∂J/∂output, ``dh_n`` (B, H) is ∂J/∂h_n, ``states`` rnn_forward's result.
    """
    num_steps, batch, hidden = dout.shape
    tiles = tiles or choose_tiles(batch, hidden, w_hh.dtype)
    grad_pre = new_buffer((num_steps, batch, hidden), dout.device)
    grid = (ceil_div(batch, tiles.block_b),)
    rnn_backward_kernel[grid](
        dout.float().contiguous(), dh_n.float().contiguous(), states, w_hh.contiguous(), grad_pre,
        num_steps, batch, hidden,
        REVERSE=int(reverse), PRECISION=dot_precision(w_hh.dtype),
        BLOCK_B=tiles.block_b, BLOCK_N=tiles.block_n, BLOCK_K=tiles.block_k, num_warps=tiles.num_warps,
    )
    return grad_pre
