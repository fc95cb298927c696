"""The ``cpu`` backend, the default on the CPU: the fastest implementation of each cell there.

- LSTM: torch's fused kernel (oneDNN on the CPU), exactly as the ``torch`` backend runs it.
- tanh RNN: torch has no fused CPU kernel for it, and ``_VF.rnn_tanh`` puts every step's addmm and
  tanh into the autograd graph. This backend runs the recurrence of each layer and direction as one
  autograd node instead (``ops/rnn/cpu.py``), with the same forward arithmetic and the backward
  through time written out. Without a backward to follow (evaluation, ``torch.no_grad``), torch's
  own loop is faster (its per-step calls run in C++), so it runs then; packed sequences and dtypes
  other than float32 and float64 go to torch as well.
"""

from __future__ import annotations

import torch

from ..dispatch import RecurrentCall, RecurrentResult
from ..ops.rnn import rnn_tanh_cpu
from .stack import stack_dense
from .torch_vf import TorchBackend

DTYPES = (torch.float32, torch.float64)


def needs_backward(call: RecurrentCall) -> bool:
    """Whether autograd records this call: grad mode is on and some input requires a gradient."""
    inputs = (call.x, *call.hx, *call.weights)
    return torch.is_grad_enabled() and any(tensor.requires_grad for tensor in inputs)


class CPUBackend:
    """torch's LSTM; the tanh RNN as one autograd node per layer and direction."""

    supports_steps = False

    def __init__(self) -> None:
        self._torch = TorchBackend()

    def rnn(self, call: RecurrentCall) -> RecurrentResult:
        if call.batch_sizes is not None or call.x.dtype not in DTYPES or not needs_backward(call):
            return self._torch.rnn(call)
        return stack_dense(call, rnn_tanh_cpu)

    def lstm(self, call: RecurrentCall) -> RecurrentResult:
        return self._torch.lstm(call)
