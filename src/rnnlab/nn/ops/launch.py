"""Launching the tile kernels of ``recurrence.py`` in either mode, for both cells.

Persistent mode is one cooperative launch over all steps with a grid barrier after each; the other
mode puts a kernel boundary between steps (one launch per step, or one for all steps when a single
unit block owns all H units). Both use the same grid of P programs (``plan.py``).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from ..backends.triton import require_triton_features
from .barrier import new_flags, raise_on_timeout, timeout_ns
from .plan import Plan


def run_steps(kernel: Callable, plan: Plan, batch: int, hidden: int, num_steps: int, device: torch.device,
              what: str, launch: Callable[..., None]) -> None:
    """Run ``num_steps`` steps of ``kernel`` on ``plan``'s grid.

    ``launch(kernel_call, counters, status, first_step, steps, timeout, options)`` passes the
    kernel's own arguments; this function decides how many launches and which mode.
    """
    programs = plan.programs(batch, hidden)
    grid = (programs,)
    options = dict(RESIDENT=plan.resident(hidden), UNITS=plan.units, BLOCK_B=plan.block_b,
                   BLOCK_K=plan.block_k(hidden), **plan.compiler_options())
    if plan.persistent:
        require_triton_features()  # for callers of the ops that bypass the backend; cached
        counters, status = new_flags(num_steps, device)
        launch(kernel[grid], counters, status, 0, num_steps, timeout_ns(),
               dict(options, PERSISTENT=True, launch_cooperative_grid=True))
        raise_on_timeout(status, what, programs)
        return
    counters = status = torch.empty(1, dtype=torch.int32, device=device)  # not read without the grid barrier
    options["PERSISTENT"] = False
    if plan.unit_blocks(hidden) == 1:
        launch(kernel[grid], counters, status, 0, num_steps, 0, options)
        return
    for step in range(num_steps):
        launch(kernel[grid], counters, status, step, 1, 0, options)
