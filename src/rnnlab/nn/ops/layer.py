"""What every single-layer, single-direction recurrent operator takes and returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import torch
from torch import Tensor


@dataclass(frozen=True)
class LayerWeights:
    """One layer's weights for one direction, in torch's shapes (G gates of size H each)."""

    w_ih: Tensor  # (G*H, I)
    w_hh: Tensor  # (G*H, H)
    b_ih: Tensor | None  # (G*H,)
    b_hh: Tensor | None  # (G*H,)


@dataclass(frozen=True)
class LayerResult:
    """Per-step hidden states in time order and the final state tuple."""

    # states[t] = h_t, (B, H); rows of sequences not active at t keep their previous value.
    states: list[Tensor]
    # (h_n,) for an RNN, (h_n, c_n) for an LSTM; each (B, H).
    final: tuple[Tensor, ...]


class LayerOp(Protocol):
    def __call__(
        self,
        x: Tensor,
        batch_sizes: Sequence[int],
        state: tuple[Tensor, ...],
        weights: LayerWeights,
        reverse: bool = False,
    ) -> LayerResult: ...


def step_order(num_steps: int, reverse: bool) -> range:
    """Time indices in processing order: 0..T-1, or T-1..0 for the reverse direction."""
    return range(num_steps - 1, -1, -1) if reverse else range(num_steps)


def update_active(old: Tensor, new_active: Tensor) -> Tensor:
    """Replace the first rows of ``old`` (B, H) by ``new_active`` (b, H); the other rows are padding."""
    if new_active.shape[0] == old.shape[0]:
        return new_active
    return torch.cat([new_active, old[new_active.shape[0] :]])


def layer_output(states: Sequence[Tensor], batch_sizes: Sequence[int]) -> Tensor:
    """Packed output (N, H): the active rows of every step's state, in time order."""
    return torch.cat([h[:size] for h, size in zip(states, batch_sizes)])
