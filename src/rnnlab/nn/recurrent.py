"""Input handling shared by :class:`~rnnlab.nn.RNN` and :class:`~rnnlab.nn.LSTM`.

Mirrors torch.nn: dense input (time- or batch-major), unbatched 2-D input and PackedSequence input
with optional initial states are brought into a :class:`RecurrentCall`, the chosen backend runs
it, and the result is returned in the caller's layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence

from .backends import REGISTRY, default_backend
from .dispatch import Backend, RecurrentCall, RecurrentResult, Steps

SequenceInput = Union[Tensor, PackedSequence]


@dataclass(frozen=True)
class Layout:
    """How the caller laid out the batch, so results go back the same way."""

    batch_first: bool
    batched: bool = True
    batch_sizes: Tensor | None = None
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    @property
    def batch_dim(self) -> int:
        return 0 if self.batch_first else 1


def split_input(input: SequenceInput, batch_first: bool, name: str) -> tuple[Tensor, Layout]:
    """Packed data (N, I), or a 3-D tensor in the caller's order (batch dim added if absent)."""
    if isinstance(input, PackedSequence):
        data, batch_sizes, sorted_indices, unsorted_indices = input
        return data, Layout(batch_first, True, batch_sizes, sorted_indices, unsorted_indices)
    if input.dim() not in (2, 3):
        raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D tensor instead")
    layout = Layout(batch_first, batched=input.dim() == 3)
    return (input if layout.batched else input.unsqueeze(layout.batch_dim)), layout


def batch_states(states: tuple[Tensor, ...], layout: Layout) -> tuple[Tensor, ...]:
    """Initial states as (L*D, B, H), checked against the input's batching like torch.nn does."""
    if layout.batch_sizes is not None:
        return states
    expected = 3 if layout.batched else 2
    if any(state.dim() != expected for state in states):
        dims = ", ".join(f"{state.dim()}-D" for state in states)
        kind = "batched 3-D" if layout.batched else "unbatched 2-D"
        raise RuntimeError(f"For {kind} input, hx should also be {expected}-D but got ({dims}) tensors")
    return states if layout.batched else tuple(state.unsqueeze(1) for state in states)


def restore(result: RecurrentResult, layout: Layout) -> tuple[SequenceInput, tuple[Tensor, ...]]:
    """Output and final states in the caller's layout and batch order."""
    hidden = result.hidden
    if layout.batch_sizes is not None:
        if layout.unsorted_indices is not None:
            hidden = tuple(state.index_select(1, layout.unsorted_indices) for state in hidden)
        packed = PackedSequence(
            result.output, layout.batch_sizes, layout.sorted_indices, layout.unsorted_indices
        )
        return packed, hidden
    output = result.output.transpose(0, 1) if layout.batch_first else result.output
    if not layout.batched:
        output = output.squeeze(layout.batch_dim)
        hidden = tuple(state.squeeze(1) for state in hidden)
    return output, hidden


class BackendModule:
    """Mixin for subclasses of ``torch.nn.RNNBase`` that run their forward on a named backend.

    Subclasses define ``_dispatch`` (which backend method to call) and ``_check_states`` (torch's
    shape checks for their kind of state).
    """

    @property
    def backend(self) -> str | None:
        """Backend name, or None to use :func:`default_backend` of the input's device at each call."""
        return self.__dict__.get("_backend")

    @backend.setter
    def backend(self, name: str | None) -> None:
        if name is not None:
            REGISTRY.check(name)
        self._backend = name

    def extra_repr(self) -> str:
        text = super().extra_repr()  # type: ignore[misc]
        return text if self.backend is None else f"{text}, backend={self.backend!r}"

    def _dispatch(self, backend: Backend, call: RecurrentCall) -> RecurrentResult:
        raise NotImplementedError

    def _check_states(
        self, input: Tensor, states: tuple[Tensor, ...], batch_sizes: Tensor | None
    ) -> None:
        raise NotImplementedError

    def _run(
        self,
        input: SequenceInput,
        states: tuple[Tensor, ...] | None,
        num_states: int,
        return_steps: bool,
    ) -> tuple[SequenceInput, tuple[Tensor, ...], Steps | None]:
        """Normalise, dispatch and restore the caller's layout; ``states`` is (h0,) or (h0, c0)."""
        module: torch.nn.RNNBase = self  # type: ignore[assignment]
        module._update_flat_weights()
        data, layout = split_input(input, module.batch_first, type(self).__name__)
        if states is None:
            packed = layout.batch_sizes is not None
            batch = int(layout.batch_sizes[0]) if packed else data.shape[layout.batch_dim]
            directions = 2 if module.bidirectional else 1
            shape = (module.num_layers * directions, batch, module.hidden_size)
            states = tuple(data.new_zeros(shape) for _ in range(num_states))
        else:
            states = batch_states(states, layout)
        self._check_states(data, states, layout.batch_sizes)
        if layout.sorted_indices is not None:
            # Initial states follow the caller's batch order; the packed data is sorted by length.
            states = tuple(state.index_select(1, layout.sorted_indices) for state in states)
        if layout.batch_sizes is None and layout.batch_first:
            data = data.transpose(0, 1)  # (T, B, I)

        backend_name = self.backend or default_backend(data.device)
        backend = REGISTRY.get(backend_name)
        if return_steps and not backend.supports_steps:
            raise ValueError(
                f"backend {backend_name!r} cannot return per-step states; use one of: "
                f"{', '.join(REGISTRY.supporting_steps())}"
            )
        call = RecurrentCall(
            x=data,
            batch_sizes=layout.batch_sizes,
            hx=states,
            weights=tuple(module._flat_weights),
            has_biases=module.bias,
            num_layers=module.num_layers,
            bidirectional=module.bidirectional,
            dropout=module.dropout,
            training=module.training,
            return_steps=return_steps,
        )
        result = self._dispatch(backend, call)
        output, hidden = restore(result, layout)
        return output, hidden, result.steps
