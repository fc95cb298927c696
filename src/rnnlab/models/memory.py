"""Training memory of a neural model, estimated from its hyperparameters before any job runs.

Weights: the embedding (vocab x emb); per recurrent layer and direction, G gates (Elman RNN 1,
LSTM 4: Hochreiter & Schmidhuber 1997) over [input; hidden] with two biases, the first layer reading
the embedding and each later one the previous layer's output (hidden, 2 x hidden when
bidirectional); for the window LM instead one tanh layer over the concatenated window, no
recurrence; the output layer (the vocabulary for a language model, the labels otherwise; none when
an LM ties it to the embedding). Each weight costs BYTES_PER_PARAM in training.

Activations kept for the backward pass, float32, per token of a batch (bptt steps of an LM's batch,
ASSUMED_SENTENCE words of a sentence batch, one window of the window LM): the embedding, per layer
and direction the gates and the state, and the logits (per sentence for a classifier).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Bytes per float32 weight in training: the weight, its gradient and Adam's two moments
# (Kingma & Ba 2015, Algorithm 1).
BYTES_PER_PARAM = 4 * 4
BYTES_PER_ACTIVATION = 4
# Words of the longest sentence of a batch (sentence batches are padded to it), where no bptt says.
ASSUMED_SENTENCE = 100


@dataclass(frozen=True)
class MemoryEstimate:
    key: str  # the hyperparameter that dominates: emb, hidden or batch_size
    weights: int  # parameters
    recurrent: int  # of them, those of the recurrent layers
    activations: int  # floats kept for the backward pass

    @property
    def bytes(self) -> int:
        return self.weights * BYTES_PER_PARAM + self.activations * BYTES_PER_ACTIVATION


def estimate(task: str, cfg: Any, batch_size: int, gates: int | None, directions: int, vocab: int,
             labels: int) -> MemoryEstimate:
    """The estimate for model config ``cfg`` (emb, hidden and layers or window); ``gates`` None: the window LM."""
    emb, hidden = cfg.emb, cfg.hidden
    outputs = vocab if task == "lm" else labels
    if gates is None:
        inner, recurrent = (cfg.window * emb + 1) * hidden, 0
        tokens, per_token = batch_size, cfg.window * emb + hidden + outputs
    else:
        recurrent, size = 0, emb
        for _ in range(cfg.layers):
            recurrent += directions * gates * (size + hidden + 2) * hidden
            size = directions * hidden
        inner = recurrent
        tokens = batch_size * getattr(cfg, "bptt", ASSUMED_SENTENCE)
        per_token = emb + cfg.layers * directions * (gates + 1) * hidden + (0 if task == "classification" else outputs)
        hidden *= directions
    output = 0 if getattr(cfg, "tie", False) else hidden * outputs
    weights = vocab * emb + inner + output + outputs
    activations = tokens * per_token + (batch_size * outputs if task == "classification" else 0)
    key = ("batch_size" if activations * BYTES_PER_ACTIVATION > weights * BYTES_PER_PARAM
           else "hidden" if cfg.hidden >= emb else "emb")
    return MemoryEstimate(key, weights, recurrent, activations)
