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

Peaks are the best a kernel can reach, so these are lower bounds; tensor cores at M = 16 rows and
the time a poll needs to see the last arrival both sit above them. Machine model, with sources:

- SMs, dense FLOP rates and HBM bandwidth: NVIDIA's data sheets (``PEAKS`` in
  ``benchmarks/recurrent.py``; the SM counts, 132 on an H100 SXM and 108 on an A100, in
  ``rnnlab/nn/ops/compile_stats.py``).
- L2 bandwidth: assumed 5.5 TB/s (H100) and 4.5 TB/s (A100) in all, shared evenly by the SMs: the
  order microbenchmarks report (e.g. Chips and Cheese, "Nvidia's H100: Funny L2, and Tons of
  Bandwidth", 2023), not a data-sheet figure, and the least certain input here.
- grid barrier: assumed 2 µs per step (an L2 atomic round trip to announce, another to see the
  last arrival, each about 1 µs under load); kernel launch: assumed 4 µs back to back.

    python benchmarks/recurrent_model.py             # the table, H100
    python benchmarks/recurrent_model.py --part A100
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass

import torch

from recurrent import GATES, PEAKS, device_peaks
from rnnlab.nn.ops.common import ceil_div, next_power_of_2
from rnnlab.nn.ops.compile_stats import PARTS as ARCHS
from rnnlab.nn.ops.plan import Plan, table_key, table_plan

# Part -> (architecture, assumed L2 bandwidth in bytes/s); SM counts come from compile_stats.PARTS.
L2 = {"H100": (90, 5.5e12), "A100": (80, 4.5e12)}
PARTS = {name: {"arch": arch, "sms": ARCHS[arch]["sms"], "l2": l2} for name, (arch, l2) in L2.items()}
BARRIER_S = 2e-6
LAUNCH_S = 4e-6
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
# cuDNN's published anchor (FlashRNN, Pöppel et al. 2024): LSTM, B = 16, T = 1024, H = 768, bfloat16, H100.
ANCHOR = {"cell": "lstm", "dtype": "bfloat16", "hidden": 768, "batch": 16, "steps": 1024,
          "forward_ms": 2.01, "forward+backward_ms": 5.19}
STATE_BYTES = 4  # h, c, gates and δa buffers are float32


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


def tile_steps(plan: Plan, gates: int, hidden: int, batch: int, size: int, m: Machine) -> tuple[float, float]:
    """(forward, backward) seconds of one step of the tile kernels under ``plan``."""
    units, rows = plan.units, plan.block_b
    padded = plan.block_k(hidden) * ceil_div(hidden, plan.block_k(hidden))
    flops = 2.0 * rows * padded * gates * units
    weights = 0 if plan.resident(hidden) else gates * hidden * units * size  # streamed from L2 every step
    tile = rows * units * STATE_BYTES
    forward_bytes = rows * hidden * STATE_BYTES + gates * rows * units * size + tile * (1 + 5 * (gates == 4)) + weights
    saved = tile * (1 if gates == 1 else 6)  # h, or c_t, c_{t-1} and the four gates
    backward_bytes = rows * gates * hidden * STATE_BYTES + tile + saved + gates * tile + weights
    sync = BARRIER_S if plan.persistent else LAUNCH_S
    return m.sm_time(flops, forward_bytes) + sync, m.sm_time(flops, backward_bytes) + sync


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


def predict(part: str, cell: str, dtype: str, hidden: int, batch: int, steps: int) -> dict:
    gates, size = GATES[cell], torch.finfo(DTYPES[dtype]).bits // 8
    m = machine(part, dtype)
    plan = table_plan(PARTS[part]["arch"], DTYPES[dtype], gates, batch, hidden)
    programs = plan.programs(batch, hidden)
    plan = Plan(**{**plan.__dict__, "persistent": programs <= PARTS[part]["sms"]})
    fwd_step, bwd_step = tile_steps(plan, gates, hidden, batch, size, m)
    fwd_out, bwd_out = outside(gates, hidden, batch, steps, size, m, m)
    old_fwd_step, old_bwd_step = old_steps(gates, hidden, batch, dtype, size, m)
    # The old weight gradient ran in float32 with TF32 off, whatever the dtype.
    old_fwd_out, old_bwd_out = outside(gates, hidden, batch, steps, size, m, machine(part, "float32"))
    in_table = table_key(PARTS[part]["arch"], DTYPES[dtype], gates, batch, hidden) is not None
    return {
        "plan": f"{plan.units}x{plan.block_b} {'persistent' if plan.persistent else 'boundaries'} "
                f"{'resident' if plan.resident(hidden) else 'streamed'}{'' if in_table else ' (fallback)'}",
        "programs": programs,
        "fwd_step_us": 1e6 * fwd_step, "bwd_step_us": 1e6 * bwd_step,
        "forward_ms": 1e3 * (steps * fwd_step + fwd_out),
        "forward+backward_ms": 1e3 * (steps * (fwd_step + bwd_step) + fwd_out + bwd_out),
        "old_forward_ms": 1e3 * (steps * old_fwd_step + old_fwd_out),
        "old_forward+backward_ms": 1e3 * (steps * (old_fwd_step + old_bwd_step) + old_fwd_out + old_bwd_out),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=sorted(PARTS), default="H100")
    parser.add_argument("--steps", type=int, default=1024)
    args = parser.parse_args(argv)
    assert any(args.part in needles for needles, _ in PEAKS)
    print(f"PREDICTED (roofline lower bounds, not measurements), {args.part}, T = {args.steps}, one layer, I = H")
    print(f"{'cell':4} {'dtype':8} {'H':>5} {'B':>3}  {'plan':32} {'P':>4} {'fwd/step':>9} {'bwd/step':>9} "
          f"{'fwd ms':>8} {'f+b ms':>8} {'old fwd':>8} {'old f+b':>8}  cuDNN (published)")
    for cell, dtype, hidden, batch in itertools.product(("lstm", "rnn"), DTYPES, (256, 512, 768, 1024), (16, 64)):
        row = predict(args.part, cell, dtype, hidden, batch, args.steps)
        anchor = ""
        if (cell, dtype, hidden, batch, args.steps, args.part) == (ANCHOR["cell"], ANCHOR["dtype"], ANCHOR["hidden"],
                                                                    ANCHOR["batch"], ANCHOR["steps"], "H100"):
            anchor = (f"{ANCHOR['forward_ms']} / {ANCHOR['forward+backward_ms']} ms: predicted "
                      f"{row['forward_ms'] / ANCHOR['forward_ms']:.2f}x / "
                      f"{row['forward+backward_ms'] / ANCHOR['forward+backward_ms']:.2f}x")
        print(f"{cell:4} {dtype:8} {hidden:5} {batch:3}  {row['plan']:32} {row['programs']:4} "
              f"{row['fwd_step_us']:7.2f}us {row['bwd_step_us']:7.2f}us {row['forward_ms']:8.2f} "
              f"{row['forward+backward_ms']:8.2f} {row['old_forward_ms']:8.2f} {row['old_forward+backward_ms']:8.2f}  "
              f"{anchor}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
