"""``rnnlab.nn.LSTM``: torch.nn.LSTM with a selectable backend."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .dispatch import Backend, RecurrentCall, RecurrentResult
from .recurrent import BackendModule, SequenceInput


class LSTM(BackendModule, torch.nn.LSTM):
    """Drop-in ``torch.nn.LSTM`` (without ``proj_size``): same arguments, parameters and outputs.

    ``backend`` names a registered implementation (``"loop"``, ``"torch"``, ...); None picks
    :func:`rnnlab.nn.default_backend` for the input's device. ``forward(..., return_steps=True)``
    (``loop`` backend) also returns ``steps[layer][direction][t]``, the hidden states h_t, each
    (B, H) with the batch in packed (sorted) order for PackedSequence input.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        backend: str | None = None,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias=bias,
            batch_first=batch_first,
            dropout=dropout,
            bidirectional=bidirectional,
            device=device,
            dtype=dtype,
        )
        self.backend = backend

    def forward(  # type: ignore[override]
        self,
        input: SequenceInput,
        hx: tuple[Tensor, Tensor] | None = None,
        *,
        return_steps: bool = False,
    ) -> Any:
        """``output, (h_n, c_n)`` like torch.nn.LSTM, plus ``steps`` when ``return_steps``."""
        states = None if hx is None else tuple(hx)
        output, (h_n, c_n), steps = self._run(input, states, 2, return_steps)
        return (output, (h_n, c_n), steps) if return_steps else (output, (h_n, c_n))

    def _dispatch(self, backend: Backend, call: RecurrentCall) -> RecurrentResult:
        return backend.lstm(call)

    def _check_states(
        self, input: Tensor, states: tuple[Tensor, ...], batch_sizes: Tensor | None
    ) -> None:
        self.check_forward_args(input, (states[0], states[1]), batch_sizes)
