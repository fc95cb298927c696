"""The ``torch`` backend: torch's fused kernels (cuDNN on GPU) on the module's own Parameters."""

from __future__ import annotations

from typing import Any, Callable

from torch import Tensor, _VF

from ..dispatch import RecurrentCall, RecurrentResult


def call_vf(kernel: Callable[..., Any], call: RecurrentCall, hx: Any) -> tuple[Tensor, ...]:
    """Call a ``torch._VF`` recurrent kernel with the dense or the packed signature."""
    # The Parameters themselves go to the kernel: on GPU they are views into the single buffer
    # that flatten_parameters() made, so cuDNN reads them without a copy.
    weights = list(call.weights)
    options = (call.has_biases, call.num_layers, call.dropout, call.training, call.bidirectional)
    if call.batch_sizes is None:
        return kernel(call.x, hx, weights, *options, False)
    return kernel(call.x, call.batch_sizes, hx, weights, *options)


class TorchBackend:
    """Delegates to ``torch._VF.rnn_tanh`` / ``torch._VF.lstm``, exactly what torch.nn runs."""

    supports_steps = False

    def rnn(self, call: RecurrentCall) -> RecurrentResult:
        output, h_n = call_vf(_VF.rnn_tanh, call, call.hx[0])
        return RecurrentResult(output=output, hidden=(h_n,))

    def lstm(self, call: RecurrentCall) -> RecurrentResult:
        output, h_n, c_n = call_vf(_VF.lstm, call, call.hx)
        return RecurrentResult(output=output, hidden=(h_n, c_n))
