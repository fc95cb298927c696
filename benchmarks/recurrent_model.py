"""Predicted (not measured) time of the triton backend's recurrence, beside cuDNN's published anchor.

A roofline per step for the tile kernels (``rnnlab/nn/ops/recurrence.py``) on the configuration the
plan table picks (``rnnlab/nn/ops/plan.py``, filled from compile statistics), and for the previous
batch-tiled kernels, for one layer and direction with input size = hidden size (as
``benchmarks/recurrent.py`` measures), T = 1024 unless --steps says otherwise:

- every program runs on its own SM at the same time, so a step takes as long as one program's step:
  max(its FLOPs / one SM's FLOP rate, its bytes / one SM's share of the L2 bandwidth), plus one
  grid barrier (persistent mode) or one kernel launch (kernel-boundary mode);
- the matmuls outside the kernels (input projection; δx, δW_ih, δW_hh) run on the whole GPU:
  max(FLOPs / peak, bytes / HBM bandwidth).

Peaks are the best a kernel can reach, so these are lower bounds for the given barrier latency;
tensor cores at M = 16 rows and the time a poll needs to see the last arrival both sit above them.
Latency other than the barrier's is not modelled, so prefetching xw_{t+1} during step t (which the
forward kernel does) does not change a prediction. Machine model, each constant with its source
beside it: peaks and HBM bandwidth (``PEAKS`` in ``benchmarks/recurrent.py``), SM counts
(``rnnlab/nn/ops/plan.py:PARTS``), L2 bandwidth, barrier and launch latency (below).

cuDNN: the one published figure is the anchor (``ANCHOR`` in ``benchmarks/recurrent.py``: FlashRNN,
Pöppel et al. 2024, "FlashRNN: I/O-Aware Optimization of Traditional RNNs on modern hardware"; LSTM,
bfloat16, B = 16, H = 768, T = 1024, H100). For the other cells the table compares with the anchor's time per step, times T: an
**estimate**, assuming cuDNN's persistent kernel is latency-bound, so flat in H ≤ 1024 and B ≤ 64.
Where a cell does more work than the anchor (float32, larger H or B) cuDNN is if anything slower,
so a "yes" there holds against cuDNN too and a "no" may not; where it does less (the RNN, a
quarter of the LSTM's products; smaller H) cuDNN is if anything faster, so a "no" holds and a
"yes" may not. "barrier for goal" is the barrier latency at which the cell would just meet the
goal; "none" means the bytes and FLOPs alone already miss it.

    python benchmarks/recurrent_model.py             # the table, H100
    python benchmarks/recurrent_model.py --part A100
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass, replace

import torch

from recurrent import ANCHOR, DTYPES, GATES, PEAKS, device_peaks
from rnnlab.nn.ops.common import ceil_div, next_power_of_2
from rnnlab.nn.ops.plan import PARTS as ARCHS
from rnnlab.nn.ops.plan import Plan, table_key, table_plan

# Part -> (architecture, L2 bandwidth in bytes/s, shared evenly by the SMs). Assumed 5.5 TB/s (H100)
# and 4.5 TB/s (A100): the order microbenchmarks report (Chips and Cheese, "Nvidia's H100: Funny L2,
# and Tons of Bandwidth", 2023; for the A100 the same site's "Nvidia's A100", 2021), not a data-sheet
# figure, and with the barrier the least certain input here.
L2 = {"H100": (90, 5.5e12), "A100": (80, 4.5e12)}
PARTS = {name: {"arch": arch, "sms": ARCHS[arch]["sms"], "l2": l2} for name, (arch, l2) in L2.items()}
# One grid barrier per step: assumed 2 µs, two dependent L2 atomic round trips (announce; see the last
# arrival), each about 1 µs under the contention of every SM polling one line. Not measured on these
# kernels; the "barrier for goal" column shows what each cell needs instead.
BARRIER_S = 2e-6
# One kernel launch back to back (kernel-boundary mode): assumed 4 µs, the usual order of a launch's
# host and queue overhead on CUDA; not measured here.
LAUNCH_S = 4e-6
STATE_BYTES = 4  # h, c, gates and δa buffers are float32
# The goal: triton time at most this multiple of cuDNN's, by H (B ≤ 64).
GOAL = ((512, 1.0), (1024, 1.5))


@dataclass(frozen=True)
class Machine:
    sms: int
    flops: float  # dense FLOP/s of the whole GPU for this dtype
    hbm: float  # bytes/s
    l2: float  # bytes/s

    def sm_time(self, flops: float, l2_bytes: float) -> float:
        return max(flops / (self.flops / self.sms), l2_bytes / (self.l2 / self.sms))

    def gpu_time(self, flops: float, hbm_bytes: float) -> float:
        return max(flops / self.flops, hbm_bytes / self.hbm)


def machine(part: str, dtype: str) -> Machine:
    peaks = device_peaks(part)
    assert peaks is not None, f"no data-sheet peaks for {part} in benchmarks/recurrent.py"
    return Machine(sms=PARTS[part]["sms"], flops=peaks[dtype], hbm=peaks["bytes"], l2=PARTS[part]["l2"])


def tile_steps(plan: Plan, gates: int, hidden: int, size: int, m: Machine) -> tuple[float, float, float]:
    """(forward, backward) seconds of one step's work of the tile kernels under ``plan``, and the
    seconds of the synchronisation after each step."""
    units, rows = plan.units, plan.block_b
    padded = plan.block_k(hidden) * ceil_div(hidden, plan.block_k(hidden))
    flops = 2.0 * rows * padded * gates * units
    weights = 0 if plan.resident(hidden) else gates * hidden * units * size  # streamed from L2 every step
    tile = rows * units * STATE_BYTES
    forward_bytes = rows * hidden * STATE_BYTES + gates * rows * units * size + tile * (1 + 5 * (gates == 4)) + weights
    saved = tile * (1 if gates == 1 else 6)  # h, or c_t, c_{t-1} and the four gates
    backward_bytes = rows * gates * hidden * STATE_BYTES + tile + saved + gates * tile + weights
    sync = BARRIER_S if plan.persistent else LAUNCH_S
    return m.sm_time(flops, forward_bytes), m.sm_time(flops, backward_bytes), sync


def old_steps(gates: int, hidden: int, batch: int, dtype: str, size: int, m: Machine) -> tuple[float, float]:
    """(forward, backward) seconds of one step of the previous batch-tiled kernels: each of
    ceil(B / BLOCK_B) programs owned all H units and read all of W_hh from L2 every step."""
    rows = 16 if dtype == "float32" else min(64, max(16, next_power_of_2(batch)))
    flops = 2.0 * rows * gates * hidden * hidden
    l2_bytes = gates * hidden * hidden * size + rows * hidden * STATE_BYTES * (1 + gates)
    step = m.sm_time(flops, l2_bytes)
    return step, step


def outside(gates: int, hidden: int, batch: int, steps: int, size: int, m: Machine, grad_m: Machine) -> tuple[float, float]:
    """(forward, backward) seconds of the matmuls outside the kernels; ``grad_m`` runs δW_hh."""
    rows = steps * batch
    projection = 2.0 * rows * hidden * gates * hidden
    moved = size * (rows * hidden + gates * hidden * hidden) + STATE_BYTES * rows * gates * hidden
    forward = m.gpu_time(projection, moved)
    backward = 2 * m.gpu_time(projection, moved) + grad_m.gpu_time(projection, moved)
    return forward, backward


def goal(hidden: int) -> float:
    return next(ratio for limit, ratio in GOAL if hidden <= limit)


def cudnn_reference(cell: str, dtype: str, hidden: int, batch: int, steps: int, part: str) -> tuple[float, float, bool] | None:
    """(forward ms, forward+backward ms, published?): the anchor itself, else its time per step × T;
    None on parts other than the anchor's (no published figure to start from)."""
    if part != "H100":
        return None
    published = (cell, dtype, hidden, batch, steps) == tuple(ANCHOR[key] for key in ("cell", "dtype", "hidden", "batch", "steps"))
    scale = 1.0 if published else steps / ANCHOR["steps"]
    return ANCHOR["forward_ms"] * scale, ANCHOR["forward+backward_ms"] * scale, published


def predict(part: str, cell: str, dtype: str, hidden: int, batch: int, steps: int) -> dict:
    gates, size = GATES[cell], torch.finfo(DTYPES[dtype]).bits // 8
    m = machine(part, dtype)
    plan = table_plan(PARTS[part]["arch"], DTYPES[dtype], gates, batch, hidden)
    programs = plan.programs(batch, hidden)
    plan = replace(plan, persistent=programs <= PARTS[part]["sms"])
    fwd_work, bwd_work, sync = tile_steps(plan, gates, hidden, size, m)
    fwd_out, bwd_out = outside(gates, hidden, batch, steps, size, m, m)
    old_fwd_step, old_bwd_step = old_steps(gates, hidden, batch, dtype, size, m)
    # The old weight gradient ran in float32 with TF32 off, whatever the dtype.
    old_fwd_out, old_bwd_out = outside(gates, hidden, batch, steps, size, m, machine(part, "float32"))
    in_table = table_key(PARTS[part]["arch"], DTYPES[dtype], gates, batch, hidden) is not None
    forward = steps * (fwd_work + sync) + fwd_out
    both = steps * (fwd_work + bwd_work + 2 * sync) + fwd_out + bwd_out
    row = {
        "plan": f"{plan.units}x{plan.block_b} {'persistent' if plan.persistent else 'boundaries'} "
                f"{'resident' if plan.resident(hidden) else 'streamed'}{'' if in_table else ' (fallback)'}",
        "programs": programs,
        "fwd_step_us": 1e6 * (fwd_work + sync), "bwd_step_us": 1e6 * (bwd_work + sync),
        "forward_ms": 1e3 * forward, "forward+backward_ms": 1e3 * both,
        "old_forward_ms": 1e3 * (steps * old_fwd_step + old_fwd_out),
        "old_forward+backward_ms": 1e3 * (steps * (old_fwd_step + old_bwd_step) + old_fwd_out + old_bwd_out),
    }
    reference = cudnn_reference(cell, dtype, hidden, batch, steps, part)
    if reference is None:
        return row
    cudnn_fwd, cudnn_both, published = reference
    target = goal(hidden)
    # The barrier latency at which the slower of the two modes just meets the goal.
    budget = min((target * cudnn_fwd / 1e3 - steps * fwd_work - fwd_out) / steps,
                 (target * cudnn_both / 1e3 - steps * (fwd_work + bwd_work) - fwd_out - bwd_out) / (2 * steps))
    return {**row, "cudnn_forward_ms": cudnn_fwd, "cudnn_forward+backward_ms": cudnn_both,
            "cudnn_published": published, "ratio_forward": 1e3 * forward / cudnn_fwd,
            "ratio_forward+backward": 1e3 * both / cudnn_both, "goal": target,
            "barrier_for_goal_us": 1e6 * budget if budget > 0 else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=sorted(PARTS), default="H100")
    parser.add_argument("--steps", type=int, default=1024)
    args = parser.parse_args(argv)
    assert any(args.part in needles for needles, _ in PEAKS)
    print(f"PREDICTED (roofline lower bounds at a {BARRIER_S * 1e6:g} us barrier, not measurements), {args.part}, "
          f"T = {args.steps}, one layer, I = H; cuDNN: P = published (FlashRNN), e = estimate from it")
    header = (f"{'cell':4} {'dtype':8} {'H':>5} {'B':>3}  {'plan':28} {'P':>4} {'fwd/step':>9} {'bwd/step':>9} "
              f"{'fwd ms':>7} {'f+b ms':>7} {'old fwd':>8} {'old f+b':>8}")
    if cudnn_reference(ANCHOR["cell"], ANCHOR["dtype"], ANCHOR["hidden"], ANCHOR["batch"], args.steps, args.part):
        header += (f" {'cuDNN fwd':>10} {'cuDNN f+b':>10} {'x fwd':>6} {'x f+b':>6} {'goal':>5} {'meets':>5} "
                   f"{'barrier for goal':>16}")
    print(header)
    for cell, dtype, hidden, batch in itertools.product(("lstm", "rnn"), DTYPES, (256, 512, 768, 1024), (16, 64)):
        row = predict(args.part, cell, dtype, hidden, batch, args.steps)
        line = (f"{cell:4} {dtype:8} {hidden:5} {batch:3}  {row['plan']:28} {row['programs']:4} "
                f"{row['fwd_step_us']:7.2f}us {row['bwd_step_us']:7.2f}us {row['forward_ms']:7.2f} "
                f"{row['forward+backward_ms']:7.2f} {row['old_forward_ms']:8.2f} {row['old_forward+backward_ms']:8.2f}")
        if "goal" in row:
            mark = "P" if row["cudnn_published"] else "e"
            meets = max(row["ratio_forward"], row["ratio_forward+backward"]) <= row["goal"]
            barrier = "none" if row["barrier_for_goal_us"] is None else f"<= {row['barrier_for_goal_us']:.2f} us"
            line += (f" {row['cudnn_forward_ms']:8.2f} {mark} {row['cudnn_forward+backward_ms']:8.2f} {mark} "
                     f"{row['ratio_forward']:5.2f}x {row['ratio_forward+backward']:5.2f}x {row['goal']:4.1f}x "
                     f"{'yes' if meets else 'no':>5} {barrier:>16}")
        else:
            line += "  (no published cuDNN figure for this part)"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
