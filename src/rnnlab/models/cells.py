"""The recurrent layers the neural models are built from, and the LSTM's forget-gate initialisation.

Shared by the language models, the classifiers and the taggers, so every LSTM model starts the
same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import torch
from torch import nn

from ..errors import ConfigError
from ..nn import LSTM, RNN

State = tuple[torch.Tensor, ...]


# The LSTM's forget-gate bias at initialisation. torch draws every gate bias from U(-1/sqrt(H),
# 1/sqrt(H)), so f = sigma(~0) = 0.5 and the cell halves itself at every step: the gradient along
# c_t dies within a few steps before training can learn to keep it. Gers, Schmidhuber & Cummins
# (2000) start the forget gate open; Jozefowicz, Zaremba & Sutskever (2015) recommend a bias of 1,
# which in their search closed most of the gap between the LSTM and the best architectures found.
FORGET_BIAS = 1.0


@dataclass(frozen=True)
class ForgetGate:
    """The LSTM models' extra hyperparameter, mixed into their configs (an RNN has no forget gate)."""

    forget_bias: float = FORGET_BIAS


def forget_bias_of(cfg: object) -> float | None:
    """The forget-gate bias a model config asks for; None for the RNN configs, which have none."""
    return cfg.forget_bias if isinstance(cfg, ForgetGate) else None


def set_forget_bias(lstm: nn.LSTM, value: float) -> None:
    """Set the forget slice of every layer's biases: b_if = ``value``, b_hf = 0, so b_f = ``value``.

    torch's gate order is (i, f, g, o), so the forget slice is rows H..2H of each (4H,) bias.
    """
    h = lstm.hidden_size
    with torch.no_grad():
        for name, bias in lstm.named_parameters():
            if name.startswith("bias_ih"):
                bias[h:2 * h].fill_(value)  # (H,)
            elif name.startswith("bias_hh"):
                bias[h:2 * h].zero_()  # (H,)


@dataclass(frozen=True)
class Cell:
    """A recurrent layer class, how many state tensors it carries ((h,) or (h, c)) and its gates per step."""

    module: type[nn.Module]
    n_states: int
    gates: int

    def make(self, input_size: int, hidden_size: int, layers: int, dropout: float, backend: str,
             forget_bias: float | None = None) -> nn.Module:
        """The layer with torch's initialisation, then (LSTM only) the forget-gate bias set."""
        layer = self.module(input_size, hidden_size, num_layers=layers, dropout=dropout, backend=backend)
        if forget_bias is not None:
            if not isinstance(layer, nn.LSTM):
                raise ConfigError("parameter 'forget_bias' applies to LSTM models only")
            set_forget_bias(layer, forget_bias)
        return layer

    def to_module(self, state: State) -> torch.Tensor | State:
        return state[0] if self.n_states == 1 else state

    def from_module(self, state: torch.Tensor | State) -> State:
        return (state,) if self.n_states == 1 else tuple(state)


CELLS: Mapping[str, Cell] = MappingProxyType({"rnn": Cell(RNN, 1, gates=1), "lstm": Cell(LSTM, 2, gates=4)})
