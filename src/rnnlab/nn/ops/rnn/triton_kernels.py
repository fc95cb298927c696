"""Triton kernels of the tanh RNN's sequential part: one launch runs all T steps of one layer and direction.

Each program owns BLOCK_B rows of the batch and every hidden unit (see ``ops/README.md``). The input
projection x_t W_ihᵀ + b_ih + b_hh arrives precomputed as ``xw``; the kernels add h_{t-1} W_hhᵀ, tiled
over N (output units) and K (input units), with W_hh read from global memory (L2) at every step.

State buffers hold T + 1 rows: the initial state and every h_t. Time t of the forward direction reads
row t and writes row t + 1; the reverse direction reads row t + 1 and writes row t, so it walks the
sequence backwards without a flipped copy and its outputs lie in rows 0..T-1 in time order.
"""

from __future__ import annotations

import triton
import triton.language as tl


@triton.jit
def tanh(x):
    """tanh in float32 with a small relative error near 0 (no libdevice: the interpreter lacks it)."""
    # Taylor series tanh x = x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835 − 1382x¹¹/155925
    # (Abramowitz & Stegun 4.5.64) for |x| < 0.4, where the next term is below 1e-7 relative; elsewhere
    # tanh|x| = 1 − 2 / (e^{2|x|} + 1), which saturates to 1 without overflow.
    a = tl.abs(x)
    a2 = a * a
    series = a * (1.0 + a2 * (-1.0 / 3.0 + a2 * (2.0 / 15.0 + a2 * (-17.0 / 315.0 + a2 * (
        62.0 / 2835.0 + a2 * (-1382.0 / 155925.0))))))
    closed = 1.0 - 2.0 / (tl.exp(2.0 * a) + 1.0)
    magnitude = tl.where(a < 0.4, series, closed)
    return tl.where(x < 0.0, -magnitude, magnitude)


@triton.jit
def step_rows(ptr, step, B, width):
    """Pointer to row block ``step`` of a (steps, B, width) buffer; 64-bit, so tile offsets stay 32-bit."""
    return ptr + step.to(tl.int64) * B * width


@triton.jit
def rnn_forward_kernel(
    xw_ptr,  # (T, B, H) input projection with both biases, any float dtype
    w_ptr,  # (H, H) W_hh, row-major
    h_ptr,  # (T + 1, B, H) float32; the initial state is already in its row
    T,
    B,
    H,
    REVERSE: tl.constexpr,
    PRECISION: tl.constexpr,
    BLOCK_B: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
):
    rows = tl.program_id(0) * BLOCK_B + tl.arange(0, BLOCK_B)
    row_mask = rows < B
    for s in range(0, T):
        t = (T - 1 - s) if REVERSE else s
        h_prev = step_rows(h_ptr, t + REVERSE, B, H)  # h_{t-1} in processing order
        h_next = step_rows(h_ptr, t + 1 - REVERSE, B, H)  # h_t
        xw_t = step_rows(xw_ptr, t, B, H)
        for n0 in range(0, H, BLOCK_N):
            cols = n0 + tl.arange(0, BLOCK_N)
            col_mask = cols < H
            mask = row_mask[:, None] & col_mask[None, :]
            tile = rows[:, None] * H + cols[None, :]
            # Elman (1990): a_t = (W_ih x_t + b_ih + b_hh) + W_hh h_{t-1}
            acc = tl.load(xw_t + tile, mask=mask, other=0.0).to(tl.float32)  # (BLOCK_B, BLOCK_N)
            for k0 in range(0, H, BLOCK_K):
                ks = k0 + tl.arange(0, BLOCK_K)
                k_mask = ks < H
                h = tl.load(
                    h_prev + rows[:, None] * H + ks[None, :],
                    mask=row_mask[:, None] & k_mask[None, :],
                    other=0.0,
                    cache_modifier=".cg",
                )  # (BLOCK_B, BLOCK_K)
                w = tl.load(
                    w_ptr + cols[None, :] * H + ks[:, None],
                    mask=k_mask[:, None] & col_mask[None, :],
                    other=0.0,
                )  # (BLOCK_K, BLOCK_N): the tile of W_hhᵀ
                acc = tl.dot(h.to(w.dtype), w, acc, input_precision=PRECISION)
            # h_t = tanh(a_t)
            tl.store(h_next + tile, tanh(acc), mask=mask)
        # h_t is read back by every thread of this program at the next step.
        tl.debug_barrier()


@triton.jit
def rnn_backward_kernel(
    dout_ptr,  # (T, B, H) float32: ∂J/∂h_t arriving from the layer output
    dhn_ptr,  # (B, H) float32: ∂J/∂h_n arriving from the final state
    h_ptr,  # (T + 1, B, H) float32 states written by the forward kernel
    w_ptr,  # (H, H) W_hh
    da_ptr,  # (T, B, H) float32 out: δa_t, the gradient of the pre-activation
    T,
    B,
    H,
    REVERSE: tl.constexpr,
    PRECISION: tl.constexpr,
    BLOCK_B: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
):
    rows = tl.program_id(0) * BLOCK_B + tl.arange(0, BLOCK_B)
    row_mask = rows < B
    for s in range(0, T):
        # Backpropagation through time (Werbos 1990) visits the steps in reverse processing order.
        t = s if REVERSE else (T - 1 - s)
        da_t = step_rows(da_ptr, t, B, H)
        da_later = step_rows(da_ptr, (t - 1) if REVERSE else (t + 1), B, H)  # the step that read h_t
        for n0 in range(0, H, BLOCK_N):
            cols = n0 + tl.arange(0, BLOCK_N)
            col_mask = cols < H
            mask = row_mask[:, None] & col_mask[None, :]
            tile = rows[:, None] * H + cols[None, :]
            dh = tl.load(step_rows(dout_ptr, t, B, H) + tile, mask=mask, other=0.0)  # (BLOCK_B, BLOCK_N)
            if s == 0:
                dh += tl.load(dhn_ptr + tile, mask=mask, other=0.0)
            else:
                # δh_t += δa_{later} W_hh, over K = the H units of δa
                for k0 in range(0, H, BLOCK_K):
                    ks = k0 + tl.arange(0, BLOCK_K)
                    k_mask = ks < H
                    da = tl.load(
                        da_later + rows[:, None] * H + ks[None, :],
                        mask=row_mask[:, None] & k_mask[None, :],
                        other=0.0,
                        cache_modifier=".cg",
                    )  # (BLOCK_B, BLOCK_K)
                    w = tl.load(
                        w_ptr + ks[:, None] * H + cols[None, :],
                        mask=k_mask[:, None] & col_mask[None, :],
                        other=0.0,
                    )  # (BLOCK_K, BLOCK_N)
                    dh = tl.dot(da.to(w.dtype), w, dh, input_precision=PRECISION)
            h = tl.load(step_rows(h_ptr, t + 1 - REVERSE, B, H) + tile, mask=mask, other=0.0)
            # δa_t = δh_t ⊙ (1 − h_t²)
            tl.store(da_t + tile, dh * (1.0 - h * h), mask=mask)
        tl.debug_barrier()
