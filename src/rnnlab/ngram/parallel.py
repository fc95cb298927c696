"""Running a function over a stream of inputs on a pool, results in input order, few in flight."""

from __future__ import annotations

from collections import deque
from concurrent.futures import Executor, Future
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def in_order(pool: Executor, fn: Callable[..., R], inputs: Iterable[tuple], ahead: int) -> Iterator[R]:
    """``fn(*args)`` for each ``args`` of ``inputs``, in order, with at most ``ahead + 1`` submitted at
    once (``Executor.map`` would take every input first, so memory would grow with the stream)."""
    pending: deque[Future[R]] = deque()
    for args in inputs:
        pending.append(pool.submit(fn, *args))
        if len(pending) > ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
