"""Every configuration of the plan table compiles for its GPU without spilling; no GPU needed.

For sm_80 (A100) and sm_90 (H100), float32 and bfloat16, both cells, H in {128, ..., 1024} and B in
{16, 64}: the table's configuration compiles (forward and backward, persistent), with no spills, with
shared memory within the part's limit and with at most as many programs as the part has SMs; the
PTX holds the barrier's release add, acquire poll and global-timer read.

Compiling is slow on a CPU, and cells with the same tiles compile to the same kernel, so each
distinct kernel compiles once. CI compiles the cells with H in CI_HIDDEN; RNNLAB_COMPILE_ALL=1 adds
the others (``python -m rnnlab.nn.ops.compile_stats`` prints them all for the README).
"""

from __future__ import annotations

import functools
import importlib.util
import os

import pytest
import torch

if importlib.util.find_spec("triton") is None:
    pytest.skip("triton is not installed (pip install triton)", allow_module_level=True)
if os.environ.get("TRITON_INTERPRET") == "1":
    pytest.skip("TRITON_INTERPRET=1 builds interpreter kernels, which do not compile",
                allow_module_level=True)

from rnnlab.nn.ops import compile_stats  # noqa: E402
from rnnlab.nn.ops.plan import TABLE, table_plan  # noqa: E402

CI_HIDDEN = (128, 512)
CELLS = [cell for cell in compile_stats.table_cells()
         if cell[3] in CI_HIDDEN or os.environ.get("RNNLAB_COMPILE_ALL") == "1"]
# The barrier in PTX: one thread's release add, the acquire poll, the time-out's clock.
BARRIER_PTX = ("red.global.gpu.release.add", "fence.acquire.gpu", "%globaltimer")


def cell_id(cell) -> str:
    arch, dtype, gates, hidden, batch = cell
    return f"sm{arch}-{compile_stats.TRITON_DTYPES[dtype]}-{'lstm' if gates == 4 else 'rnn'}-H{hidden}-B{batch}"


@functools.lru_cache(maxsize=None)
def stats(direction: str, gates: int, dtype: torch.dtype, plan, block_k: int, resident: bool, arch: int):
    """Compile once per distinct kernel: H only enters through the constexprs ``block_k`` and ``resident``."""
    hidden = block_k if resident else 2 * block_k
    compiled = compile_stats.compile_kernel(direction, gates, dtype, plan, hidden, arch)
    return compile_stats.kernel_stats(compiled, arch)


def test_every_cell_has_its_own_table_entry():
    missing = [cell_id(cell) for cell in compile_stats.table_cells() if cell not in TABLE]
    assert not missing, f"cells without a configuration: {missing}"


@pytest.mark.parametrize("cell", CELLS, ids=[cell_id(cell) for cell in CELLS])
def test_the_chosen_configuration_compiles_on_chip_within_the_part(cell):
    arch, dtype, gates, hidden, batch = cell
    part = compile_stats.PARTS[arch]
    plan = table_plan(arch, dtype, gates, batch, hidden)
    programs = plan.programs(batch, hidden)
    assert programs <= part["sms"], f"{plan}: {programs} programs > {part['sms']} SMs of an {part['name']}"
    for direction in compile_stats.KERNELS:
        usage = stats(direction, gates, dtype, plan, plan.block_k(hidden), plan.resident(hidden), arch)
        what = f"{direction} {plan}: {usage.registers} registers"
        assert usage.spill_bytes == 0, f"{what}, {usage.spill_bytes} bytes of spills per thread"
        assert usage.shared_bytes <= part["shared"], f"{what}, {usage.shared_bytes} bytes of shared memory"
        missing = [text for text in BARRIER_PTX if text not in usage.ptx]
        assert not missing, f"{direction} {plan}: the PTX lacks {missing}"
