"""Every configuration of the plan table compiles for its GPU without spilling; no GPU needed.

For sm_80 (A100) and sm_90 (H100), float32 and bfloat16, both cells, H in {128, 256, 512, 768, 1024}
and B in {16, 64}: the table's configuration compiles (forward and backward, persistent), with no
spills, with shared memory within the part's limit and with at most as many programs as the part has
SMs; the PTX holds the barrier's release add, its acquire poll (relaxed load and fence, per
architecture) and the global-timer read. The tiles of the fallback plans are checked the same way.

Compiling is slow on a CPU, and cells with the same tiles compile to the same kernel, so each
distinct kernel compiles once. Even so the whole set (80 table cells and 32 fallback cells, 146
distinct kernels) took 10 min wall (2 min 51 s of CPU) from an empty Triton cache on the project's
shared two-core machine, too long for every CI run. CI compiles the cells with H in CI_HIDDEN (every
architecture, dtype, cell and batch bucket; the smallest and the largest resident slices and
streamed ones) and the largest fallback tile: 64 + 8 kernels, 2 min 43 s there.
RNNLAB_COMPILE_ALL=1 compiles everything, as ``python -m rnnlab.nn.ops.compile_stats`` does when it
prints the README tables: every row there was compiled and checked by that command.
"""

from __future__ import annotations

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
from rnnlab.nn.ops.plan import FALLBACK_TILES, TABLE, table_plan  # noqa: E402

ALL = os.environ.get("RNNLAB_COMPILE_ALL") == "1"
CI_HIDDEN = (128, 512, 1024)
CELLS = [cell for cell in compile_stats.table_cells() if ALL or cell[3] in CI_HIDDEN]


def fallback_tile(cell) -> tuple[int, int]:
    arch, dtype, gates, hidden, batch = cell
    plan = table_plan(arch, dtype, gates, batch, hidden)
    return plan.units, plan.block_b


# In CI, the LSTM at the largest fallback tile, the one nearest to spilling.
FALLBACK_CELLS = [cell for cell in compile_stats.fallback_cells()
                  if ALL or (cell[2] == 4 and fallback_tile(cell) == FALLBACK_TILES[-1])]


def cell_id(cell) -> str:
    arch, dtype, gates, hidden, batch = cell
    return f"sm{arch}-{compile_stats.TRITON_DTYPES[dtype]}-{'lstm' if gates == 4 else 'rnn'}-H{hidden}-B{batch}"


def test_every_cell_of_both_architectures_has_its_own_table_entry():
    cells = compile_stats.table_cells()
    assert {cell[0] for cell in cells} == {80, 90}
    missing = [cell_id(cell) for cell in cells if cell not in TABLE]
    assert not missing, f"cells without a configuration: {missing}"


def test_the_fallback_cells_take_every_fallback_tile_on_both_parts():
    for arch in (80, 90):
        tiles = {fallback_tile(cell) for cell in compile_stats.fallback_cells() if cell[0] == arch}
        assert tiles == set(FALLBACK_TILES)


@pytest.mark.parametrize("cell", CELLS + FALLBACK_CELLS, ids=[cell_id(cell) for cell in CELLS + FALLBACK_CELLS])
def test_the_chosen_configuration_compiles_on_chip_within_the_part(cell):
    arch, dtype, gates, hidden, batch = cell
    plan = table_plan(arch, dtype, gates, batch, hidden)
    found = compile_stats.problems(plan, arch, dtype, gates, hidden, batch)
    assert not found, f"{plan}: {found}"


def test_the_kernels_compile_with_fp_fusion_on_whatever_triton_defaults_to():
    # Without the plan's option, Triton 3.10 compiles with fusion off: every multiply and add then
    # comes out as mul.rn/add.rn, which PTX forbids ptxas to contract into an FMA.
    plan = table_plan(90, torch.float32, 1, 16, 128)
    compiled = compile_stats.compile_kernel("forward", 1, torch.float32, plan, 128, 90)
    ptx = compiled.asm["ptx"]
    assert compiled.metadata.enable_fp_fusion is True
    assert "mul.rn.f32" not in ptx and "add.rn.f32" not in ptx and "fma.rn.f32" in ptx
