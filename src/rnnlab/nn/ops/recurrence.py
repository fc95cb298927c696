"""The tile kernels of the recurrence, shared by the tanh RNN (GATES = 1) and the LSTM (GATES = 4).

The grid is P = ceil(H / UNITS) × ceil(B / BLOCK_B) programs. Program p owns UNITS hidden units (for
the LSTM their four gate columns) of one BLOCK_B-row batch tile. Each step it reads all of h_{t-1}
for its rows (forward) or all G·H columns of δa at the later step (backward), multiplies by its
slice of W_hh, applies the cell's update to its own tile and writes it. Then every program has to
see every other program's tile before the next step:

- PERSISTENT: one launch runs the steps, with a grid barrier (``barrier.py``) after each;
- otherwise a launch runs ``num_steps`` steps from ``first_step`` with only this program's threads
  synchronised, so the launcher runs one step per launch, or all steps in one when there is a
  single unit block (then each program reads back only what it wrote).

RESIDENT (BLOCK_K ≥ H) loads the weight slice once, before the time loop; otherwise it is read from
global memory (L2) in BLOCK_K-wide pieces at every step. The input projection arrives precomputed
as ``xw`` (T, B, G·H); the weight and input gradients are matmuls outside (``rnn/function.py``).
States live in float32 buffers of T + 1 rows: the forward direction reads row t and writes row
t + 1, the reverse direction reads row t + 1 and writes row t.
"""

from __future__ import annotations

import triton
import triton.language as tl

from .barrier import grid_barrier
from .common import step_rows
from .lstm.triton_cell import lstm_cell_backward, lstm_cell_forward
from .rnn.triton_cell import rnn_cell_backward, rnn_cell_forward


@triton.jit
def weight_slice(w_ptr, gate, units, ks, H, TRANSPOSED: tl.constexpr):
    """(BLOCK_K, UNITS) piece of gate block ``gate`` of W_hh (G·H, H): element [k, j] is
    W[gate·H + units[j], ks[k]] (forward, a piece of W_hhᵀ), or W[gate·H + ks[k], units[j]] (backward)."""
    mask = (ks[:, None] < H) & (units[None, :] < H)
    if TRANSPOSED:
        offsets = (gate * H + ks[:, None]) * H + units[None, :]
    else:
        offsets = (gate * H + units[None, :]) * H + ks[:, None]
    return tl.load(w_ptr + offsets, mask=mask, other=0.0)


@triton.jit
def weight_slices(w_ptr, units, ks, H, GATES: tl.constexpr, TRANSPOSED: tl.constexpr, RESIDENT: tl.constexpr):
    """The G weight slices of ``weight_slice`` when RESIDENT (read once, kept on chip); a (1, 1) zero,
    never read, stands in for every slice that is not kept."""
    w_0 = tl.zeros((1, 1), w_ptr.dtype.element_ty)
    w_1 = w_0
    w_2 = w_0
    w_3 = w_0
    if RESIDENT:
        w_0 = weight_slice(w_ptr, 0, units, ks, H, TRANSPOSED)
        if GATES == 4:
            w_1 = weight_slice(w_ptr, 1, units, ks, H, TRANSPOSED)
            w_2 = weight_slice(w_ptr, 2, units, ks, H, TRANSPOSED)
            w_3 = weight_slice(w_ptr, 3, units, ks, H, TRANSPOSED)
    return w_0, w_1, w_2, w_3


@triton.jit
def times_slice(acc, x, w_on_chip, w_ptr, gate, units, ks, H, TRANSPOSED: tl.constexpr,
                RESIDENT: tl.constexpr, PRECISION: tl.constexpr):
    """acc + x (BLOCK_B, BLOCK_K) · the gate's slice (BLOCK_K, UNITS): the on-chip copy when RESIDENT,
    else the piece at ``ks`` read from global memory now."""
    if RESIDENT:
        w = w_on_chip
    else:
        w = weight_slice(w_ptr, gate, units, ks, H, TRANSPOSED)
    return tl.dot(x.to(w_ptr.dtype.element_ty), w, acc, input_precision=PRECISION)


@triton.jit
def load_gate_tiles(ptr, gate_tile, H, mask):
    """The four (BLOCK_B, UNITS) gate tiles i, f, g, o of a (B, 4H) block, in float32."""
    return (tl.load(ptr + gate_tile, mask=mask, other=0.0).to(tl.float32),
            tl.load(ptr + H + gate_tile, mask=mask, other=0.0).to(tl.float32),
            tl.load(ptr + 2 * H + gate_tile, mask=mask, other=0.0).to(tl.float32),
            tl.load(ptr + 3 * H + gate_tile, mask=mask, other=0.0).to(tl.float32))


@triton.jit
def input_tiles(xw_ptr, t, B, H, gate_tile, mask, GATES: tl.constexpr):
    """The program's (BLOCK_B, UNITS) tiles of xw_t (T, B, G·H) in float32, one per gate; the RNN's
    one tile is repeated four times (the copies are never read)."""
    xw_t = step_rows(xw_ptr, t, B, GATES * H)
    if GATES == 4:
        x_0, x_1, x_2, x_3 = load_gate_tiles(xw_t, gate_tile, H, mask)
    else:
        x_0 = tl.load(xw_t + gate_tile, mask=mask, other=0.0).to(tl.float32)
        x_1 = x_0
        x_2 = x_0
        x_3 = x_0
    return x_0, x_1, x_2, x_3


@triton.jit
def store_gate_tiles(ptr, gate_tile, H, mask, v_0, v_1, v_2, v_3):
    """Store four (BLOCK_B, UNITS) tiles into the gate blocks i, f, g, o of a (B, 4H) block."""
    tl.store(ptr + gate_tile, v_0, mask=mask)
    tl.store(ptr + H + gate_tile, v_1, mask=mask)
    tl.store(ptr + 2 * H + gate_tile, v_2, mask=mask)
    tl.store(ptr + 3 * H + gate_tile, v_3, mask=mask)


@triton.jit
def row_block(ptr, rows, ks, B, H, width):
    """(BLOCK_B, BLOCK_K) piece of a (B, width) block another program may have written (not cached in L1)."""
    mask = (rows[:, None] < B) & (ks[None, :] < H)
    return tl.load(ptr + rows[:, None] * width + ks[None, :], mask=mask, other=0.0, cache_modifier=".cg")


@triton.jit
def tile_of(pid, B, H, UNITS: tl.constexpr, BLOCK_B: tl.constexpr):
    """(rows (BLOCK_B,), units (UNITS,), mask of the program's (BLOCK_B, UNITS) tile)."""
    unit_blocks = tl.cdiv(H, UNITS)
    units = (pid % unit_blocks) * UNITS + tl.arange(0, UNITS)
    rows = (pid // unit_blocks) * BLOCK_B + tl.arange(0, BLOCK_B)
    return rows, units, (rows[:, None] < B) & (units[None, :] < H)


@triton.jit
def step_sync(count_ptr, status_ptr, s, timeout_ns, PERSISTENT: tl.constexpr):
    """After step ``s``: the grid barrier (persistent), or this program's threads only."""
    if PERSISTENT:
        grid_barrier(count_ptr + s, status_ptr, timeout_ns)
    else:
        tl.debug_barrier()


@triton.jit
def forward_kernel(
    xw_ptr,  # (T, B, G·H) input projection with both biases, any float dtype
    w_ptr,  # (G·H, H) W_hh, row-major
    h_ptr,  # (T + 1, B, H) float32; the initial state is already in its row
    c_ptr,  # (T + 1, B, H) float32 LSTM cell, the initial one in its row (unused by the RNN)
    gates_ptr,  # (T, B, 4H) float32 out when SAVE_GATES: i, f, g, o after their nonlinearity
    count_ptr,  # (T,) int32 zeroed arrival counters, one per step (PERSISTENT)
    status_ptr,  # (1,) int32 time-out flag (PERSISTENT)
    first_step,
    num_steps,
    T,
    B,
    H,
    timeout_ns,
    GATES: tl.constexpr,
    REVERSE: tl.constexpr,
    SAVE_GATES: tl.constexpr,
    PERSISTENT: tl.constexpr,
    RESIDENT: tl.constexpr,
    PRECISION: tl.constexpr,
    UNITS: tl.constexpr,
    BLOCK_B: tl.constexpr,
    BLOCK_K: tl.constexpr,
):
    rows, units, mask = tile_of(tl.program_id(0), B, H, UNITS, BLOCK_B)
    tile = rows[:, None] * H + units[None, :]  # the program's (BLOCK_B, UNITS) tile of a (B, H) block
    gate_tile = rows[:, None] * (GATES * H) + units[None, :]  # gate 0 of a (B, G·H) block; + H per gate
    ks = tl.arange(0, BLOCK_K)
    # Diamos et al. (2016), Persistent RNNs: when RESIDENT, the program's slice of W_hh is read once
    # and stays on chip (registers and shared memory) for every step.
    w_0, w_1, w_2, w_3 = weight_slices(w_ptr, units, ks, H, GATES, False, RESIDENT)  # (BLOCK_K, UNITS) each
    start = (T - 1 - first_step) if REVERSE else first_step
    if GATES == 4:
        c = tl.load(step_rows(c_ptr, start + REVERSE, B, H) + tile, mask=mask, other=0.0)  # c_{t-1}
    x_0, x_1, x_2, x_3 = input_tiles(xw_ptr, start, B, H, gate_tile, mask, GATES)  # xw of the first step
    last = first_step + num_steps - 1
    for s in range(first_step, first_step + num_steps):
        t = (T - 1 - s) if REVERSE else s
        h_prev = step_rows(h_ptr, t + REVERSE, B, H)  # h_{t-1} in processing order
        # a_t = (W_ih x_t + b_ih + b_hh) + W_hh h_{t-1}, per gate block, (BLOCK_B, UNITS) each
        a_0, a_1, a_2, a_3 = x_0, x_1, x_2, x_3
        # xw of the next step does not depend on h: read it now, so that its latency overlaps this
        # step's products and barrier (the last step reads its own again).
        s_next = tl.minimum(s + 1, last)
        x_0, x_1, x_2, x_3 = input_tiles(xw_ptr, (T - 1 - s_next) if REVERSE else s_next, B, H, gate_tile, mask,
                                         GATES)
        for k0 in range(0, H, BLOCK_K):  # a single pass when RESIDENT
            h = row_block(h_prev, rows, k0 + ks, B, H, H)  # (BLOCK_B, BLOCK_K)
            a_0 = times_slice(a_0, h, w_0, w_ptr, 0, units, k0 + ks, H, False, RESIDENT, PRECISION)
            if GATES == 4:
                a_1 = times_slice(a_1, h, w_1, w_ptr, 1, units, k0 + ks, H, False, RESIDENT, PRECISION)
                a_2 = times_slice(a_2, h, w_2, w_ptr, 2, units, k0 + ks, H, False, RESIDENT, PRECISION)
                a_3 = times_slice(a_3, h, w_3, w_ptr, 3, units, k0 + ks, H, False, RESIDENT, PRECISION)
        row_next = t + 1 - REVERSE  # h_t, c_t
        if GATES == 4:
            h_new, c, i, f, g, o = lstm_cell_forward(a_0, a_1, a_2, a_3, c)
            tl.store(step_rows(c_ptr, row_next, B, H) + tile, c, mask=mask)
            if SAVE_GATES:
                store_gate_tiles(step_rows(gates_ptr, t, B, 4 * H), gate_tile, H, mask, i, f, g, o)
        else:
            h_new = rnn_cell_forward(a_0)
        tl.store(step_rows(h_ptr, row_next, B, H) + tile, h_new, mask=mask)
        step_sync(count_ptr, status_ptr, s, timeout_ns, PERSISTENT)


@triton.jit
def backward_kernel(
    dout_ptr,  # (T, B, H) float32: ∂J/∂h_t arriving from the layer output
    dhn_ptr,  # (B, H) float32: ∂J/∂h_n arriving from the final state
    dc_ptr,  # (B, H) float32 LSTM δc: ∂J/∂c_n in, δc_0 out (unused by the RNN)
    h_ptr,  # (T + 1, B, H) float32 states of the forward kernel (read by the RNN)
    c_ptr,  # (T + 1, B, H) float32 LSTM cells of the forward kernel
    gates_ptr,  # (T, B, 4H) float32 LSTM gates of the forward kernel
    w_ptr,  # (G·H, H) W_hh
    da_ptr,  # (T, B, G·H) float32 out: δa_t, the gradient of the pre-activations
    count_ptr,  # (T,) int32 zeroed arrival counters, one per step (PERSISTENT)
    status_ptr,  # (1,) int32 time-out flag (PERSISTENT)
    first_step,
    num_steps,
    T,
    B,
    H,
    timeout_ns,
    GATES: tl.constexpr,
    REVERSE: tl.constexpr,
    PERSISTENT: tl.constexpr,
    RESIDENT: tl.constexpr,
    PRECISION: tl.constexpr,
    UNITS: tl.constexpr,
    BLOCK_B: tl.constexpr,
    BLOCK_K: tl.constexpr,
):
    rows, units, mask = tile_of(tl.program_id(0), B, H, UNITS, BLOCK_B)
    tile = rows[:, None] * H + units[None, :]
    gate_tile = rows[:, None] * (GATES * H) + units[None, :]
    ks = tl.arange(0, BLOCK_K)
    # Diamos et al. (2016), Persistent RNNs, on the transposed problem: when RESIDENT, the program keeps
    # the column slice of W_hh that maps δa_{t+1} onto its units, read once for every step.
    w_0, w_1, w_2, w_3 = weight_slices(w_ptr, units, ks, H, GATES, True, RESIDENT)  # (BLOCK_K, UNITS) each
    if GATES == 4:
        dc = tl.load(dc_ptr + tile, mask=mask, other=0.0)  # δc flowing back into this launch's first step
    for s in range(first_step, first_step + num_steps):
        # Backpropagation through time (Werbos 1990) visits the steps in reverse processing order.
        t = s if REVERSE else (T - 1 - s)
        dh = tl.load(step_rows(dout_ptr, t, B, H) + tile, mask=mask, other=0.0)  # (BLOCK_B, UNITS)
        if s == 0:
            dh += tl.load(dhn_ptr + tile, mask=mask, other=0.0)
        else:
            # δh_t += W_hhᵀ δa_{t'} over all G·H columns, t' being the step that read h_t
            da_later = step_rows(da_ptr, (t - 1) if REVERSE else (t + 1), B, GATES * H)
            for k0 in range(0, H, BLOCK_K):
                d_0 = row_block(da_later, rows, k0 + ks, B, H, GATES * H)  # (BLOCK_B, BLOCK_K)
                dh = times_slice(dh, d_0, w_0, w_ptr, 0, units, k0 + ks, H, True, RESIDENT, PRECISION)
                if GATES == 4:
                    d_1 = row_block(da_later + H, rows, k0 + ks, B, H, 4 * H)
                    dh = times_slice(dh, d_1, w_1, w_ptr, 1, units, k0 + ks, H, True, RESIDENT, PRECISION)
                    d_2 = row_block(da_later + 2 * H, rows, k0 + ks, B, H, 4 * H)
                    dh = times_slice(dh, d_2, w_2, w_ptr, 2, units, k0 + ks, H, True, RESIDENT, PRECISION)
                    d_3 = row_block(da_later + 3 * H, rows, k0 + ks, B, H, 4 * H)
                    dh = times_slice(dh, d_3, w_3, w_ptr, 3, units, k0 + ks, H, True, RESIDENT, PRECISION)
        da_t = step_rows(da_ptr, t, B, GATES * H)
        if GATES == 4:
            i, f, g, o = load_gate_tiles(step_rows(gates_ptr, t, B, 4 * H), gate_tile, H, mask)
            c = tl.load(step_rows(c_ptr, t + 1 - REVERSE, B, H) + tile, mask=mask, other=0.0)
            c_prev = tl.load(step_rows(c_ptr, t + REVERSE, B, H) + tile, mask=mask, other=0.0)
            da_i, da_f, da_g, da_o, dc = lstm_cell_backward(dh, dc, i, f, g, o, c, c_prev)
            store_gate_tiles(da_t, gate_tile, H, mask, da_i, da_f, da_g, da_o)
        else:
            h = tl.load(step_rows(h_ptr, t + 1 - REVERSE, B, H) + tile, mask=mask, other=0.0)
            tl.store(da_t + gate_tile, rnn_cell_backward(dh, h), mask=mask)
        step_sync(count_ptr, status_ptr, s, timeout_ns, PERSISTENT)
    if GATES == 4:
        tl.store(dc_ptr + tile, dc, mask=mask)
