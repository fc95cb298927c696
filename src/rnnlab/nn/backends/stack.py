"""Layers and directions stacked around a single-layer operator: what every backend but torch shares.

A backend supplies one function that runs one layer in one direction; :func:`stack_layers` feeds
it each layer's weights (from torch's flat parameter order) and initial states, concatenates the
directions and applies dropout between layers.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from ..dispatch import RecurrentCall, RecurrentResult
from ..ops.layer import LayerWeights

# run(x, initial states, weights, reverse) -> (output, final states, anything the backend keeps per direction)
DirectionOp = Callable[[Tensor, tuple[Tensor, ...], LayerWeights, bool], tuple[Tensor, tuple[Tensor, ...], Any]]


def layer_weights(call: RecurrentCall, layer: int, direction: int) -> LayerWeights:
    """The weights of one layer and direction from torch's flat parameter order."""
    per_direction = 4 if call.has_biases else 2
    start = (layer * call.num_directions + direction) * per_direction
    chunk = call.weights[start : start + per_direction]
    if call.has_biases:
        return LayerWeights(w_ih=chunk[0], w_hh=chunk[1], b_ih=chunk[2], b_hh=chunk[3])
    return LayerWeights(w_ih=chunk[0], w_hh=chunk[1], b_ih=None, b_hh=None)


def stack_layers(call: RecurrentCall, x: Tensor, run: DirectionOp) -> tuple[Tensor, tuple[Tensor, ...], list[list[Any]]]:
    """Run ``run`` over every layer and direction of ``call``, from input ``x`` (features last).

    Bidirectional outputs concatenate [forward, reverse] on the feature axis (Schuster & Paliwal
    1997). Between layers, dropout is applied to each layer's output in training (Zaremba et al.
    2014), as torch does. Returns the last layer's output, the final states (each (L*D, B, H)) and
    per layer the per-direction extras of ``run``.
    """
    finals: list[list[Tensor]] = [[] for _ in call.hx]
    extras: list[list[Any]] = []
    for layer in range(call.num_layers):
        outputs: list[Tensor] = []
        layer_extras: list[Any] = []
        for direction in range(call.num_directions):
            index = layer * call.num_directions + direction
            output, final, extra = run(x, tuple(state[index] for state in call.hx),
                                       layer_weights(call, layer, direction), direction == 1)
            outputs.append(output)
            layer_extras.append(extra)
            for collected, state in zip(finals, final):
                collected.append(state)
        x = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=-1)  # (..., D*H)
        if call.training and call.dropout > 0 and layer < call.num_layers - 1:
            x = F.dropout(x, p=call.dropout, training=True)
        extras.append(layer_extras)
    return x, tuple(torch.stack(collected) for collected in finals), extras


# layer(x (T, B, I), initial states, weights, reverse) -> (output (T, B, H) in time order, final states)
DenseLayer = Callable[[Tensor, tuple[Tensor, ...], LayerWeights, bool], tuple[Tensor, tuple[Tensor, ...]]]


def stack_dense(call: RecurrentCall, layer: DenseLayer) -> RecurrentResult:
    """:func:`stack_layers` around a layer that takes dense (T, B, I) input and keeps nothing per direction."""

    def run(x: Tensor, states: tuple[Tensor, ...], weights: LayerWeights, reverse: bool):
        output, final = layer(x, states, weights, reverse)
        return output, final, None  # (T, B, H)

    output, hidden, _ = stack_layers(call, call.x, run)  # from (T, B, I)
    return RecurrentResult(output=output, hidden=hidden)
