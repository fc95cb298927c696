"""The contract between the recurrent modules and their backends, and the registry of backends.

A module normalises its input (time-major, batch sorted like a packed sequence, initial states
made explicit) into a :class:`RecurrentCall` and hands it to the backend chosen by name; the
backend returns a :class:`RecurrentResult`. A new backend is an object with ``rnn`` and ``lstm``
methods registered under a name; the modules need no change.
"""

from __future__ import annotations

import os

from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence

import torch
from torch import Tensor

# steps[layer][direction][t] is the hidden state h_t of that layer and direction, shape (B, H),
# the very tensor the computation continued from (so autograd can differentiate with respect to it).
Steps = list[list[list[Tensor]]]

ANY_DEVICE = "*"


@dataclass(frozen=True)
class RecurrentCall:
    """One forward pass of a multi-layer recurrent network, in the layout of ``torch._VF``."""

    # (T, B, I) time-major, or packed data (N, I) when batch_sizes is given.
    x: Tensor
    # (T,) int64 on the CPU: sequences active at each step, non-increasing; None for dense input.
    batch_sizes: Tensor | None
    # (h0,) for an RNN, (h0, c0) for an LSTM; each (L * D, B, H), batch in the order of x.
    hx: tuple[Tensor, ...]
    # The module's Parameters in torch's flat order: per layer, per direction,
    # weight_ih, weight_hh, then bias_ih, bias_hh when has_biases.
    weights: tuple[Tensor, ...]
    has_biases: bool
    num_layers: int
    bidirectional: bool
    dropout: float
    training: bool
    return_steps: bool = False

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1


@dataclass(frozen=True)
class RecurrentResult:
    """Output (same layout as the call's x), final states (one per entry of hx) and optional steps."""

    output: Tensor
    hidden: tuple[Tensor, ...]
    steps: Steps | None = None


class Backend(Protocol):
    """An implementation of the tanh RNN and the LSTM over a :class:`RecurrentCall`."""

    # Whether it can return every step's hidden state in the autograd graph (``return_steps``).
    supports_steps: bool

    def rnn(self, call: RecurrentCall) -> RecurrentResult: ...

    def lstm(self, call: RecurrentCall) -> RecurrentResult: ...


def device_type(device: torch.device | str | None) -> str:
    """The device type (``"cpu"``, ``"cuda"``, ...) of a device given in any torch spelling."""
    return "cpu" if device is None else torch.device(device).type


class BackendRegistry:
    """Backends by name, and which one each device type uses by default."""

    def __init__(self) -> None:
        self._backends: dict[str, Backend] = {}
        self._defaults: dict[str, str] = {}

    def register(
        self, name: str, backend: Backend, *, default_for: Iterable[str] = (), replace: bool = False
    ) -> None:
        """Add ``backend`` as ``name``; it becomes the default on the device types in ``default_for``.

        ``"*"`` in ``default_for`` stands for every device type without a default of its own.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"a backend name must be a non-empty string, got {name!r}")
        if name in self._backends and not replace:
            raise ValueError(f"backend {name!r} is already registered; pass replace=True to replace it")
        missing = [method for method in ("rnn", "lstm") if not callable(getattr(backend, method, None))]
        if missing:
            raise ValueError(f"backend {name!r} lacks the method(s) {', '.join(missing)}")
        self._backends[name] = backend
        for kind in default_for:
            self._defaults[kind] = name

    def unregister(self, name: str) -> None:
        """Remove a backend and any device defaults pointing at it."""
        self.get(name)
        del self._backends[name]
        self._defaults = {kind: value for kind, value in self._defaults.items() if value != name}

    def names(self) -> tuple[str, ...]:
        return tuple(self._backends)

    def get(self, name: str) -> Backend:
        """The backend registered as ``name``; ValueError listing the registered names otherwise."""
        self.check(name)
        return self._backends[name]

    def check(self, name: str) -> None:
        if name not in self._backends:
            raise ValueError(
                f"unknown recurrent backend {name!r}; registered backends: {', '.join(self.names())}"
            )

    def default(self, device: torch.device | str | None) -> str:
        """The backend name used on ``device`` when a module names none."""
        kind = device_type(device)
        name = self._defaults.get(kind, self._defaults.get(ANY_DEVICE))
        if name is None:
            raise ValueError(f"no default recurrent backend for device type {kind!r}")
        return name

    def supporting_steps(self) -> Sequence[str]:
        return [name for name, backend in self._backends.items() if backend.supports_steps]


def interpreter_requested() -> bool:
    """TRITON_INTERPRET=1: Triton kernels run on CPU tensors through Triton's (slow) interpreter. It
    must be set before triton is first imported, so it is read from the environment, not set here."""
    return os.environ.get("TRITON_INTERPRET") == "1"
