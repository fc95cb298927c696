"""The CPU loop of the tanh RNN (``ops/rnn/cpu.py`` through ``rnn_tanh_cpu``) against the per-step reference:
outputs, final states and every gradient, on odd shapes, in both directions, with NaN-filled buffers."""

from __future__ import annotations

import pytest
import torch

from rnnlab.nn.ops.fused import POISON_ENV
from rnnlab.nn.ops.layer import LayerWeights, layer_output
from rnnlab.nn.ops.rnn import rnn_tanh_cpu, rnn_tanh_layer
from rnnlab.nn.ops.rnn.cpu import rnn_backward_cpu, rnn_forward_cpu


@pytest.fixture(autouse=True)
def poisoned_buffers(monkeypatch):
    """Every buffer the loop allocates starts as NaN, so a row it fails to write shows in the results."""
    monkeypatch.setenv(POISON_ENV, "1")


def make_inputs(steps: int, batch: int, inputs: int, hidden: int, bias: bool, dtype=torch.float64):
    generator = torch.Generator().manual_seed(steps * 100 + batch * 10 + hidden)

    def leaf(*shape):
        return torch.randn(*shape, generator=generator, dtype=dtype).mul_(0.5).requires_grad_()

    x, h0 = leaf(steps, batch, inputs), leaf(batch, hidden)
    weights = LayerWeights(leaf(hidden, inputs), leaf(hidden, hidden),
                           leaf(hidden) if bias else None, leaf(hidden) if bias else None)
    return x, h0, weights


def leaves(x, h0, weights):
    return [x, h0, weights.w_ih, weights.w_hh] + [b for b in (weights.b_ih, weights.b_hh) if b is not None]


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("steps,batch,inputs,hidden", [(1, 1, 1, 1), (7, 3, 5, 6), (13, 2, 4, 9)])
def test_outputs_final_state_and_every_gradient_match_the_reference(steps, batch, inputs, hidden, bias, reverse):
    x, h0, weights = make_inputs(steps, batch, inputs, hidden, bias)
    output, (h_n,) = rnn_tanh_cpu(x, (h0,), weights, reverse)
    result = rnn_tanh_layer(x.reshape(steps * batch, inputs), [batch] * steps, (h0,), weights, reverse=reverse)
    expected = layer_output(result.states, [batch] * steps).reshape(steps, batch, hidden)
    torch.testing.assert_close(output, expected, rtol=0, atol=1e-12)
    torch.testing.assert_close(h_n, result.final[0], rtol=0, atol=1e-12)
    # A loss that weighs every output step and the final state differently.
    generator = torch.Generator().manual_seed(1)
    weight_out = torch.randn(steps, batch, hidden, generator=generator, dtype=x.dtype)
    weight_final = torch.randn(batch, hidden, generator=generator, dtype=x.dtype)
    ours = torch.autograd.grad((output * weight_out).sum() + (h_n * weight_final).sum(), leaves(x, h0, weights))
    theirs = torch.autograd.grad((expected * weight_out).sum() + (result.final[0] * weight_final).sum(),
                                 leaves(x, h0, weights))
    for name, a, b in zip(("x", "h0", "w_ih", "w_hh", "b_ih", "b_hh"), ours, theirs):
        assert torch.isfinite(a).all(), name
        torch.testing.assert_close(a, b, rtol=0, atol=1e-11, msg=name)


@pytest.mark.parametrize("reverse", [False, True])
def test_gradcheck_in_float64(reverse):
    x, h0, weights = make_inputs(5, 2, 3, 4, True)

    def run(x, h0, w_ih, w_hh, b_ih, b_hh):
        output, (h_n,) = rnn_tanh_cpu(x, (h0,), LayerWeights(w_ih, w_hh, b_ih, b_hh), reverse)
        return output, h_n

    assert torch.autograd.gradcheck(run, tuple(leaves(x, h0, weights)))


def test_only_the_final_state_or_only_the_output_carries_gradient():
    x, h0, weights = make_inputs(6, 3, 2, 4, True)
    output, (h_n,) = rnn_tanh_cpu(x, (h0,), weights)
    result = rnn_tanh_layer(x.reshape(18, 2), [3] * 6, (h0,), weights)
    for ours, theirs in ((h_n.sum(), result.final[0].sum()), (output[2].sum(), result.states[2].sum())):
        for a, b in zip(torch.autograd.grad(ours, leaves(x, h0, weights), retain_graph=True),
                        torch.autograd.grad(theirs, leaves(x, h0, weights), retain_graph=True)):
            torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("reverse", [False, True])
def test_the_state_buffer_holds_h0_and_every_step_in_its_rows(reverse):
    x, h0, weights = make_inputs(4, 2, 3, 5, False)
    with torch.no_grad():
        xw = x @ weights.w_ih.t()
        states = rnn_forward_cpu(xw, weights.w_hh, h0, reverse)
        result = rnn_tanh_layer(x.reshape(8, 3), [2] * 4, (h0,), weights, reverse=reverse)
    assert states.shape == (5, 2, 5) and not torch.isnan(states).any()
    torch.testing.assert_close(states[4 if reverse else 0], h0.detach(), rtol=0, atol=0)
    hidden = states[0:4] if reverse else states[1:5]
    torch.testing.assert_close(hidden, torch.stack(result.states), rtol=0, atol=1e-12)
    # With no gradient flowing in, every δa_t is zero.
    zeros = rnn_backward_cpu(torch.zeros(4, 2, 5, dtype=x.dtype), torch.zeros(2, 5, dtype=x.dtype), states,
                             weights.w_hh.detach(), reverse)
    assert torch.equal(zeros, torch.zeros_like(zeros))
