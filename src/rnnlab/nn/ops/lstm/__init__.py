"""The long short-term memory layer."""

from .naive import lstm_layer

__all__ = ["lstm_layer"]
