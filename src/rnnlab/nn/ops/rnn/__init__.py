"""The tanh (Elman) recurrent layer: the per-step reference and the fused Triton kernels."""

from __future__ import annotations

from typing import Any

from .naive import rnn_tanh_layer

__all__ = ["rnn_tanh_layer", "rnn_tanh_triton"]


def __getattr__(name: str) -> Any:
    # Triton is imported on first use only: rnnlab.nn works without it, and TRITON_INTERPRET
    # may still be set after rnnlab.nn is imported.
    if name == "rnn_tanh_triton":
        from .function import rnn_tanh_triton

        return rnn_tanh_triton
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
