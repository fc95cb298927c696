"""The backend registry of :mod:`rnnlab.nn`, holding the built-in ``loop``, ``torch``, ``triton`` and ``cpu``
backends."""

from __future__ import annotations

from typing import Iterable

import torch

from ..dispatch import Backend, BackendRegistry
from .cpu import CPUBackend
from .loop import LoopBackend
from .torch_vf import TorchBackend
from .triton import TritonBackend, triton_available


def builtin_registry() -> BackendRegistry:
    registry = BackendRegistry()
    registry.register("loop", LoopBackend())
    registry.register("torch", TorchBackend(), default_for=("*",))
    # Always selectable (it explains what is missing); the CUDA default only where triton imports.
    registry.register("triton", TritonBackend(), default_for=("cuda",) if triton_available() else ())
    registry.register("cpu", CPUBackend(), default_for=("cpu",))
    return registry


# The one registry the modules look backends up in; register_backend adds to it.
REGISTRY = builtin_registry()


def register_backend(
    name: str, backend: Backend, *, default_for: Iterable[str] = (), replace: bool = False
) -> None:
    """Make ``backend`` selectable as ``backend=name``.

    ``default_for`` names device types (``"cuda"``, ...) on which it becomes the default.
    """
    REGISTRY.register(name, backend, default_for=default_for, replace=replace)


def available_backends() -> tuple[str, ...]:
    """Names of the registered backends, in registration order."""
    return REGISTRY.names()


def default_backend(device: torch.device | str | None = None) -> str:
    """The backend used on ``device`` when a module names none: ``"cpu"`` on the CPU, ``"triton"`` on
    CUDA where Triton is installed, ``"torch"`` otherwise."""
    return REGISTRY.default(device)
