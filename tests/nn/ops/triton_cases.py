"""The Triton kernels on the CPU interpreter against torch.nn and the loop backend, in float32.

Not collected by default: TRITON_INTERPRET=1 must be set before triton is imported, so
test_triton_interpreter.py runs this file in a subprocess (with RNNLAB_POISON_BUFFERS=1, so every
buffer the kernels write starts as NaN and an unwritten element fails the comparisons).

The interpreter runs the grid an H100 would run, in kernel-boundary mode: P = ceil(H / 16) ×
ceil(B / 16) programs, one launch per step when there is more than one unit block. It pays per
operation, program and launch, so CASES covers every pair of factor values (not their product) at
the least cost: the long sequences (T = 63) with several unit blocks run the RNN on one row. The
structure cases (every cell, depth, direction and initial state over nine steps) test how layers and
directions are stacked, which does not depend on the grid, on one program per layer
(RNNLAB_TRITON_INTERPRET_GRID=single); the layer tests compare every mode and plan with each other,
and one launches the persistent mode with several programs, which must end in the time-out error.
RNNLAB_TRITON_FULL_GRID=1 runs the full product of the factors instead of CASES (hours; not for CI).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
import zlib
from dataclasses import dataclass

import pytest

if os.environ.get("TRITON_INTERPRET") != "1":
    pytest.skip(
        "needs TRITON_INTERPRET=1 before triton is imported; run tests/nn/ops/test_triton_interpreter.py",
        allow_module_level=True,
    )
pytest.importorskip("triton", reason="triton is not installed (pip install triton)")

import torch  # noqa: E402

import rnnlab.nn as rnn_nn  # noqa: E402
from rnnlab.models.backend_choice import relative_error  # noqa: E402
from rnnlab.nn.backends.triton import TritonBackendError  # noqa: E402
from rnnlab.nn.ops.barrier import TIMEOUT_ENV  # noqa: E402
from rnnlab.nn.ops.fused import POISON_ENV, new_buffer  # noqa: E402
from rnnlab.nn.ops.lstm.launch import lstm_backward, lstm_forward  # noqa: E402
from rnnlab.nn.ops.plan import INTERPRET_GRID_ENV, Plan, choose_plan  # noqa: E402
from rnnlab.nn.ops.rnn.launch import rnn_backward, rnn_forward  # noqa: E402

# Largest relative error allowed: max |actual − expected| / max |expected| per tensor.
RTOL = 1e-5
INPUT_SIZE = 5
MODULES = {"rnn": (rnn_nn.RNN, torch.nn.RNN), "lstm": (rnn_nn.LSTM, torch.nn.LSTM)}
NUM_STATES = {"rnn": 1, "lstm": 2}
GATES = {"rnn": 1, "lstm": 4}
# Factors of the comparison; CASES holds every pair of values of any two factors at least once.
FACTORS = {
    "cell": ("rnn", "lstm"),
    "seq_len": (1, 2, 63),
    "batch": (1, 17),
    "hidden": (16, 48, 100, 128),
    "layers": (1, 2),
    "bidirectional": (False, True),
    "with_state": (False, True),
}


@dataclass(frozen=True)
class Case:
    cell: str
    seq_len: int
    batch: int
    hidden: int
    layers: int
    bidirectional: bool
    with_state: bool
    batch_first: bool = False

    @property
    def id(self) -> str:
        return (
            f"{self.cell}-T{self.seq_len}-B{self.batch}-H{self.hidden}-L{self.layers}"
            f"{'-bi' if self.bidirectional else ''}{'-hx' if self.with_state else ''}"
            f"{'-bf' if self.batch_first else ''}"
        )


CASES = [
    Case("rnn", 1, 1, 16, 1, True, True, batch_first=True),
    Case("lstm", 1, 1, 16, 2, False, False),
    Case("rnn", 1, 17, 48, 1, False, True),
    Case("rnn", 1, 1, 48, 2, True, True),
    Case("rnn", 1, 1, 100, 1, True, True),
    Case("rnn", 1, 17, 100, 2, False, False),
    Case("rnn", 1, 1, 128, 1, True, True),
    Case("rnn", 1, 17, 128, 2, False, False),
    Case("lstm", 1, 1, 128, 1, False, False),
    Case("rnn", 2, 17, 16, 2, False, False),
    Case("lstm", 2, 1, 16, 1, False, True),
    Case("lstm", 2, 17, 16, 1, True, False),
    Case("lstm", 2, 1, 48, 1, False, False, batch_first=True),
    Case("lstm", 2, 1, 100, 1, False, False),
    Case("rnn", 2, 1, 128, 1, False, False),
    Case("rnn", 63, 1, 16, 1, False, True),
    Case("rnn", 63, 1, 16, 2, True, False),
    Case("rnn", 63, 17, 16, 1, False, False),
    Case("lstm", 63, 1, 16, 1, False, False),
    Case("rnn", 63, 1, 48, 1, False, False),
    Case("rnn", 63, 1, 100, 1, False, False),
    Case("rnn", 63, 1, 128, 1, False, False),
]
if os.environ.get("RNNLAB_TRITON_FULL_GRID") == "1":
    CASES = [Case(*values) for values in itertools.product(*FACTORS.values())]
# Every structure (cell, layers, directions, initial state) over several steps, with a batch tail.
STRUCTURE_CASES = [
    Case(cell, 9, 17, 48, layers, bidirectional, with_state)
    for cell, layers, bidirectional, with_state in itertools.product(
        FACTORS["cell"], FACTORS["layers"], FACTORS["bidirectional"], FACTORS["with_state"]
    )
]


def forward_and_grads(module, case, x, states, upstream) -> dict[str, torch.Tensor]:
    """Outputs, final states and gradients of a fixed linear loss w.r.t. input, states and parameters."""
    hx = None if states is None else (states[0] if case.cell == "rnn" else states)
    output, hidden = module(x, hx)
    results = [output, *(hidden if isinstance(hidden, tuple) else (hidden,))]
    loss = sum((value * weight).sum() for value, weight in zip(results, upstream))
    names = [name for name, _ in module.named_parameters()]
    wrt = [x, *(states or ()), *module.parameters()]
    grads = torch.autograd.grad(loss, wrt)
    leading = 1 + len(states or ())  # x and the initial states come before the parameters
    values = {f"value[{index}]": value for index, value in enumerate(results)}
    values.update({f"grad[{name}]": grad for name, grad in zip(["x", "h0", "c0"], grads[:leading])})
    values.update({f"grad[{name}]": grad for name, grad in zip(names, grads[leading:])})
    return values


def compare_with_torch_and_loop(case: Case) -> None:
    generator = torch.Generator().manual_seed(zlib.crc32(case.id.encode()))
    ours_cls, torch_cls = MODULES[case.cell]
    options = dict(num_layers=case.layers, bidirectional=case.bidirectional, batch_first=case.batch_first)
    triton_module = ours_cls(INPUT_SIZE, case.hidden, backend="triton", **options)
    loop_module = ours_cls(INPUT_SIZE, case.hidden, backend="loop", **options)
    reference = torch_cls(INPUT_SIZE, case.hidden, **options)
    loop_module.load_state_dict(triton_module.state_dict())
    reference.load_state_dict(triton_module.state_dict())

    x_shape = (case.batch, case.seq_len) if case.batch_first else (case.seq_len, case.batch)
    x = torch.randn(*x_shape, INPUT_SIZE, generator=generator).requires_grad_()
    directions = 2 if case.bidirectional else 1
    state_shape = (case.layers * directions, case.batch, case.hidden)
    states = None
    if case.with_state:
        states = tuple(
            torch.randn(*state_shape, generator=generator).requires_grad_()
            for _ in range(NUM_STATES[case.cell])
        )
    upstream = [torch.randn(*x_shape, directions * case.hidden, generator=generator)]
    upstream += [torch.randn(*state_shape, generator=generator) for _ in range(NUM_STATES[case.cell])]

    actual = forward_and_grads(triton_module, case, x, states, upstream)
    for name, other in (("torch.nn", reference), ("loop", loop_module)):
        expected = forward_and_grads(other, case, x, states, upstream)
        assert actual.keys() == expected.keys()
        for key, value in expected.items():
            assert torch.isfinite(actual[key]).all(), f"{key} has non-finite values"
            error = relative_error(actual[key], value)
            assert error <= RTOL, f"{key} against {name}: relative error {error:.2e} > {RTOL:.0e}"


@pytest.mark.parametrize("setup", CASES, ids=[case.id for case in CASES])
def test_outputs_states_and_gradients_match_torch_and_loop(setup: Case) -> None:
    compare_with_torch_and_loop(setup)


@pytest.mark.parametrize("setup", STRUCTURE_CASES, ids=[case.id for case in STRUCTURE_CASES])
def test_every_structure_on_one_program_per_layer(setup: Case, monkeypatch) -> None:
    monkeypatch.setenv(INTERPRET_GRID_ENV, "single")
    compare_with_torch_and_loop(setup)


def test_by_default_the_interpreter_runs_the_gpu_grid_with_kernel_boundaries(monkeypatch) -> None:
    monkeypatch.delenv(INTERPRET_GRID_ENV, raising=False)
    grids = {case.id: choose_plan(case.batch, case.hidden, GATES[case.cell], torch.float32, torch.device("cpu"))
             for case in CASES}
    assert not any(plan.persistent for plan in grids.values())
    several = [case for case in CASES if grids[case.id].programs(case.batch, case.hidden) >= 4 and case.seq_len > 1]
    assert {case.cell for case in several} == {"rnn", "lstm"} and {case.hidden for case in several} >= {100, 128}


def test_cases_cover_every_pair_of_factor_values() -> None:
    names = list(FACTORS)
    for first, second in itertools.combinations(names, 2):
        seen = {(getattr(case, first), getattr(case, second)) for case in CASES}
        missing = set(itertools.product(FACTORS[first], FACTORS[second])) - seen
        assert not missing, f"no case has ({first}, {second}) in {sorted(missing)}"


def test_poison_fills_new_buffers_with_nan() -> None:
    assert os.environ.get(POISON_ENV) == "1", "the interpreter run sets RNNLAB_POISON_BUFFERS=1"
    assert torch.isnan(new_buffer((2, 3), torch.device("cpu"))).all()


# Every mode and grid against the default plan (the H100's grid: 14 programs of 16 units and 16 rows,
# one launch per step), at H = 100: 16-unit programs leave a tail of 4 units, 16-row programs a tail of
# 1 row, and 64- or 16-wide K pieces of the streamed weights tails of 36 and 4.
PLANS = {
    "persistent-one-program": Plan(units=128, block_b=32, persistent=True),
    "one-program-all-steps-in-one-launch": Plan(units=128, block_b=32),
    "boundaries-14-programs-streamed": Plan(units=16, block_b=16, stays_on_chip=False),
    "boundaries-14-programs-streamed-16": Plan(units=16, block_b=16, num_warps=8, stays_on_chip=False, stream_k=16),
    "boundaries-4-programs-wide-units": Plan(units=32, block_b=32, num_warps=8),
}


def run_layer(cell: str, reverse: bool, plan: Plan | None, inputs: tuple) -> tuple[torch.Tensor, ...]:
    """Every buffer the forward and backward kernels write, for one layer."""
    xw, w_hh, h0, c0, dh_n, dc_n, dout = inputs
    if cell == "rnn":
        states = rnn_forward(xw, w_hh, h0, reverse, plan)
        return states, rnn_backward(dout, dh_n, states, w_hh, reverse, plan)
    saved = lstm_forward(xw, w_hh, h0, c0, reverse, True, plan)
    return (saved.hidden, saved.cell, saved.gates, *lstm_backward(dout, dh_n, dc_n, saved, w_hh, reverse, plan))


@pytest.mark.parametrize("plan", list(PLANS))
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_every_mode_and_grid_agrees_with_the_default(cell: str, reverse: bool, plan: str) -> None:
    generator = torch.Generator().manual_seed(7)
    steps, batch, hidden = 2, 17, 100
    xw = torch.randn(steps, batch, GATES[cell] * hidden, generator=generator)
    w_hh = 0.3 * torch.randn(GATES[cell] * hidden, hidden, generator=generator)
    states = tuple(torch.randn(batch, hidden, generator=generator) for _ in range(4))
    inputs = (xw, w_hh, *states, torch.randn(steps, batch, hidden, generator=generator))
    assert PLANS[plan].programs(batch, hidden) in (1, 4, 14)
    expected = run_layer(cell, reverse, None, inputs)
    for actual, wanted in zip(run_layer(cell, reverse, PLANS[plan], inputs), expected, strict=True):
        assert torch.isfinite(actual).all(), "a kernel left part of a buffer unwritten"
        assert relative_error(actual, wanted) <= RTOL


def test_persistent_mode_with_several_programs_ends_in_the_time_out_error() -> None:
    """The interpreter runs programs one after another, so the first waits at the barrier in vain; the
    launch must end in the error (here after a 0.3 s time-out), not hang. A child process, so a hang
    is killed by the subprocess time-out instead of blocking the run."""
    code = textwrap.dedent(
        """
        import torch
        from rnnlab.nn.ops.barrier import BarrierTimeoutError
        from rnnlab.nn.ops.plan import Plan
        from rnnlab.nn.ops.rnn.launch import rnn_forward
        plan = Plan(units=16, block_b=16, persistent=True)
        try:
            rnn_forward(torch.randn(3, 17, 48), torch.randn(48, 48), torch.zeros(17, 48), False, plan)
        except BarrierTimeoutError as error:
            print(error)
        """
    )
    env = {**os.environ, TIMEOUT_ENV: "0.3"}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "grid barrier of the persistent RNN forward kernel (6 programs) timed out after 0.3 s" in run.stdout
    assert "set the backend to torch" in run.stdout


def test_dropout_between_layers_draws_the_loop_backends_masks() -> None:
    torch.manual_seed(0)
    ours = rnn_nn.LSTM(INPUT_SIZE, 16, num_layers=2, dropout=0.5, backend="triton")
    loop = rnn_nn.LSTM(INPUT_SIZE, 16, num_layers=2, dropout=0.5, backend="loop")
    loop.load_state_dict(ours.state_dict())
    x = torch.randn(4, 3, INPUT_SIZE)
    torch.manual_seed(1)
    actual = ours(x)[0]
    torch.manual_seed(1)
    expected = loop(x)[0]
    assert relative_error(actual, expected) <= RTOL
    torch.manual_seed(2)
    assert relative_error(ours(x)[0], expected) > 1e-3, "dropout must change the output in training"


def test_unbatched_input_and_inference_without_gradients() -> None:
    module = rnn_nn.LSTM(INPUT_SIZE, 16, backend="triton")
    reference = torch.nn.LSTM(INPUT_SIZE, 16)
    reference.load_state_dict(module.state_dict())
    x = torch.randn(6, INPUT_SIZE)
    with torch.no_grad():
        output, (h_n, c_n) = module(x)
        expected, (h_ref, c_ref) = reference(x)
    assert output.shape == (6, 16) and h_n.shape == (1, 16)
    for actual, wanted in ((output, expected), (h_n, h_ref), (c_n, c_ref)):
        assert relative_error(actual, wanted) <= RTOL


def test_bfloat16_on_the_interpreter_is_refused_clearly() -> None:
    module = rnn_nn.RNN(INPUT_SIZE, 16, backend="triton", dtype=torch.bfloat16)
    with pytest.raises(TritonBackendError, match="interpreter runs float32 only"):
        module(torch.randn(3, 2, INPUT_SIZE, dtype=torch.bfloat16))
