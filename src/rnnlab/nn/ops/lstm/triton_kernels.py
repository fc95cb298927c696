"""Triton kernels of the LSTM's sequential part: one launch runs all T steps of one layer and direction.

Same scheme as ``ops/rnn/triton_kernels.py``: each program owns BLOCK_B batch rows and every hidden
unit, the input projection arrives precomputed as ``xw`` (T, B, 4H), and the four gate blocks (torch's
order i, f, g, o) of W_hh are read from global memory (L2) at every step. h and c live in float32
buffers of T + 1 rows (forward: read row t, write row t + 1; reverse: read row t + 1, write row t).
"""

from __future__ import annotations

import triton
import triton.language as tl

from ..rnn.triton_kernels import step_rows, tanh


@triton.jit
def lstm_forward_kernel(
    xw_ptr,  # (T, B, 4H) input projection with both biases, any float dtype
    w_ptr,  # (4H, H) W_hh, row-major
    h_ptr,  # (T + 1, B, H) float32; the initial state is already in its row
    c_ptr,  # (T + 1, B, H) float32; the initial cell is already in its row
    gates_ptr,  # (T, B, 4H) float32 out when SAVE_GATES: i, f, g, o after their nonlinearity
    T,
    B,
    H,
    REVERSE: tl.constexpr,
    SAVE_GATES: tl.constexpr,
    PRECISION: tl.constexpr,
    BLOCK_B: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
):
    rows = tl.program_id(0) * BLOCK_B + tl.arange(0, BLOCK_B)
    row_mask = rows < B
    for s in range(0, T):
        t = (T - 1 - s) if REVERSE else s
        h_prev = step_rows(h_ptr, t + REVERSE, B, H)  # h_{t-1}, c_{t-1} in processing order
        c_prev = step_rows(c_ptr, t + REVERSE, B, H)
        h_next = step_rows(h_ptr, t + 1 - REVERSE, B, H)  # h_t, c_t
        c_next = step_rows(c_ptr, t + 1 - REVERSE, B, H)
        xw_t = step_rows(xw_ptr, t, B, 4 * H)
        gates_t = step_rows(gates_ptr, t, B, 4 * H)
        for n0 in range(0, H, BLOCK_N):
            cols = n0 + tl.arange(0, BLOCK_N)
            col_mask = cols < H
            mask = row_mask[:, None] & col_mask[None, :]
            gate_tile = rows[:, None] * (4 * H) + cols[None, :]  # gate i of units cols; + H per gate
            acc_i = tl.load(xw_t + gate_tile, mask=mask, other=0.0).to(tl.float32)  # (BLOCK_B, BLOCK_N)
            acc_f = tl.load(xw_t + H + gate_tile, mask=mask, other=0.0).to(tl.float32)
            acc_g = tl.load(xw_t + 2 * H + gate_tile, mask=mask, other=0.0).to(tl.float32)
            acc_o = tl.load(xw_t + 3 * H + gate_tile, mask=mask, other=0.0).to(tl.float32)
            for k0 in range(0, H, BLOCK_K):
                ks = k0 + tl.arange(0, BLOCK_K)
                k_mask = ks < H
                h = tl.load(
                    h_prev + rows[:, None] * H + ks[None, :],
                    mask=row_mask[:, None] & k_mask[None, :],
                    other=0.0,
                    cache_modifier=".cg",
                )  # (BLOCK_B, BLOCK_K)
                # Tile of W_hiᵀ, (BLOCK_K, BLOCK_N); the next gate's is H·H further.
                w_tile = cols[None, :] * H + ks[:, None]
                w_mask = k_mask[:, None] & col_mask[None, :]
                w_i = tl.load(w_ptr + w_tile, mask=w_mask, other=0.0)
                h = h.to(w_i.dtype)
                acc_i = tl.dot(h, w_i, acc_i, input_precision=PRECISION)
                w_f = tl.load(w_ptr + H * H + w_tile, mask=w_mask, other=0.0)
                acc_f = tl.dot(h, w_f, acc_f, input_precision=PRECISION)
                w_g = tl.load(w_ptr + 2 * H * H + w_tile, mask=w_mask, other=0.0)
                acc_g = tl.dot(h, w_g, acc_g, input_precision=PRECISION)
                w_o = tl.load(w_ptr + 3 * H * H + w_tile, mask=w_mask, other=0.0)
                acc_o = tl.dot(h, w_o, acc_o, input_precision=PRECISION)
            # Hochreiter & Schmidhuber (1997), forget gate of Gers et al. (2000), torch's formulation:
            # i, f, o = σ(a^i), σ(a^f), σ(a^o); g = tanh(a^g)
            i = tl.sigmoid(acc_i)
            f = tl.sigmoid(acc_f)
            g = tanh(acc_g)
            o = tl.sigmoid(acc_o)
            tile = rows[:, None] * H + cols[None, :]
            # c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)
            c = f * tl.load(c_prev + tile, mask=mask, other=0.0) + i * g
            tl.store(c_next + tile, c, mask=mask)
            tl.store(h_next + tile, o * tanh(c), mask=mask)
            if SAVE_GATES:
                tl.store(gates_t + gate_tile, i, mask=mask)
                tl.store(gates_t + H + gate_tile, f, mask=mask)
                tl.store(gates_t + 2 * H + gate_tile, g, mask=mask)
                tl.store(gates_t + 3 * H + gate_tile, o, mask=mask)
        # h_t is read back by every thread of this program at the next step.
        tl.debug_barrier()


@triton.jit
def lstm_backward_kernel(
    dout_ptr,  # (T, B, H) float32: ∂J/∂h_t arriving from the layer output
    dhn_ptr,  # (B, H) float32: ∂J/∂h_n arriving from the final state
    dc_ptr,  # (B, H) float32, in: ∂J/∂c_n; out: ∂J/∂c_0
    c_ptr,  # (T + 1, B, H) float32 cells written by the forward kernel
    gates_ptr,  # (T, B, 4H) float32 gates saved by the forward kernel
    w_ptr,  # (4H, H) W_hh
    da_ptr,  # (T, B, 4H) float32 out: δa_t = [δa^i; δa^f; δa^g; δa^o]
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
        da_t = step_rows(da_ptr, t, B, 4 * H)
        da_later = step_rows(da_ptr, (t - 1) if REVERSE else (t + 1), B, 4 * H)  # the step that read h_t
        gates_t = step_rows(gates_ptr, t, B, 4 * H)
        for n0 in range(0, H, BLOCK_N):
            cols = n0 + tl.arange(0, BLOCK_N)
            col_mask = cols < H
            mask = row_mask[:, None] & col_mask[None, :]
            tile = rows[:, None] * H + cols[None, :]
            dh = tl.load(step_rows(dout_ptr, t, B, H) + tile, mask=mask, other=0.0)  # (BLOCK_B, BLOCK_N)
            if s == 0:
                dh += tl.load(dhn_ptr + tile, mask=mask, other=0.0)
            else:
                # δh_t += δa_{later} W_hh, over K = the 4H gate units of δa
                for k0 in range(0, 4 * H, BLOCK_K):
                    ks = k0 + tl.arange(0, BLOCK_K)
                    k_mask = ks < 4 * H
                    da = tl.load(
                        da_later + rows[:, None] * (4 * H) + ks[None, :],
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
            gate_tile = rows[:, None] * (4 * H) + cols[None, :]
            i = tl.load(gates_t + gate_tile, mask=mask, other=0.0)
            f = tl.load(gates_t + H + gate_tile, mask=mask, other=0.0)
            g = tl.load(gates_t + 2 * H + gate_tile, mask=mask, other=0.0)
            o = tl.load(gates_t + 3 * H + gate_tile, mask=mask, other=0.0)
            c = tl.load(step_rows(c_ptr, t + 1 - REVERSE, B, H) + tile, mask=mask, other=0.0)
            c_prev = tl.load(step_rows(c_ptr, t + REVERSE, B, H) + tile, mask=mask, other=0.0)
            tanh_c = tanh(c)
            # δc_t += δh_t ⊙ o ⊙ (1 − tanh²(c_t)), δc_t holding what flowed back from the later step
            dc = tl.load(dc_ptr + tile, mask=mask, other=0.0) + dh * o * (1.0 - tanh_c * tanh_c)
            # δa^i = δc_t ⊙ g ⊙ i(1 − i);  δa^f = δc_t ⊙ c_{t-1} ⊙ f(1 − f)
            # δa^g = δc_t ⊙ i ⊙ (1 − g²);   δa^o = δh_t ⊙ tanh(c_t) ⊙ o(1 − o)
            tl.store(da_t + gate_tile, dc * g * i * (1.0 - i), mask=mask)
            tl.store(da_t + H + gate_tile, dc * c_prev * f * (1.0 - f), mask=mask)
            tl.store(da_t + 2 * H + gate_tile, dc * i * (1.0 - g * g), mask=mask)
            tl.store(da_t + 3 * H + gate_tile, dh * tanh_c * o * (1.0 - o), mask=mask)
            # δc_{t-1} = δc_t ⊙ f
            tl.store(dc_ptr + tile, dc * f, mask=mask)
        tl.debug_barrier()
