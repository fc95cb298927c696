"""rnnlab: n-gram, window, RNN, LSTM and BiLSTM models as a reproducible pipeline."""

__version__ = "0.1.0"
