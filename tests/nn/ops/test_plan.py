"""The plan of a launch: grid size, residency, register bound, table look-up and the interpreter's plan."""

from __future__ import annotations

import pytest

pytest.importorskip("triton", reason="triton is not installed (pip install triton)")

import torch  # noqa: E402

from rnnlab.nn.ops.plan import INTERPRET_GRID_ENV, TABLE, Plan, bucket, interpreter_plan, table_plan  # noqa: E402


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
    assert table_plan(86, torch.bfloat16, 1, 200, 700) == TABLE[(80, torch.bfloat16, 1, 768, 64)]
    beyond = table_plan(90, torch.bfloat16, 4, 16, 2048)
    assert not beyond.resident(2048) and beyond.units == 16


def test_the_interpreter_runs_one_program_unless_asked_for_the_gpu_grid(monkeypatch):
    monkeypatch.delenv(INTERPRET_GRID_ENV, raising=False)
    plan = interpreter_plan(17, 100, 4, torch.float32)
    assert plan.programs(17, 100) == 1 and not plan.persistent and plan.resident(100)
    monkeypatch.setenv(INTERPRET_GRID_ENV, "gpu")
    gpu = interpreter_plan(17, 100, 4, torch.float32)
    assert gpu.programs(17, 100) >= 4 and not gpu.persistent
    monkeypatch.setenv(INTERPRET_GRID_ENV, "many")
    with pytest.raises(ValueError, match="RNNLAB_TRITON_INTERPRET_GRID must be 'single' or 'gpu', got 'many'"):
        interpreter_plan(17, 100, 4, torch.float32)
