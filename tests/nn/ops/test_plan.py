"""The plan of a launch: grid size, residency, register bound, table look-up and the interpreter's plan."""

from __future__ import annotations

import pytest

pytest.importorskip("triton", reason="triton is not installed (pip install triton)")

import torch  # noqa: E402

from rnnlab.nn.ops.plan import (  # noqa: E402
    FALLBACK_TILES, INTERPRET_GRID_ENV, PARTS, TABLE, Plan, bucket, interpreter_plan, table_plan,
)


def test_grid_is_unit_blocks_times_batch_tiles():
    plan = Plan(units=16, block_b=16)
    assert plan.unit_blocks(100) == 7
    assert plan.programs(17, 100) == 14
    assert plan.programs(16, 1024) == 64


def test_resident_plans_take_all_of_h_at_once_and_streamed_ones_pieces():
    assert Plan(16, 16).block_k(100) == 128 and Plan(16, 16).resident(100)
    assert Plan(16, 16).block_k(8) == 16
    streamed = Plan(16, 16, stays_on_chip=False, stream_k=32)
    assert streamed.block_k(1024) == 32 and not streamed.resident(1024)
    assert streamed.resident(32), "a streamed plan whose one piece covers H is resident"


def test_registers_are_bounded_by_the_register_file_of_one_sm():
    assert Plan(16, 16, num_warps=4).max_registers == 255
    assert Plan(16, 16, num_warps=8).max_registers == 255
    assert Plan(16, 16, num_warps=16).max_registers == 128


def test_buckets_round_up_and_shapes_beyond_the_table_fall_back():
    assert bucket(100, (128, 256)) == 128 and bucket(256, (128, 256)) == 256 and bucket(300, (128, 256)) is None
    assert table_plan(90, torch.float32, 4, 16, 100) == TABLE[(90, torch.float32, 4, 128, 16)]
    assert table_plan(86, torch.bfloat16, 1, 50, 700) == TABLE[(80, torch.bfloat16, 1, 768, 64)]
    beyond = table_plan(90, torch.bfloat16, 4, 16, 2048)
    assert not beyond.resident(2048) and beyond.units == 16


@pytest.mark.parametrize("arch", sorted(PARTS))
def test_no_plan_has_more_programs_than_the_part_has_sms(arch):
    """Persistent mode needs every program on its own SM: the table and the fallback keep P within the
    SMs for every B up to 64 and H up to 32 units per program on every SM."""
    sms = PARTS[arch]["sms"]
    for dtype in (torch.float32, torch.bfloat16):
        for gates in (1, 4):
            for batch in (1, 16, 17, 33, 64):
                for hidden in range(16, 32 * sms + 1, 16):
                    plan = table_plan(arch, dtype, gates, batch, hidden)
                    assert plan.programs(batch, hidden) <= sms, (arch, dtype, gates, batch, hidden, plan)


def test_a_device_with_fewer_sms_than_the_reference_part_gets_a_grid_that_fits():
    assert TABLE[(90, torch.float32, 1, 512, 64)].programs(64, 512) == 128
    plan = table_plan(90, torch.float32, 1, 64, 512, sms=114)  # an H100 PCIe
    assert plan.programs(64, 512) <= 114 and (plan.units, plan.block_b) in FALLBACK_TILES


def test_beyond_the_fallback_tiles_the_largest_runs_with_kernel_boundaries():
    plan = table_plan(80, torch.float32, 4, 64, 8192)
    assert (plan.units, plan.block_b) == FALLBACK_TILES[-1] and plan.programs(64, 8192) > PARTS[80]["sms"]


def test_the_interpreter_runs_the_gpu_grid_unless_asked_for_one_program(monkeypatch):
    monkeypatch.delenv(INTERPRET_GRID_ENV, raising=False)
    gpu = interpreter_plan(17, 100, 4, torch.float32)
    assert gpu == table_plan(90, torch.float32, 4, 17, 100)
    assert gpu.programs(17, 100) >= 4 and not gpu.persistent
    monkeypatch.setenv(INTERPRET_GRID_ENV, "single")
    plan = interpreter_plan(17, 100, 4, torch.float32)
    assert plan.programs(17, 100) == 1 and not plan.persistent and plan.resident(100)
    monkeypatch.setenv(INTERPRET_GRID_ENV, "many")
    with pytest.raises(ValueError, match="RNNLAB_TRITON_INTERPRET_GRID must be 'gpu' or 'single', got 'many'"):
        interpreter_plan(17, 100, 4, torch.float32)
