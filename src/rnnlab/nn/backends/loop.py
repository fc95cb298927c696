"""The ``loop`` backend: layers and directions stacked around the per-step reference operators."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ..dispatch import RecurrentCall, RecurrentResult, Steps
from ..ops.layer import LayerOp, LayerWeights, layer_output
from ..ops.lstm import lstm_layer
from ..ops.rnn import rnn_tanh_layer


def layer_weights(call: RecurrentCall, layer: int, direction: int) -> LayerWeights:
    """The weights of one layer and direction from torch's flat parameter order."""
    per_direction = 4 if call.has_biases else 2
    start = (layer * call.num_directions + direction) * per_direction
    chunk = call.weights[start : start + per_direction]
    if call.has_biases:
        return LayerWeights(w_ih=chunk[0], w_hh=chunk[1], b_ih=chunk[2], b_hh=chunk[3])
    return LayerWeights(w_ih=chunk[0], w_hh=chunk[1], b_ih=None, b_hh=None)


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
    finals: list[list[Tensor]] = [[] for _ in call.hx]
    steps: Steps = []
    for layer in range(call.num_layers):
        outputs: list[Tensor] = []
        layer_steps: list[list[Tensor]] = []
        for direction in range(call.num_directions):
            index = layer * call.num_directions + direction
            result = op(
                x,
                batch_sizes,
                tuple(state[index] for state in call.hx),
                layer_weights(call, layer, direction),
                reverse=direction == 1,
            )
            outputs.append(layer_output(result.states, batch_sizes))  # (N, H)
            layer_steps.append(result.states)
            for collected, final in zip(finals, result.final):
                collected.append(final)
        x = torch.cat(outputs, dim=1)  # (N, D*H)
        if call.training and call.dropout > 0 and layer < call.num_layers - 1:
            x = F.dropout(x, p=call.dropout, training=True)
        steps.append(layer_steps)
    output = x.reshape(len(batch_sizes), batch_sizes[0], x.shape[1]) if dense else x
    return RecurrentResult(
        output=output,
        hidden=tuple(torch.stack(collected) for collected in finals),  # each (L*D, B, H)
        steps=steps if call.return_steps else None,
    )


class LoopBackend:
    """Explicit Python loop over time steps; slow, readable, and exposes every h_t to autograd."""

    supports_steps = True

    def rnn(self, call: RecurrentCall) -> RecurrentResult:
        return run_stack(call, rnn_tanh_layer)

    def lstm(self, call: RecurrentCall) -> RecurrentResult:
        return run_stack(call, lstm_layer)
