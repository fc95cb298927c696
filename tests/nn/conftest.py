"""Shared cases and the comparison against torch.nn used by the rnnlab.nn tests."""

from __future__ import annotations

import itertools
import zlib
from dataclasses import dataclass
from typing import Callable

import pytest
import torch

import rnnlab.nn as rnn_nn

MODULES = {
    "rnn": (rnn_nn.RNN, torch.nn.RNN),
    "lstm": (rnn_nn.LSTM, torch.nn.LSTM),
}
NUM_STATES = {"rnn": 1, "lstm": 2}


@dataclass(frozen=True)
class Case:
    seq_len: int
    batch: int
    input_size: int
    hidden_size: int
    num_layers: int
    bidirectional: bool
    batch_first: bool
    with_state: bool

    @property
    def id(self) -> str:
        return (
            f"T{self.seq_len}-B{self.batch}-I{self.input_size}-H{self.hidden_size}-L{self.num_layers}"
            f"{'-bi' if self.bidirectional else ''}{'-bf' if self.batch_first else ''}"
            f"{'-hx' if self.with_state else ''}"
        )


def covering_cases() -> list[Case]:
    """Every combination of layers, direction, layout and initial state; sizes cycle through odd values."""
    combos = itertools.product((1, 2, 3), (False, True), (False, True), (False, True))
    return [
        Case(
            seq_len=(1, 2, 7)[index % 3],
            batch=(1, 3)[(index // 3) % 2],
            input_size=(3, 5)[index % 2],
            hidden_size=(1, 4, 7)[(index // 2) % 3],
            num_layers=layers,
            bidirectional=bidirectional,
            batch_first=batch_first,
            with_state=with_state,
        )
        for index, (layers, bidirectional, batch_first, with_state) in enumerate(combos)
    ]


CASES = covering_cases()
# A smaller spread for float32, which only checks the stated tolerance.
FLOAT32_CASES = CASES[::5]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", CASES, ids=[case.id for case in CASES])
    if "case32" in metafunc.fixturenames:
        metafunc.parametrize("case32", FLOAT32_CASES, ids=[case.id for case in FLOAT32_CASES])


def build_pair(
    kind: str, case: Case, backend: str, dtype: torch.dtype
) -> tuple[torch.nn.Module, torch.nn.Module]:
    """Our module and a torch.nn module holding the same parameters."""
    ours_cls, torch_cls = MODULES[kind]
    options = dict(
        num_layers=case.num_layers,
        batch_first=case.batch_first,
        bidirectional=case.bidirectional,
        dtype=dtype,
    )
    ours = ours_cls(case.input_size, case.hidden_size, backend=backend, **options)
    reference = torch_cls(case.input_size, case.hidden_size, **options)
    reference.load_state_dict(ours.state_dict())
    return ours, reference


def as_states(hidden: object) -> tuple[torch.Tensor, ...]:
    return tuple(hidden) if isinstance(hidden, tuple) else (hidden,)  # type: ignore[arg-type]


def forward_and_grads(
    module: torch.nn.Module,
    kind: str,
    x: torch.Tensor,
    states: tuple[torch.Tensor, ...] | None,
    upstream: list[torch.Tensor],
) -> dict[str, torch.Tensor]:
    """Outputs, final states and the gradients of a fixed linear loss w.r.t. inputs, states, parameters."""
    hx = None if states is None else (states[0] if kind == "rnn" else states)
    output, hidden = module(x, hx)
    results = [output, *as_states(hidden)]
    loss = sum((value * weight).sum() for value, weight in zip(results, upstream))
    names = [name for name, _ in module.named_parameters()]
    wrt = [x, *(states or ()), *(param for _, param in module.named_parameters())]
    grads = torch.autograd.grad(loss, wrt)
    values = {f"value[{index}]": value for index, value in enumerate(results)}
    values["grad[x]"] = grads[0]
    for index in range(len(states or ())):
        values[f"grad[state{index}]"] = grads[1 + index]
    for name, grad in zip(names, grads[1 + len(states or ()) :]):
        values[f"grad[{name}]"] = grad
    return values


def compare_with_torch(kind: str, case: Case, backend: str, dtype: torch.dtype, atol: float) -> None:
    """Assert outputs, final states and all gradients equal torch.nn's to ``atol``."""
    generator = torch.Generator().manual_seed(zlib.crc32(case.id.encode()))
    ours, reference = build_pair(kind, case, backend, dtype)

    def random(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator, dtype=dtype)

    x_shape = (case.batch, case.seq_len) if case.batch_first else (case.seq_len, case.batch)
    x = random(*x_shape, case.input_size).requires_grad_()
    directions = 2 if case.bidirectional else 1
    state_shape = (case.num_layers * directions, case.batch, case.hidden_size)
    states = None
    if case.with_state:
        states = tuple(random(*state_shape).requires_grad_() for _ in range(NUM_STATES[kind]))
    upstream = [random(*x_shape, directions * case.hidden_size)]
    upstream += [random(*state_shape) for _ in range(NUM_STATES[kind])]

    actual = forward_and_grads(ours, kind, x, states, upstream)
    expected = forward_and_grads(reference, kind, x, states, upstream)
    assert actual.keys() == expected.keys()
    for key in expected:
        torch.testing.assert_close(actual[key], expected[key], rtol=0, atol=atol, msg=lambda m: f"{key}: {m}")


@pytest.fixture
def torch_comparison() -> Callable[[str, Case, str, torch.dtype, float], None]:
    return compare_with_torch
