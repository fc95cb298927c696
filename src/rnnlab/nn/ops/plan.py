"""How the recurrence is split over the GPU: units and batch rows per program, warps, stages, mode.

A :class:`Plan` fixes the grid P = ceil(H / units) × ceil(B / block_b) of ``recurrence.py``. The
configurations for sm_80 and sm_90 come from :data:`TABLE`, chosen from compile statistics (registers,
spills, shared memory; ``compile_stats.py``, listed in ``ops/README.md``) and checked by
``tests/nn/ops/test_triton_compile.py``. Persistent mode is used wherever the grid fits on the device's SMs
(one program each); otherwise the same grid runs with kernel boundaries between steps.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import torch

from .common import ceil_div, is_interpreted, next_power_of_2

INTERPRET_GRID_ENV = "RNNLAB_TRITON_INTERPRET_GRID"
SMALLEST_DOT = 16  # tl.dot needs every dimension >= 16
REGISTERS_PER_SM = 64 * 1024  # 32-bit registers of every SM from sm_80 to sm_90
# The reference part of each table architecture: SMs, and the shared memory one block may use
# (NVIDIA's A100 and H100 SXM data sheets; CUDA C++ Programming Guide, "Compute Capabilities" table).
PARTS = {80: {"name": "A100", "sms": 108, "shared": 163 * 1024},
         90: {"name": "H100", "sms": 132, "shared": 227 * 1024}}
# Cell keys: (compute capability major·10 + minor, weights dtype, gates, H bucket, B bucket).
HIDDEN_BUCKETS = (128, 256, 512, 768, 1024)
BATCH_BUCKETS = (16, 64)


@dataclass(frozen=True)
class Plan:
    """Tiles and mode of one launch: ``units`` hidden units and ``block_b`` batch rows per program."""

    units: int
    block_b: int
    num_warps: int = 4
    num_stages: int = 1
    # Whether the weight slice is read once (before the time loop) rather than in pieces every step.
    stays_on_chip: bool = True
    persistent: bool = False
    # Width of the pieces a streamed slice is read in.
    stream_k: int = 64

    @property
    def max_registers(self) -> int:
        """Registers per thread ptxas may use: all of an SM's 64 Ki for the one program it runs, at most
        255. Without the bound, ptxas spills the LSTM kernels at well under 255 registers."""
        return min(255, REGISTERS_PER_SM // (32 * self.num_warps))

    def compiler_options(self) -> dict[str, int | bool]:
        """Triton's compiler options for this plan, the same for a launch and for ``compile_stats``.

        FP fusion (a*b + c as one FMA) is set, not left to Triton's default: Triton 3.9 enables it
        when ``TRITON_DEFAULT_FP_FUSION`` is unset and announces that 3.10 will disable it, which would
        change the kernels' rounding and speed with the Triton version."""
        return {"num_warps": self.num_warps, "num_stages": self.num_stages, "maxnreg": self.max_registers,
                "enable_fp_fusion": True}

    def unit_blocks(self, hidden: int) -> int:
        return ceil_div(hidden, self.units)

    def programs(self, batch: int, hidden: int) -> int:
        return self.unit_blocks(hidden) * ceil_div(batch, self.block_b)

    def block_k(self, hidden: int) -> int:
        """Width of the K pieces: all of H (padded to a power of two) when resident."""
        return max(SMALLEST_DOT, next_power_of_2(hidden)) if self.stays_on_chip else self.stream_k

    def resident(self, hidden: int) -> bool:
        return self.block_k(hidden) >= hidden


DTYPE_NAMES = {"fp32": torch.float32, "bf16": torch.bfloat16}
# (arch, dtype, gates, H bucket, B bucket, rows per program, warps, resident, streamed piece width),
# 16 units per program: printed by `python -m rnnlab.nn.ops.compile_stats --derive 80 90` (Triton 3.9).
ROWS = [
    (80, 'fp32', 1, 128, 16, 16, 4, True, 64),
    (80, 'fp32', 1, 128, 64, 16, 4, True, 64),
    (80, 'fp32', 1, 256, 16, 16, 4, True, 64),
    (80, 'fp32', 1, 256, 64, 16, 4, True, 64),
    (80, 'fp32', 1, 512, 16, 16, 4, True, 64),
    (80, 'fp32', 1, 512, 64, 32, 8, True, 64),
    (80, 'fp32', 1, 768, 16, 16, 4, True, 64),
    (80, 'fp32', 1, 768, 64, 32, 4, False, 64),
    (80, 'fp32', 1, 1024, 16, 16, 4, True, 64),
    (80, 'fp32', 1, 1024, 64, 64, 4, False, 64),
    (80, 'fp32', 4, 128, 16, 16, 4, True, 64),
    (80, 'fp32', 4, 128, 64, 16, 4, True, 64),
    (80, 'fp32', 4, 256, 16, 16, 8, True, 64),
    (80, 'fp32', 4, 256, 64, 16, 8, True, 64),
    (80, 'fp32', 4, 512, 16, 16, 8, False, 64),
    (80, 'fp32', 4, 512, 64, 32, 4, False, 32),
    (80, 'fp32', 4, 768, 16, 16, 8, False, 64),
    (80, 'fp32', 4, 768, 64, 32, 4, False, 32),
    (80, 'fp32', 4, 1024, 16, 16, 8, False, 64),
    (80, 'fp32', 4, 1024, 64, 64, 8, False, 32),
    (80, 'bf16', 1, 128, 16, 16, 4, True, 64),
    (80, 'bf16', 1, 128, 64, 16, 4, True, 64),
    (80, 'bf16', 1, 256, 16, 16, 4, True, 64),
    (80, 'bf16', 1, 256, 64, 16, 4, True, 64),
    (80, 'bf16', 1, 512, 16, 16, 4, True, 64),
    (80, 'bf16', 1, 512, 64, 32, 8, True, 64),
    (80, 'bf16', 1, 768, 16, 16, 4, True, 64),
    (80, 'bf16', 1, 768, 64, 32, 4, False, 64),
    (80, 'bf16', 1, 1024, 16, 16, 4, True, 64),
    (80, 'bf16', 1, 1024, 64, 64, 4, False, 64),
    (80, 'bf16', 4, 128, 16, 16, 4, True, 64),
    (80, 'bf16', 4, 128, 64, 16, 4, True, 64),
    (80, 'bf16', 4, 256, 16, 16, 8, True, 64),
    (80, 'bf16', 4, 256, 64, 16, 8, True, 64),
    (80, 'bf16', 4, 512, 16, 16, 4, False, 64),
    (80, 'bf16', 4, 512, 64, 32, 8, False, 64),
    (80, 'bf16', 4, 768, 16, 16, 4, False, 64),
    (80, 'bf16', 4, 768, 64, 32, 8, False, 64),
    (80, 'bf16', 4, 1024, 16, 16, 4, False, 64),
    (80, 'bf16', 4, 1024, 64, 64, 4, False, 32),
    (90, 'fp32', 1, 128, 16, 16, 4, True, 64),
    (90, 'fp32', 1, 128, 64, 16, 4, True, 64),
    (90, 'fp32', 1, 256, 16, 16, 4, True, 64),
    (90, 'fp32', 1, 256, 64, 16, 4, True, 64),
    (90, 'fp32', 1, 512, 16, 16, 4, True, 64),
    (90, 'fp32', 1, 512, 64, 16, 4, True, 64),
    (90, 'fp32', 1, 768, 16, 16, 4, True, 64),
    (90, 'fp32', 1, 768, 64, 32, 4, False, 64),
    (90, 'fp32', 1, 1024, 16, 16, 4, True, 64),
    (90, 'fp32', 1, 1024, 64, 32, 4, False, 64),
    (90, 'fp32', 4, 128, 16, 16, 4, True, 64),
    (90, 'fp32', 4, 128, 64, 16, 4, True, 64),
    (90, 'fp32', 4, 256, 16, 16, 8, True, 64),
    (90, 'fp32', 4, 256, 64, 16, 8, True, 64),
    (90, 'fp32', 4, 512, 16, 16, 8, False, 64),
    (90, 'fp32', 4, 512, 64, 16, 8, False, 64),
    (90, 'fp32', 4, 768, 16, 16, 8, False, 64),
    (90, 'fp32', 4, 768, 64, 32, 4, False, 32),
    (90, 'fp32', 4, 1024, 16, 16, 8, False, 64),
    (90, 'fp32', 4, 1024, 64, 32, 4, False, 32),
    (90, 'bf16', 1, 128, 16, 16, 4, True, 64),
    (90, 'bf16', 1, 128, 64, 16, 4, True, 64),
    (90, 'bf16', 1, 256, 16, 16, 4, True, 64),
    (90, 'bf16', 1, 256, 64, 16, 4, True, 64),
    (90, 'bf16', 1, 512, 16, 16, 4, True, 64),
    (90, 'bf16', 1, 512, 64, 16, 4, True, 64),
    (90, 'bf16', 1, 768, 16, 16, 4, True, 64),
    (90, 'bf16', 1, 768, 64, 32, 4, False, 64),
    (90, 'bf16', 1, 1024, 16, 16, 4, True, 64),
    (90, 'bf16', 1, 1024, 64, 32, 4, False, 64),
    (90, 'bf16', 4, 128, 16, 16, 4, True, 64),
    (90, 'bf16', 4, 128, 64, 16, 4, True, 64),
    (90, 'bf16', 4, 256, 16, 16, 8, True, 64),
    (90, 'bf16', 4, 256, 64, 16, 8, True, 64),
    (90, 'bf16', 4, 512, 16, 16, 8, False, 64),
    (90, 'bf16', 4, 512, 64, 16, 8, False, 64),
    (90, 'bf16', 4, 768, 16, 16, 8, False, 64),
    (90, 'bf16', 4, 768, 64, 32, 4, False, 32),
    (90, 'bf16', 4, 1024, 16, 16, 8, False, 64),
    (90, 'bf16', 4, 1024, 64, 32, 4, False, 32),
]
TABLE: dict[tuple[int, torch.dtype, int, int, int], Plan] = {
    (arch, DTYPE_NAMES[dtype], gates, hidden, batch): Plan(SMALLEST_DOT, rows, warps, stays_on_chip=resident,
                                                           stream_k=stream_k)
    for arch, dtype, gates, hidden, batch, rows, warps, resident, stream_k in ROWS
}


def bucket(value: int, buckets: tuple[int, ...]) -> int | None:
    """The smallest bucket >= value, or None beyond the last."""
    return next((size for size in buckets if value <= size), None)


# Tiles (units, rows) of the plans outside the table, fewest programs last; streamed in pieces of 16
# with 8 warps. They compile without spills for both cells and dtypes on sm_80 and sm_90 (checked by
# tests/nn/ops/test_triton_compile.py); the float32 LSTM spilled with 64 units per program, and on
# sm_90 with pieces of 32 (16 × 32 and 32 × 64 tiles).
FALLBACK_TILES = ((16, 16), (16, 32), (16, 64), (32, 64))
FALLBACK_PIECE = 16


def fallback_plan(batch: int, hidden: int, sms: int) -> Plan:
    """The plan outside the table (or where the table's grid exceeds the device's ``sms``): the first
    of :data:`FALLBACK_TILES` whose grid fits on the SMs, weights streamed from L2; where none fits
    (H above 32 units × SMs, or B above 64 rows with large H), the last, with kernel boundaries."""
    plans = [Plan(units=units, block_b=rows, num_warps=8, stays_on_chip=False, stream_k=FALLBACK_PIECE)
             for units, rows in FALLBACK_TILES]
    return next((plan for plan in plans if plan.programs(batch, hidden) <= sms), plans[-1])


def table_key(arch: int, dtype: torch.dtype, gates: int, batch: int, hidden: int) -> tuple | None:
    """The table cell of this shape (nearest larger buckets; sm_90 and up take sm_90's, the rest
    sm_80's), or None where the table has none (H above 1024, B above 64)."""
    h_bucket, b_bucket = bucket(hidden, HIDDEN_BUCKETS), bucket(batch, BATCH_BUCKETS)
    key = (90 if arch >= 90 else 80, dtype, gates, h_bucket, b_bucket)
    return key if key in TABLE else None


def table_plan(arch: int, dtype: torch.dtype, gates: int, batch: int, hidden: int, sms: int | None = None) -> Plan:
    """The table's configuration for this shape, or :func:`fallback_plan` where the table has none or
    its grid exceeds ``sms`` (default: the SMs of the architecture's reference part)."""
    sms = sms or PARTS[90 if arch >= 90 else 80]["sms"]
    key = table_key(arch, dtype, gates, batch, hidden)
    if key and TABLE[key].programs(batch, hidden) <= sms:
        return TABLE[key]
    return fallback_plan(batch, hidden, sms)


def interpreter_plan(batch: int, hidden: int, gates: int, dtype: torch.dtype) -> Plan:
    """The plan on the CPU interpreter, always with kernel boundaries (it runs the programs one after
    another, so a grid barrier could never be passed).

    By default the grid an H100 would run (P programs, one launch per step), so that CPU tests
    exercise the split over units and rows. The interpreter pays per operation, program and launch,
    not per element; RNNLAB_TRITON_INTERPRET_GRID=single runs one program over all units of up to
    64 rows and every step in one launch instead, several times faster.
    """
    grid = os.environ.get(INTERPRET_GRID_ENV, "gpu")
    if grid == "gpu":
        return replace(table_plan(90, dtype, gates, batch, hidden), persistent=False)
    if grid != "single":
        raise ValueError(f"{INTERPRET_GRID_ENV} must be 'gpu' or 'single', got {grid!r}")
    return Plan(units=max(SMALLEST_DOT, next_power_of_2(hidden)),
                block_b=min(64, max(SMALLEST_DOT, next_power_of_2(batch))))


def choose_plan(batch: int, hidden: int, gates: int, dtype: torch.dtype, device: torch.device) -> Plan:
    """The plan of one layer: the table's, persistent where the grid fits on the device's SMs."""
    if is_interpreted():
        return interpreter_plan(batch, hidden, gates, dtype)
    properties = torch.cuda.get_device_properties(device)
    sms = properties.multi_processor_count
    plan = table_plan(properties.major * 10 + properties.minor, dtype, gates, batch, hidden, sms)
    return replace(plan, persistent=plan.programs(batch, hidden) <= sms)
