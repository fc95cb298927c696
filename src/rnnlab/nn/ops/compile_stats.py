"""Compile the tile kernels for a GPU target without a GPU, and read what the result uses on chip.

Triton compiles ahead of time for a named target; the ptxas it ships (run again with ``-v`` on the
PTX, as Triton runs it) reports registers and spill stores per thread, and the compile metadata
holds the shared memory per program.
Arguments are specialised as a launch would specialise them: pointers and H divisible by 16.

    python -m rnnlab.nn.ops.compile_stats --derive [ARCH ...]   # the rows of plan.py:ROWS, by the table's rule
    python -m rnnlab.nn.ops.compile_stats [ARCH ...]            # the tables of ops/README.md, every row checked

Without ``--derive`` every cell of the table and every fallback tile is compiled and checked (0 spills,
shared memory within the part, P within its SMs, the barrier's atomics in the PTX); the command
prints the README tables and exits 1 if any row fails.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
import triton
from triton.backends.compiler import GPUTarget
from triton.backends.nvidia.compiler import get_ptxas, sm_arch_from_capability
from triton.compiler import ASTSource

from .common import dot_precision
from .plan import BATCH_BUCKETS, HIDDEN_BUCKETS, PARTS, Plan, table_plan
from .recurrence import backward_kernel, forward_kernel

KERNELS = {"forward": forward_kernel, "backward": backward_kernel}
TRITON_DTYPES = {torch.float32: "fp32", torch.bfloat16: "bf16"}
# Pointers in the weights' dtype; the others are float32 except the barrier's int32 flags.
WEIGHT_POINTERS = {"forward": ("xw_ptr", "w_ptr"), "backward": ("w_ptr",)}
FLAG_POINTERS = ("count_ptr", "status_ptr")
# The grid barrier in PTX: one thread's release-ordered add, the relaxed polling load, the fence after
# it that gives the poll acquire ordering, and the time-out's clock. Triton 3.9 emits that fence as
# fence.acquire.gpu for sm_90 and as the stronger fence.acq_rel.gpu for sm_80; either orders the
# other programs' stores of the step before this program's later loads.
BARRIER_PTX = {
    80: ("red.global.gpu.release.add", "ld.relaxed.gpu.global", "fence.acq_rel.gpu", "%globaltimer"),
    90: ("red.global.gpu.release.add", "ld.relaxed.gpu.global", "fence.acquire.gpu", "%globaltimer"),
}


@dataclass(frozen=True)
class KernelStats:
    """On-chip use of one compiled kernel, per thread (registers, spills) and per program (shared)."""

    registers: int
    spill_bytes: int
    shared_bytes: int
    ptx: str


def signature(direction: str, dtype: torch.dtype) -> dict[str, str]:
    kernel = KERNELS[direction]
    types: dict[str, str] = {}
    for param in kernel.params:
        name = param.name
        if param.is_constexpr:
            types[name] = "constexpr"
        elif name.endswith("_ptr"):
            kind = "i32" if name in FLAG_POINTERS else (
                TRITON_DTYPES[dtype] if name in WEIGHT_POINTERS[direction] else "fp32")
            types[name] = f"*{kind}"
        elif name == "timeout_ns":
            types[name] = "i64"
        else:
            types[name] = "i32"
    return types


def compile_kernel(direction: str, gates: int, dtype: torch.dtype, plan: Plan, hidden: int, arch: int,
                   persistent: bool = True):
    """The compiled kernel (forward or backward) of ``plan`` at ``hidden`` for sm_``arch``."""
    kernel = KERNELS[direction]
    types = signature(direction, dtype)
    constexprs = dict(GATES=gates, REVERSE=0, PERSISTENT=persistent, RESIDENT=plan.resident(hidden),
                      PRECISION=dot_precision(dtype) if dtype != torch.float32 else "ieee",
                      UNITS=plan.units, BLOCK_B=plan.block_b, BLOCK_K=plan.block_k(hidden))
    if direction == "forward":
        constexprs["SAVE_GATES"] = True
    divisible = [name for name, kind in types.items() if kind.startswith("*") or name == "H"]
    attrs = {(kernel.arg_names.index(name),): [["tt.divisibility", 16]] for name in divisible}
    source = ASTSource(fn=kernel, signature=types, constexprs=constexprs, attrs=attrs)
    options = {**plan.compiler_options(), "launch_cooperative_grid": persistent}
    return triton.compile(source, target=GPUTarget("cuda", arch, 32), options=options)


def kernel_stats(compiled, arch: int) -> KernelStats:
    """Registers and spill stores per thread (ptxas -v), shared memory per program, and the PTX."""
    with tempfile.TemporaryDirectory() as folder:
        ptx = Path(folder) / "kernel.ptx"
        ptx.write_text(compiled.asm["ptx"])
        command = [get_ptxas(arch).path, "-v", "--regAllocOptLevel=2", f"--gpu-name={sm_arch_from_capability(arch)}",
                   str(ptx), "-o", str(Path(folder) / "kernel.cubin")]
        log = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    registers = re.search(r"Used (\d+) registers", log)
    spills = re.search(r"(\d+) bytes spill stores", log)
    if not registers or not spills:
        raise RuntimeError(f"ptxas -v printed no register use:\n{log}")
    return KernelStats(registers=int(registers.group(1)), spill_bytes=int(spills.group(1)),
                       shared_bytes=compiled.metadata.shared, ptx=compiled.asm["ptx"])


def table_cells() -> list[tuple[int, torch.dtype, int, int, int]]:
    """Every (arch, dtype, gates, H, B) the compile tests and the README cover."""
    return [(arch, dtype, gates, hidden, batch) for arch in PARTS for dtype in TRITON_DTYPES for gates in (1, 4)
            for hidden in HIDDEN_BUCKETS for batch in BATCH_BUCKETS]


def fits(plan: Plan, arch: int, dtype: torch.dtype, gates: int, block_k: int, resident: bool) -> bool:
    """Whether forward and backward of ``plan`` compile without spills, within the part's shared memory
    (H enters only through the constexprs ``block_k`` and ``resident``)."""
    return all(usage.spill_bytes == 0 and usage.shared_bytes <= PARTS[arch]["shared"]
               for usage in plan_stats(plan, arch, dtype, gates, block_k, resident))


# Slices larger than this spilled the backward kernel in every case compiled (bfloat16 LSTM at
# H = 1024, float32 LSTM at H = 512), and so did a whole-H float32 operand of 64 rows at H = 1024
# (256 KiB), so the rule keeps on chip only slices and operands up to this size.
RESIDENT_LIMIT_BYTES = 64 * 1024


def candidates(rows: int, gates: int, dtype: torch.dtype, hidden: int) -> list[Plan]:
    """The configurations the rule tries, in order of preference, for ``rows`` rows per program."""
    width = Plan(16, rows).block_k(hidden)
    slice_bytes = gates * width * 16 * (torch.finfo(dtype).bits // 8)
    small = max(slice_bytes, rows * width * 4) <= RESIDENT_LIMIT_BYTES
    resident = [Plan(16, rows, num_warps=warps) for warps in (4, 8)] if small else []
    streamed = [Plan(16, rows, num_warps=warps, stays_on_chip=False, stream_k=k) for k in (64, 32) for warps in (4, 8)]
    return resident + streamed


def derive_plan(arch: int, dtype: torch.dtype, gates: int, hidden: int, batch: int) -> Plan | None:
    """The table's rule (ops/README.md, "Configurations"): 16 units per program; the fewest rows per
    program (16, 32, 64) that keep P within the part's SMs; the first of :func:`candidates` that fits
    on chip (a resident slice, and h operand, of at most 64 KiB with 4, then 8 warps; then streamed in pieces of 64,
    then 32, with 4, then 8 warps); None if none does."""
    rows = next((size for size in (16, 32, 64) if Plan(16, size).programs(batch, hidden) <= PARTS[arch]["sms"]), 64)
    for plan in candidates(rows, gates, dtype, hidden):
        if fits(plan, arch, dtype, gates, plan.block_k(hidden), plan.resident(hidden)):
            return plan
    return None


@functools.lru_cache(maxsize=None)
def plan_stats(plan: Plan, arch: int, dtype: torch.dtype, gates: int, block_k: int,
               resident: bool) -> tuple[KernelStats, ...]:
    """(forward, backward) statistics, once per distinct kernel (H enters only through the constexprs)."""
    hidden = block_k if resident else 2 * block_k
    return tuple(kernel_stats(compile_kernel(d, gates, dtype, plan, hidden, arch), arch) for d in KERNELS)


def problems(plan: Plan, arch: int, dtype: torch.dtype, gates: int, hidden: int, batch: int) -> list[str]:
    """What keeps ``plan`` at (H, B) from running persistently on the part of ``arch``: spills, shared
    memory above the part's limit, more programs than SMs, barrier atomics missing from the PTX."""
    part = PARTS[arch]
    found = []
    programs = plan.programs(batch, hidden)
    if programs > part["sms"]:
        found.append(f"{programs} programs > {part['sms']} SMs of an {part['name']}")
    stats = plan_stats(plan, arch, dtype, gates, plan.block_k(hidden), plan.resident(hidden))
    for direction, usage in zip(KERNELS, stats):
        if usage.spill_bytes:
            found.append(f"{direction}: {usage.spill_bytes} bytes of spills per thread ({usage.registers} registers)")
        if usage.shared_bytes > part["shared"]:
            found.append(f"{direction}: {usage.shared_bytes} bytes of shared memory > {part['shared']}")
        missing = [text for text in BARRIER_PTX[arch] if text not in usage.ptx]
        if missing:
            found.append(f"{direction}: the PTX lacks {missing}")
    return found


def fallback_cells() -> list[tuple[int, torch.dtype, int, int, int]]:
    """One (arch, dtype, gates, H, B) per tile of ``plan.FALLBACK_TILES``: H = 1536 with B = 16, 32, 64
    takes the three 16-unit tiles on both parts, H = 3072 with B = 64 the 32-unit one."""
    shapes = [(1536, 16), (1536, 32), (1536, 64), (3072, 64)]
    return [(arch, dtype, gates, hidden, batch) for arch in PARTS for dtype in TRITON_DTYPES for gates in (1, 4)
            for hidden, batch in shapes]


def table_row(arch: int, dtype: torch.dtype, gates: int, hidden: int, batch: int) -> tuple[str, list[str]]:
    """(the README row of the cell's plan, its problems)."""
    plan = table_plan(arch, dtype, gates, batch, hidden)
    stats = plan_stats(plan, arch, dtype, gates, plan.block_k(hidden), plan.resident(hidden))
    columns = [f"{s.registers}, {s.spill_bytes} B, {s.shared_bytes / 1024:.0f} KiB" for s in stats]
    on_chip = "resident" if plan.resident(hidden) else f"streamed ({plan.stream_k})"
    found = problems(plan, arch, dtype, gates, hidden, batch)
    row = (f"| {PARTS[arch]['name']} | {'LSTM' if gates == 4 else 'RNN'} | {TRITON_DTYPES[dtype]} | {hidden} | "
           f"{batch} | {plan.units} × {plan.block_b} | {plan.num_warps} | {on_chip} | "
           f"{plan.programs(batch, hidden)} | {columns[0]} | {columns[1]} | {'ok' if not found else 'FAILS'} |")
    return row, found


def main() -> int:
    derive = sys.argv[1:2] == ["--derive"]
    archs = {int(arch) for arch in sys.argv[1 + derive:]} or set(PARTS)
    cells = [cell for cell in table_cells() if cell[0] in archs]
    if derive:
        for arch, dtype, gates, hidden, batch in cells:
            plan = derive_plan(arch, dtype, gates, hidden, batch)
            if plan is None:
                print(f"    # ({arch}, {TRITON_DTYPES[dtype]!r}, {gates}, {hidden}, {batch}): no candidate fits", flush=True)
                continue
            print(f"    ({arch}, {TRITON_DTYPES[dtype]!r}, {gates}, {hidden}, {batch}, {plan.block_b}, {plan.num_warps}, "
                  f"{plan.stays_on_chip}, {plan.stream_k}),", flush=True)
        return 0
    header = ("| part | cell | dtype | H | B | U × BB | warps | W_hh slice | P | forward: regs, spills, shared | "
              "backward: regs, spills, shared | checked |\n|---|---|---|---|---|---|---|---|---|---|---|---|")
    failures = []
    for title, group in (("table", cells), ("fallback", [c for c in fallback_cells() if c[0] in archs])):
        for arch in sorted(archs):
            print(f"\n{title}, {PARTS[arch]['name']} (sm_{arch}), triton {triton.__version__}:\n{header}")
            for cell in (c for c in group if c[0] == arch):
                row, found = table_row(*cell)
                print(row, flush=True)
                failures += [f"{row.split(' | ')[:5]}: {problem}" for problem in found]
    print(f"\n{len(failures)} problems" + "".join(f"\n- {failure}" for failure in failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
