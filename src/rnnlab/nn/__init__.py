"""Drop-in ``torch.nn.RNN`` / ``torch.nn.LSTM`` with selectable backends.

``loop`` is the readable per-step reference (see ``ops/README.md``); ``torch`` runs torch's own
kernels. New backends are added with :func:`register_backend`.
"""

from .backends import available_backends, default_backend, register_backend
from .dispatch import Backend, RecurrentCall, RecurrentResult, Steps
from .lstm import LSTM
from .rnn import RNN

__all__ = [
    "LSTM",
    "RNN",
    "Backend",
    "RecurrentCall",
    "RecurrentResult",
    "Steps",
    "available_backends",
    "default_backend",
    "register_backend",
]
