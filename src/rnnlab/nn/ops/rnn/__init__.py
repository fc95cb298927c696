"""The tanh (Elman) recurrent layer."""

from .naive import rnn_tanh_layer

__all__ = ["rnn_tanh_layer"]
