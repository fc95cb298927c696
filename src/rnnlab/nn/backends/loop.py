"""The ``loop`` backend: layers and directions stacked around the per-step reference operators."""

from __future__ import annotations

from torch import Tensor

from ..dispatch import RecurrentCall, RecurrentResult
from ..ops.layer import LayerOp, LayerWeights, layer_output
from ..ops.lstm import lstm_layer
from ..ops.rnn import rnn_tanh_layer
from .stack import stack_layers


def run_stack(call: RecurrentCall, op: LayerOp) -> RecurrentResult:
    """Run ``op`` layer by layer; the reverse direction reads the sequence backwards.

    Bidirectional outputs concatenate [forward, reverse] per step (Schuster & Paliwal 1997). Between
    layers, dropout is applied to each layer's output in training (Zaremba et al. 2014), as torch does.
    """
    dense = call.batch_sizes is None
    if dense:
        num_steps, batch = call.x.shape[0], call.x.shape[1]
        batch_sizes = [batch] * num_steps
        x = call.x.reshape(num_steps * batch, call.x.shape[2])  # (T*B, I)
    else:
        batch_sizes = [int(size) for size in call.batch_sizes.tolist()]
        x = call.x  # (N, I)

    def run(x: Tensor, states: tuple[Tensor, ...], weights: LayerWeights, reverse: bool):
        result = op(x, batch_sizes, states, weights, reverse=reverse)
        return layer_output(result.states, batch_sizes), result.final, result.states  # (N, H)

    x, hidden, steps = stack_layers(call, x, run)
    output = x.reshape(len(batch_sizes), batch_sizes[0], x.shape[1]) if dense else x
    return RecurrentResult(output=output, hidden=hidden, steps=steps if call.return_steps else None)


class LoopBackend:
    """Explicit Python loop over time steps; slow, readable, and exposes every h_t to autograd."""

    supports_steps = True

    def rnn(self, call: RecurrentCall) -> RecurrentResult:
        return run_stack(call, rnn_tanh_layer)

    def lstm(self, call: RecurrentCall) -> RecurrentResult:
        return run_stack(call, lstm_layer)
