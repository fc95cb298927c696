"""The loop backend: per-step states in the autograd graph, weight layout, dropout like torch."""

from __future__ import annotations

import re

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

import rnnlab.nn as rnn_nn
from rnnlab.nn.backends.stack import layer_weights
from rnnlab.nn.dispatch import RecurrentCall

OURS = {"rnn": rnn_nn.RNN, "lstm": rnn_nn.LSTM}
THEIRS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM}
NUM_STATES = {"rnn": 1, "lstm": 2}
F64 = torch.float64


def to_hx(kind, states):
    return states[0] if kind == "rnn" else tuple(states)


def as_states(hidden):
    return tuple(hidden) if isinstance(hidden, tuple) else (hidden,)


def upper_layers(module, first_layer):
    """State dict of layers >= first_layer, renumbered from layer 0."""
    state = {}
    for name, value in module.state_dict().items():
        prefix, layer, suffix = re.fullmatch(r"(\w+_l)(\d+)(_reverse)?", name).groups()
        if int(layer) >= first_layer:
            state[f"{prefix}{int(layer) - first_layer}{suffix or ''}"] = value
    return state


def one_direction(module, layer, direction):
    """State dict of one layer and direction, named as layer 0 of a unidirectional module."""
    suffix = f"l{layer}_reverse" if direction == 1 else f"l{layer}"
    state = module.state_dict()
    return {name.replace(suffix, "l0"): value for name, value in state.items() if name.endswith(suffix)}


def reference_step_gradient(kind, module, x, states, layer, direction, k, t, v):
    """∂J/∂h_k for J = <v, output[t]>: re-run with torch.nn from h_k of (layer, direction) as a leaf."""
    hidden = module.hidden_size
    directions = 2 if module.bidirectional else 1
    steps_total = x.shape[0]

    def run(l, d, seq, init):
        single = THEIRS[kind](seq.shape[-1], hidden, dtype=F64)
        single.load_state_dict(one_direction(module, l, d))
        output, final = single(seq, to_hx(kind, tuple(state.unsqueeze(0) for state in init)))
        return output, tuple(state[0] for state in as_states(final))

    def initial(l, d):
        return tuple(state[l * directions + d] for state in states)

    def full_direction(l, d, inputs):
        seq = inputs if d == 0 else inputs.flip(0)
        output, _ = run(l, d, seq, initial(l, d))
        return output if d == 0 else output.flip(0)

    inputs = x
    for l in range(layer):
        inputs = torch.cat([full_direction(l, d, inputs) for d in range(directions)], dim=-1)
    inputs = inputs.detach()

    seq = inputs if direction == 0 else inputs.flip(0)
    kk = k if direction == 0 else steps_total - 1 - k
    prefix, final = run(layer, direction, seq[: kk + 1], initial(layer, direction))
    leaf = final[0].detach().requires_grad_()
    pieces = [prefix[:kk].detach(), leaf.unsqueeze(0)]
    if kk + 1 < steps_total:
        pieces.append(run(layer, direction, seq[kk + 1 :], (leaf, *final[1:]))[0])
    changed = torch.cat(pieces)
    changed = changed if direction == 0 else changed.flip(0)
    outputs = [
        changed if d == direction else full_direction(layer, d, inputs).detach() for d in range(directions)
    ]
    y = torch.cat(outputs, dim=-1)
    if layer < module.num_layers - 1:
        upper = THEIRS[kind](y.shape[-1], hidden, module.num_layers - layer - 1,
                             bidirectional=module.bidirectional, dtype=F64)
        upper.load_state_dict(upper_layers(module, layer + 1))
        y, _ = upper(y, to_hx(kind, tuple(state[(layer + 1) * directions :] for state in states)))
    return torch.autograd.grad((y[t] * v).sum(), leaf)[0]


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True)])
def test_step_gradients_equal_an_explicit_rerun(kind, num_layers, bidirectional):
    torch.manual_seed(0)
    module = OURS[kind](3, 4, num_layers, bidirectional=bidirectional, backend="loop", dtype=F64)
    directions = 2 if bidirectional else 1
    x = torch.randn(5, 2, 3, dtype=F64)
    states = tuple(torch.randn(num_layers * directions, 2, 4, dtype=F64) for _ in range(NUM_STATES[kind]))
    t = 2
    v = torch.randn(2, directions * 4, dtype=F64)
    output, _, steps = module(x, to_hx(kind, states), return_steps=True)
    assert len(steps) == num_layers and all(len(layer) == directions for layer in steps)
    objective = (output[t] * v).sum()
    for layer in range(num_layers):
        for direction in range(directions):
            grads = torch.autograd.grad(objective, steps[layer][direction], retain_graph=True)
            for k, grad in enumerate(grads):
                expected = reference_step_gradient(kind, module, x, states, layer, direction, k, t, v)
                where = f"layer {layer} direction {direction} k {k}"
                torch.testing.assert_close(grad, expected, rtol=0, atol=1e-12, msg=where)
            top = layer == num_layers - 1
            future = range(t + 1, 5) if direction == 0 else range(0, t)
            if top:
                assert all(torch.all(grads[k] == 0) for k in future)
            assert torch.any(grads[t] != 0)


def test_rnn_step_gradients_follow_the_bptt_product():
    # ∂J/∂h_k = ∂J/∂h_t · Π_{j=t..k+1} diag(1 - h_j²) W_hh   (ops/README.md)
    torch.manual_seed(1)
    module = rnn_nn.RNN(3, 5, backend="loop", dtype=F64)
    x = torch.randn(6, 1, 3, dtype=F64)
    output, _, steps = module(x, return_steps=True)
    t = 5
    v = torch.randn(1, 5, dtype=F64)
    grads = torch.autograd.grad((output[t] * v).sum(), steps[0][0])
    expected = v
    for k in range(t, -1, -1):
        torch.testing.assert_close(grads[k], expected, rtol=0, atol=1e-13)
        h_k = steps[0][0][k].detach()
        expected = (expected * (1 - h_k**2)) @ module.weight_hh_l0.detach()


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_steps_are_the_outputs_and_final_states(kind):
    module = OURS[kind](3, 4, 2, bidirectional=True, batch_first=True, backend="loop", dtype=F64)
    x = torch.randn(2, 5, 3, dtype=F64)
    output, hidden, steps = module(x, return_steps=True)
    h_n = as_states(hidden)[0]
    for layer in range(2):
        for direction in range(2):
            assert len(steps[layer][direction]) == 5
            assert all(h.shape == (2, 4) for h in steps[layer][direction])
        assert torch.equal(h_n[2 * layer], steps[layer][0][-1])
        assert torch.equal(h_n[2 * layer + 1], steps[layer][1][0])
    for t in range(5):
        assert torch.equal(output[:, t], torch.cat([steps[1][0][t], steps[1][1][t]], dim=-1))


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_packed_steps_keep_the_sorted_batch_order(kind):
    module = OURS[kind](3, 4, backend="loop", dtype=F64)
    lengths = torch.tensor([2, 4, 3])
    packed = pack_padded_sequence(torch.randn(4, 3, 3, dtype=F64), lengths, enforce_sorted=False)
    _, hidden, steps = module(packed, return_steps=True)
    last = steps[0][0][-1].index_select(0, packed.unsorted_indices)
    assert torch.equal(last, as_states(hidden)[0][0])


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
@pytest.mark.parametrize("packed", [False, True])
def test_dropout_in_training_equals_torch_on_the_cpu_with_the_same_seed(kind, packed):
    ours = OURS[kind](3, 4, 3, dropout=0.4, bidirectional=True, backend="loop", dtype=F64)
    reference = THEIRS[kind](3, 4, 3, dropout=0.4, bidirectional=True, dtype=F64)
    reference.load_state_dict(ours.state_dict())
    x = torch.randn(5, 2, 3, dtype=F64)
    data = pack_padded_sequence(x, torch.tensor([5, 3])) if packed else x
    torch.manual_seed(11)
    actual = ours(data)[0]
    torch.manual_seed(11)
    expected = reference(data)[0]
    actual, expected = (actual.data, expected.data) if packed else (actual, expected)
    torch.testing.assert_close(actual, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("bias", [False, True])
def test_layer_weights_pick_each_layer_and_direction(bias):
    module = rnn_nn.LSTM(3, 4, 3, bias=bias, bidirectional=True)
    call = RecurrentCall(
        x=torch.zeros(1, 1, 3), batch_sizes=None, hx=(), weights=tuple(module._flat_weights),
        has_biases=bias, num_layers=3, bidirectional=True, dropout=0.0, training=False,
    )
    for layer in range(3):
        for direction, suffix in enumerate(["", "_reverse"]):
            weights = layer_weights(call, layer, direction)
            assert weights.w_ih is getattr(module, f"weight_ih_l{layer}{suffix}")
            assert weights.w_hh is getattr(module, f"weight_hh_l{layer}{suffix}")
            if bias:
                assert weights.b_ih is getattr(module, f"bias_ih_l{layer}{suffix}")
                assert weights.b_hh is getattr(module, f"bias_hh_l{layer}{suffix}")
            else:
                assert weights.b_ih is None and weights.b_hh is None
