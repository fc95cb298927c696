"""Behaviour shared by rnnlab.nn.RNN and rnnlab.nn.LSTM: layouts, packing, state dicts, backends, errors."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import rnnlab.nn as rnn_nn
from rnnlab.nn.backends import REGISTRY, LoopBackend

KINDS = ("rnn", "lstm")
BACKENDS = ("loop", "torch", "cpu")
OURS = {"rnn": rnn_nn.RNN, "lstm": rnn_nn.LSTM}
THEIRS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM}
NUM_STATES = {"rnn": 1, "lstm": 2}


def pair(kind: str, backend: str, *args: int, **options: object) -> tuple[torch.nn.Module, torch.nn.Module]:
    ours = OURS[kind](*args, backend=backend, dtype=torch.float64, **options)
    reference = THEIRS[kind](*args, dtype=torch.float64, **options)
    reference.load_state_dict(ours.state_dict())
    return ours, reference


def to_hx(kind: str, states: tuple[torch.Tensor, ...]) -> object:
    return states[0] if kind == "rnn" else states


def as_states(hidden: object) -> tuple[torch.Tensor, ...]:
    return tuple(hidden) if isinstance(hidden, tuple) else (hidden,)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", KINDS)
def test_initialisation_and_parameters_equal_torch(kind):
    torch.manual_seed(3)
    ours = OURS[kind](5, 7, 2, bidirectional=True)
    torch.manual_seed(3)
    reference = THEIRS[kind](5, 7, 2, bidirectional=True)
    ours_state, reference_state = ours.state_dict(), reference.state_dict()
    assert list(ours_state) == list(reference_state)
    assert "weight_hh_l1_reverse" in ours_state
    for name, value in reference_state.items():
        assert torch.equal(ours_state[name], value), name
    bound = 1 / 7**0.5
    assert all(param.abs().max() <= bound for param in ours.parameters())


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_loads_both_ways(kind):
    ours = OURS[kind](3, 4, 2, bidirectional=True, backend="loop", dtype=torch.float64)
    reference = THEIRS[kind](3, 4, 2, bidirectional=True, dtype=torch.float64)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    torch.testing.assert_close(ours(x)[0], reference(x)[0], rtol=0, atol=1e-10)
    fresh = THEIRS[kind](3, 4, 2, bidirectional=True, dtype=torch.float64)
    fresh.load_state_dict(ours.state_dict())
    torch.testing.assert_close(fresh(x)[0], ours(x)[0], rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_unbatched_input_matches_torch(kind, backend, batch_first, with_state):
    ours, reference = pair(kind, backend, 3, 4, 2, bidirectional=True, batch_first=batch_first)
    x = torch.randn(6, 3, dtype=torch.float64)
    hx = to_hx(kind, tuple(torch.randn(4, 4, dtype=torch.float64) for _ in range(NUM_STATES[kind])))
    args = (x, hx) if with_state else (x,)
    output, hidden = ours(*args)
    expected_output, expected_hidden = reference(*args)
    assert output.shape == (6, 8)
    torch.testing.assert_close(output, expected_output, rtol=0, atol=1e-10)
    for actual, expected in zip(as_states(hidden), as_states(expected_hidden)):
        assert actual.shape == (4, 4)
        torch.testing.assert_close(actual, expected, rtol=0, atol=1e-10)


def packed_forward(module, kind, x, lengths, states):
    """Run a padded batch packed (unsorted lengths); return padded output, states and all gradients."""
    packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
    output, hidden = module(packed, to_hx(kind, states))
    assert isinstance(output, torch.nn.utils.rnn.PackedSequence)
    padded, _ = pad_packed_sequence(output)
    results = [padded, *as_states(hidden)]
    # A loss whose upstream gradient differs per element, so misplaced rows would show.
    loss = sum((value * (index + 1 + value.detach())).sum() for index, value in enumerate(results))
    grads = torch.autograd.grad(loss, [x, *states, *module.parameters()])
    return results + list(grads)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_packed_sequence_matches_torch(kind, backend):
    ours, reference = pair(kind, backend, 3, 5, 2, bidirectional=True)
    x = torch.randn(6, 4, 3, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([3, 6, 1, 4])
    states = tuple(
        torch.randn(4, 4, 5, dtype=torch.float64, requires_grad=True) for _ in range(NUM_STATES[kind])
    )
    actual = packed_forward(ours, kind, x, lengths, states)
    expected = packed_forward(reference, kind, x, lengths, states)
    for got, want in zip(actual, expected):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_padded_steps_do_not_change_results(kind, backend):
    module = OURS[kind](3, 4, 2, bidirectional=True, backend=backend, dtype=torch.float64)
    lengths = [2, 5, 1, 4]
    x = torch.randn(5, 4, 3, dtype=torch.float64)
    for column, length in enumerate(lengths):
        x[length:, column] = 1e3  # garbage in the padding must not leak into any result
    states = tuple(torch.randn(4, 4, 4, dtype=torch.float64) for _ in range(NUM_STATES[kind]))
    packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    packed_output, hidden = module(packed, to_hx(kind, states))
    padded, _ = pad_packed_sequence(packed_output)
    for column, length in enumerate(lengths):
        alone_states = to_hx(kind, tuple(state[:, column] for state in states))
        alone_output, alone_hidden = module(x[:length, column], alone_states)
        torch.testing.assert_close(padded[:length, column], alone_output, rtol=0, atol=1e-12)
        assert torch.all(padded[length:, column] == 0)
        for batched_state, alone_state in zip(as_states(hidden), as_states(alone_hidden)):
            torch.testing.assert_close(batched_state[:, column], alone_state, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_return_steps_needs_a_backend_that_supports_it(kind):
    module = OURS[kind](3, 4, backend="torch")
    with pytest.raises(ValueError, match="'torch' cannot return per-step states; use one of: loop"):
        module(torch.randn(2, 1, 3), return_steps=True)


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_backend_is_rejected_with_the_registered_names(kind):
    message = r"unknown recurrent backend 'cudnn'; registered backends: loop, torch"
    with pytest.raises(ValueError, match=message):
        OURS[kind](3, 4, backend="cudnn")
    module = OURS[kind](3, 4)
    with pytest.raises(ValueError, match="registered backends: loop, torch"):
        module.backend = "nope"
    assert module.backend is None
    module.backend = "loop"
    assert module.backend == "loop"


class RecordingBackend(LoopBackend):
    def __init__(self) -> None:
        self.calls: list[rnn_nn.RecurrentCall] = []

    def rnn(self, call):
        self.calls.append(call)
        return super().rnn(call)

    def lstm(self, call):
        self.calls.append(call)
        return super().lstm(call)


@pytest.mark.parametrize("kind", KINDS)
def test_unset_backend_uses_the_device_default_and_gets_the_parameters_themselves(kind):
    recorder = RecordingBackend()
    REGISTRY.register("recording", recorder, default_for=("cpu",))
    try:
        assert rnn_nn.default_backend("cpu") == "recording"
        module = OURS[kind](3, 4, 2, bias=False)
        module(torch.randn(3, 2, 3))
    finally:
        REGISTRY.unregister("recording")
        REGISTRY.register("cpu", REGISTRY.get("cpu"), default_for=("cpu",), replace=True)
    assert rnn_nn.default_backend("cpu") == "cpu"
    (call,) = recorder.calls
    assert len(call.weights) == len(module._flat_weights_names) == 4
    for weight, name in zip(call.weights, module._flat_weights_names):
        assert weight is getattr(module, name)
    assert call.has_biases is False and call.num_layers == 2 and call.training is True


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_input_errors_match_torch(kind, backend):
    ours, reference = pair(kind, backend, 3, 4)
    def zeros(*shape):
        return to_hx(kind, tuple(torch.zeros(*shape, dtype=torch.float64) for _ in range(NUM_STATES[kind])))

    bad_states, wrong_batch = zeros(1, 4), zeros(1, 5, 4)
    calls = [
        ((torch.zeros(2, 1, 1, 3, dtype=torch.float64),), ValueError),
        ((torch.zeros(2, 1, 5, dtype=torch.float64),), RuntimeError),
        ((torch.zeros(2, 1, 3, dtype=torch.float64), bad_states), RuntimeError),
        ((torch.zeros(2, 1, 3, dtype=torch.float64), wrong_batch), RuntimeError),
        ((torch.zeros(2, 1, 3, dtype=torch.float32),), ValueError),
    ]
    for args, error in calls:
        with pytest.raises(error):
            reference(*args)
        with pytest.raises(error):
            ours(*args)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_dropout_acts_in_training_only(kind, backend):
    ours, reference = pair(kind, backend, 3, 4, 3, dropout=0.5)
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    first, second = ours(x)[0], ours(x)[0]
    assert not torch.allclose(first, second)
    ours.eval()
    reference.eval()
    evaluated = ours(x)[0]
    assert not torch.allclose(first, evaluated)
    torch.testing.assert_close(evaluated, reference(x)[0], rtol=0, atol=1e-10)
    torch.testing.assert_close(ours(x)[0], evaluated, rtol=0, atol=0)


@pytest.mark.parametrize("kind", KINDS)
def test_backend_survives_copies(kind):
    module = OURS[kind](3, 4, backend="loop")
    assert copy.deepcopy(module).backend == "loop"
    assert pickle.loads(pickle.dumps(module)).backend == "loop"
