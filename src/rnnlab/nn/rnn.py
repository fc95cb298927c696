"""``rnnlab.nn.RNN``: torch.nn.RNN (tanh) with a selectable backend."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .dispatch import Backend, RecurrentCall, RecurrentResult
from .recurrent import BackendModule, SequenceInput


class RNN(BackendModule, torch.nn.RNN):
    """Drop-in ``torch.nn.RNN`` with ``nonlinearity="tanh"``: same arguments, parameters and outputs.

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
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        backend: str | None = None,
    ) -> None:
        if nonlinearity != "tanh":
            raise ValueError(
                f"rnnlab.nn.RNN supports only nonlinearity='tanh', got {nonlinearity!r}; "
                "use torch.nn.RNN for other nonlinearities"
            )
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            nonlinearity=nonlinearity,
            bias=bias,
            batch_first=batch_first,
            dropout=dropout,
            bidirectional=bidirectional,
            device=device,
            dtype=dtype,
        )
        self.backend = backend

    def forward(  # type: ignore[override]
        self, input: SequenceInput, hx: Tensor | None = None, *, return_steps: bool = False
    ) -> Any:
        """``output, h_n`` like torch.nn.RNN, plus ``steps`` when ``return_steps``."""
        states = None if hx is None else (hx,)
        output, (h_n,), steps = self._run(input, states, 1, return_steps)
        return (output, h_n, steps) if return_steps else (output, h_n)

    def _dispatch(self, backend: Backend, call: RecurrentCall) -> RecurrentResult:
        return backend.rnn(call)

    def _check_states(
        self, input: Tensor, states: tuple[Tensor, ...], batch_sizes: Tensor | None
    ) -> None:
        self.check_forward_args(input, states[0], batch_sizes)
