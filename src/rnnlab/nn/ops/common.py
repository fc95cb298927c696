"""What the RNN and LSTM Triton kernels and launchers share: offsets, precision, tanh.

The op folders (``rnn/``, ``lstm/``) each hold their readable loop, cell update, launchers and
``autograd.Function``; the tile kernels both cells run are ``recurrence.py``, their grid barrier
``barrier.py``, their configurations ``plan.py``; small helpers used by all of them live here, and
what the CPU loop shares with them (buffers, state rows, the matmuls around the recurrence) in
``fused.py``.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import Tensor
from triton.runtime.interpreter import InterpretedFunction


def next_power_of_2(value: int) -> int:
    return 1 << max(0, value - 1).bit_length()


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def check_offsets(batch: int, width: int, hidden: int) -> None:
    """The kernels index one step's (B, G·H) block and W_hh (G·H, H) with 32-bit offsets."""
    if max(batch, hidden) * width >= 2**31:
        raise ValueError(
            f"batch {batch} or hidden size {hidden} times {width} gate units exceeds 32-bit offsets"
        )


@triton.jit
def _probe_kernel():
    pass


def is_interpreted() -> bool:
    """Whether the kernels were built for the CPU interpreter: TRITON_INTERPRET=1 when triton.jit ran,
    which for this probe is the same import as for every kernel of the ops."""
    return isinstance(_probe_kernel, InterpretedFunction)


def dot_precision(dtype: torch.dtype) -> str:
    """float32 products exactly (``ieee``) unless torch allows TF32 for matmuls; other dtypes as they are."""
    if dtype == torch.float32 and (is_interpreted() or not torch.backends.cuda.matmul.allow_tf32):
        return "ieee"
    return "tf32"


@triton.jit
def tanh(x):
    """tanh in float32 with a small relative error near 0 (no libdevice: the interpreter lacks it)."""
    # Taylor series tanh x = x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835 − 1382x¹¹/155925
    # (Abramowitz & Stegun 4.5.64) for |x| < 0.4, where the next term is below 1e-7 relative; elsewhere
    # tanh|x| = 1 − 2 / (e^{2|x|} + 1), which saturates to 1 without overflow.
    a = tl.abs(x)
    a2 = a * a
    series = a * (1.0 + a2 * (-1.0 / 3.0 + a2 * (2.0 / 15.0 + a2 * (-17.0 / 315.0 + a2 * (
        62.0 / 2835.0 + a2 * (-1382.0 / 155925.0))))))
    closed = 1.0 - 2.0 / (tl.exp(2.0 * a) + 1.0)
    magnitude = tl.where(a < 0.4, series, closed)
    return tl.where(x < 0.0, -magnitude, magnitude)


@triton.jit
def step_rows(ptr, step, B, width):
    """Pointer to row block ``step`` of a (steps, B, width) buffer; 64-bit, so tile offsets stay 32-bit."""
    return ptr + step.to(tl.int64) * B * width
