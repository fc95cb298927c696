"""The long short-term memory layer: the per-step reference and the fused Triton kernels."""

from __future__ import annotations

from typing import Any

from .naive import lstm_layer

__all__ = ["lstm_layer", "lstm_triton"]


def __getattr__(name: str) -> Any:
    # Triton is imported on first use only: rnnlab.nn works without it, and TRITON_INTERPRET
    # may still be set after rnnlab.nn is imported.
    if name == "lstm_triton":
        from .function import lstm_triton

        return lstm_triton
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
