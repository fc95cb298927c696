"""The triton backend on a CUDA GPU against torch.nn (cuDNN) and the loop backend.

Relative error: max |actual − expected| / max |expected| for each output, final state and gradient
(input, initial states, every parameter). Every kernel buffer starts as NaN (RNNLAB_POISON_BUFFERS).
- float32, TF32 off everywhere: ≤ 1e-5 against torch.nn and loop; ≤ 5e-5 for T = 1024 and H = 1024.
- bfloat16 (state and accumulation in float32): against torch.nn in float32 on the same rounded
  weights and inputs, ≤ 3e-2 for outputs and states and ≤ 6e-2 for gradients, or at most twice the
  error of torch.nn's own bfloat16 run against that reference, whichever is larger.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import zlib
from dataclasses import dataclass

import pytest
import torch

import rnnlab.nn as rnn_nn
from rnnlab.models.backend_choice import relative_error

pytestmark = [
    pytest.mark.skipif(
        not torch.cuda.is_available(),
        reason="needs a CUDA GPU; the CPU interpreter runs tests/nn/ops/test_triton_interpreter.py",
    ),
    pytest.mark.skipif(importlib.util.find_spec("triton") is None, reason="triton is not installed"),
    pytest.mark.skipif(
        os.environ.get("TRITON_INTERPRET") == "1",
        reason="TRITON_INTERPRET=1 runs the interpreter, not the GPU",
    ),
]

FLOAT32_RTOL = 1e-5
FLOAT32_RTOL_LARGE = 5e-5
BF16_RTOL_VALUES = 3e-2
BF16_RTOL_GRADS = 6e-2
INPUT_SIZE = 5
MODULES = {"rnn": (rnn_nn.RNN, torch.nn.RNN), "lstm": (rnn_nn.LSTM, torch.nn.LSTM)}
NUM_STATES = {"rnn": 1, "lstm": 2}


@dataclass(frozen=True)
class Setup:
    cell: str
    seq_len: int
    batch: int
    hidden: int
    layers: int = 1
    bidirectional: bool = False
    with_state: bool = False

    @property
    def id(self) -> str:
        return (
            f"{self.cell}-T{self.seq_len}-B{self.batch}-H{self.hidden}-L{self.layers}"
            f"{'-bi' if self.bidirectional else ''}{'-hx' if self.with_state else ''}"
        )

    @property
    def large(self) -> bool:
        return self.seq_len >= 1024 or self.hidden >= 1024


# The full product of the CPU test factors, then long sequences and wide layers.
FLOAT32_SETUPS = [
    Setup(*values)
    for values in itertools.product(
        ("rnn", "lstm"), (1, 2, 63), (1, 17), (16, 48, 128), (1, 2), (False, True), (False, True)
    )
]
LARGE_SETUPS = [
    setup
    for cell in ("rnn", "lstm")
    for setup in (Setup(cell, 1024, 17, 128, with_state=True), Setup(cell, 32, 64, 1024, bidirectional=True))
]
BF16_SETUPS = [
    Setup(*values)
    for values in itertools.product(("rnn", "lstm"), (2, 63), (17,), (48, 128), (1, 2), (True,), (True,))
] + LARGE_SETUPS


@pytest.fixture(autouse=True)
def exact_float32_and_poisoned_buffers(monkeypatch):
    monkeypatch.setenv("RNNLAB_POISON_BUFFERS", "1")
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def make_inputs(setup: Setup, dtype: torch.dtype):
    """Input (T, B, I), initial states or None, and upstream gradients for output and final states."""
    generator = torch.Generator().manual_seed(zlib.crc32(setup.id.encode()))

    def random(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator).to("cuda", dtype)

    directions = 2 if setup.bidirectional else 1
    state_shape = (setup.layers * directions, setup.batch, setup.hidden)
    x = random(setup.seq_len, setup.batch, INPUT_SIZE)
    states = tuple(random(*state_shape) for _ in range(NUM_STATES[setup.cell])) if setup.with_state else None
    upstream = [random(setup.seq_len, setup.batch, directions * setup.hidden)]
    upstream += [random(*state_shape) for _ in range(NUM_STATES[setup.cell])]
    return x, states, upstream


def forward_and_grads(module, setup: Setup, x, states, upstream) -> dict[str, torch.Tensor]:
    """Outputs, final states and gradients of a fixed linear loss w.r.t. input, states and parameters."""
    x = x.detach().requires_grad_()
    states = None if states is None else tuple(state.detach().requires_grad_() for state in states)
    hx = None if states is None else (states[0] if setup.cell == "rnn" else states)
    output, hidden = module(x, hx)
    results = [output, *(hidden if isinstance(hidden, tuple) else (hidden,))]
    loss = sum((value.float() * weight.float()).sum() for value, weight in zip(results, upstream))
    names = [name for name, _ in module.named_parameters()]
    grads = torch.autograd.grad(loss, [x, *(states or ()), *module.parameters()])
    leading = 1 + len(states or ())  # x and the initial states come before the parameters
    values = {f"value[{index}]": value.detach() for index, value in enumerate(results)}
    values.update({f"grad[{name}]": grad for name, grad in zip(["x", "h0", "c0"], grads[:leading])})
    values.update({f"grad[{name}]": grad for name, grad in zip(names, grads[leading:])})
    return values


def build(setup: Setup, backend: str | None, dtype: torch.dtype, like: torch.nn.Module | None = None):
    ours_cls, torch_cls = MODULES[setup.cell]
    cls = torch_cls if backend is None else ours_cls
    options = dict(num_layers=setup.layers, bidirectional=setup.bidirectional, device="cuda", dtype=dtype)
    module = cls(INPUT_SIZE, setup.hidden, **options, **({} if backend is None else {"backend": backend}))
    if like is not None:
        module.load_state_dict({name: value.to(dtype) for name, value in like.state_dict().items()})
    return module


@pytest.mark.parametrize("setup", FLOAT32_SETUPS + LARGE_SETUPS, ids=lambda setup: setup.id)
def test_float32_matches_cudnn_and_loop(setup: Setup) -> None:
    torch.manual_seed(zlib.crc32(setup.id.encode()))
    ours = build(setup, "triton", torch.float32)
    x, states, upstream = make_inputs(setup, torch.float32)
    actual = forward_and_grads(ours, setup, x, states, upstream)
    limit = FLOAT32_RTOL_LARGE if setup.large else FLOAT32_RTOL
    for name, backend in (("torch.nn", None), ("loop", "loop")):
        expected = forward_and_grads(build(setup, backend, torch.float32, ours), setup, x, states, upstream)
        assert actual.keys() == expected.keys()
        for key, value in expected.items():
            error = relative_error(actual[key], value)
            assert error <= limit, f"{key} against {name}: relative error {error:.2e} > {limit:.0e}"


@pytest.mark.parametrize("setup", BF16_SETUPS, ids=lambda setup: setup.id)
def test_bfloat16_is_as_close_to_float32_as_cudnn(setup: Setup) -> None:
    torch.manual_seed(zlib.crc32(setup.id.encode()))
    ours = build(setup, "triton", torch.bfloat16)
    x, states, upstream = make_inputs(setup, torch.bfloat16)
    actual = forward_and_grads(ours, setup, x, states, upstream)
    cudnn = forward_and_grads(build(setup, None, torch.bfloat16, ours), setup, x, states, upstream)
    to_float = (lambda tensors: None if tensors is None else tuple(tensor.float() for tensor in tensors))
    reference = forward_and_grads(
        build(setup, None, torch.float32, ours), setup, x.float(), to_float(states), list(to_float(upstream))
    )
    for key, value in reference.items():
        assert torch.isfinite(actual[key]).all(), f"{key} has non-finite values"
        tolerance = BF16_RTOL_VALUES if key.startswith("value") else BF16_RTOL_GRADS
        limit = max(tolerance, 2 * relative_error(cudnn[key], value))
        error = relative_error(actual[key], value)
        assert error <= limit, f"{key}: relative error {error:.2e} > {limit:.2e} against float32"


def test_modules_on_cuda_default_to_triton() -> None:
    module = rnn_nn.LSTM(INPUT_SIZE, 16, device="cuda")
    assert module.backend is None and rnn_nn.default_backend("cuda") == "triton"
    output, _ = module(torch.randn(3, 2, INPUT_SIZE, device="cuda"))
    assert output.shape == (3, 2, 16) and torch.isfinite(output).all()
