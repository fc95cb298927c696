"""The tanh (Elman) recurrent layer: the per-step reference, the CPU loop and the fused Triton kernels."""

from __future__ import annotations

from .function import rnn_tanh_cpu, rnn_tanh_triton
from .naive import rnn_tanh_layer

# rnn_tanh_triton imports triton on its first call only: rnnlab.nn works without it, and
# TRITON_INTERPRET may still be set after rnnlab.nn is imported.
__all__ = ["rnn_tanh_cpu", "rnn_tanh_layer", "rnn_tanh_triton"]
