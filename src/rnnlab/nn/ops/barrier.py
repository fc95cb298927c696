"""The grid-wide barrier of the persistent kernels, its time-out, and the cooperative launch it needs.

All programs of a persistent launch meet once per step. Each step has its own int32 counter, zero
when the launch starts and never reset, so a counter only ever counts the arrivals of its step (no
ABA): a program adds 1 with release ordering after its stores of the step and polls, with acquire
ordering, until the counter holds the number of programs. The poll has a time-out measured by the
GPU's global timer (``%globaltimer``, read inside ``tl.atomic_poll``); a program whose poll runs out
sets a status flag, later barriers of any program that sees the flag stop waiting, and the launcher
turns the flag into :class:`BarrierTimeoutError`. A kernel with a broken barrier therefore ends
within about one time-out instead of hanging.
"""

from __future__ import annotations

import os

import torch
import triton
import triton.language as tl
from torch import Tensor

from ...errors import RnnlabError

TIMEOUT_ENV = "RNNLAB_TRITON_BARRIER_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 10.0


class BarrierTimeoutError(RnnlabError):
    """The programs of a persistent launch did not all reach a step's barrier in time."""


def timeout_ns() -> int:
    """The time-out of one barrier wait in nanoseconds, from RNNLAB_TRITON_BARRIER_TIMEOUT_S (seconds)."""
    text = os.environ.get(TIMEOUT_ENV)
    if text is None:
        return int(DEFAULT_TIMEOUT_S * 1e9)
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"{TIMEOUT_ENV} must be a positive number of seconds, got {text!r}")
    return int(seconds * 1e9)


def new_flags(num_steps: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """(one zeroed int32 arrival counter per step (T,), the zeroed time-out status (1,))."""
    return (torch.zeros(num_steps, dtype=torch.int32, device=device),
            torch.zeros(1, dtype=torch.int32, device=device))


def raise_on_timeout(status: Tensor, what: str, programs: int) -> None:
    """Turn a set status flag into one error naming the launch and the way out."""
    if int(status.item()) != 0:
        raise BarrierTimeoutError(
            f"the grid barrier of the persistent {what} kernel ({programs} programs) timed out after "
            f"{timeout_ns() / 1e9:g} s: not every program reached it ({TIMEOUT_ENV} sets the time-out); "
            "set the backend to torch"
        )


@triton.jit
def grid_barrier(count_ptr, status_ptr, timeout_ns):
    """Wait until every program of the grid has arrived at the counter ``count_ptr`` of this step."""
    # Every thread of this program has issued its stores of the step before one thread announces it.
    tl.debug_barrier()
    tl.atomic_add(count_ptr, 1, sem="release", scope="gpu")
    failed = tl.load(status_ptr, volatile=True)
    budget = tl.where(failed == 0, timeout_ns, 0)
    arrived = tl.atomic_poll(count_ptr, tl.num_programs(0), sem="acquire", scope="gpu", timeout_ns=budget)
    tl.store(status_ptr, 1, mask=arrived == 0)
    # No thread reads the other programs' results before the poll has acquired them.
    tl.debug_barrier()
