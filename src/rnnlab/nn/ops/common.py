"""What the RNN and LSTM Triton launchers share: tile choice, offsets, precision and buffers.

The op folders (``rnn/``, ``lstm/``) each hold their readable loop, kernels, launchers and
``autograd.Function``; helpers used by both live here, as flash-linear-attention keeps
``fla/ops/utils``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import triton
from torch import Tensor
from triton.runtime.interpreter import InterpretedFunction

# With this environment variable set to 1, every buffer a kernel writes starts as NaN, so an
# element a kernel fails to write shows up in the results.
POISON_ENV = "RNNLAB_TRITON_POISON"


@dataclass(frozen=True)
class Tiles:
    """Tile sizes of one launch: batch rows per program, output units (N) and input units (K) per dot."""

    block_b: int
    block_n: int
    block_k: int
    num_warps: int = 8


def next_power_of_2(value: int) -> int:
    return 1 << max(0, value - 1).bit_length()


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def choose_tiles(batch: int, hidden: int, dtype: torch.dtype) -> Tiles:
    """Tiles for ``batch`` rows, ``hidden`` units and weights of ``dtype`` (reasoning in ops/README.md).

    float32 runs on CUDA cores, compute-bound: 16 rows per program give the most programs. bfloat16
    uses tensor cores and is bound by re-reading W_hh each step, so larger batch tiles (up to 64)
    read it fewer times in all at the same time per step.
    """
    units = max(16, next_power_of_2(hidden))
    if is_interpreted():
        # The interpreter pays per operation, not per element: as few tiles as possible.
        return Tiles(block_b=min(64, max(16, next_power_of_2(batch))), block_n=min(128, units),
                     block_k=min(64, units))
    if dtype == torch.float32:
        return Tiles(block_b=16, block_n=min(64, units), block_k=min(32, units))
    block_b = min(64, max(16, next_power_of_2(batch)))
    return Tiles(block_b=block_b, block_n=min(64 if block_b <= 32 else 32, units), block_k=min(64, units))


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


def new_buffer(shape: tuple[int, ...], device: torch.device) -> Tensor:
    """A float32 buffer the kernels write; NaN-filled when RNNLAB_TRITON_POISON=1."""
    if os.environ.get(POISON_ENV) == "1":
        return torch.full(shape, float("nan"), dtype=torch.float32, device=device)
    return torch.empty(shape, dtype=torch.float32, device=device)


def state_rows(num_steps: int, reverse: bool) -> tuple[int, int]:
    """(row of the initial state, first row of h_1..h_T in time order) in a (T + 1, B, H) buffer."""
    return (num_steps, 0) if reverse else (0, 1)
