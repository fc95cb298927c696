"""RNN, LSTM and BiLSTM sentence classifiers.

Padding never changes a sentence's result: the forward direction reads padding only after a
sentence's last word; the reverse direction reads each sentence reversed within its own
length (padding again comes last); pooling looks only at real positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from ..data.batching import LabelledIds, length_grouped_batches, pad_batch
from ..errors import ConfigError
from .params import require_dropout, require_positive
from .cells import CELLS, ForgetGate, ParameterGroups, forget_bias_of


def reverse_within_length(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse the first ``lengths[b]`` steps of each column of x (T, B, ...); padding stays put."""
    steps = torch.arange(x.size(0), device=x.device).unsqueeze(1)  # (T, 1)
    lengths = lengths.to(x.device).unsqueeze(0)  # (1, B)
    index = torch.where(steps < lengths, lengths - 1 - steps, steps)  # (T, B)
    return x.gather(0, index.view(*index.shape, *([1] * (x.dim() - 2))).expand_as(x))


def valid_mask(lengths: torch.Tensor, steps: int) -> torch.Tensor:
    """(T, B) True where a step belongs to the sentence."""
    return torch.arange(steps, device=lengths.device).unsqueeze(1) < lengths.unsqueeze(0)


def pool_last(out: torch.Tensor, lengths: torch.Tensor, hidden: int) -> torch.Tensor:
    """Final states: forward h at each sentence's last word; reverse h at its first word."""
    batch = torch.arange(out.size(1), device=out.device)
    forward = out[lengths - 1, batch, :hidden]  # (B, H)
    if out.size(2) == hidden:
        return forward
    return torch.cat([forward, out[0, :, hidden:]], dim=1)  # (B, 2H)


def pool_mean(out: torch.Tensor, lengths: torch.Tensor, hidden: int) -> torch.Tensor:
    mask = valid_mask(lengths, out.size(0)).unsqueeze(2).to(out.dtype)  # (T, B, 1)
    return (out * mask).sum(0) / lengths.unsqueeze(1).to(out.dtype)  # (B, D)


def pool_max(out: torch.Tensor, lengths: torch.Tensor, hidden: int) -> torch.Tensor:
    mask = valid_mask(lengths, out.size(0)).unsqueeze(2)  # (T, B, 1)
    return out.masked_fill(~mask, float("-inf")).max(0).values  # (B, D)


POOLINGS: Mapping[str, Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]] = MappingProxyType(
    {"last": pool_last, "mean": pool_mean, "max": pool_max}
)


@dataclass(frozen=True)
class ClassifierConfig:
    emb: int = 100
    hidden: int = 128
    layers: int = 1
    dropout: float = 0.3
    pooling: str = "last"

    def __post_init__(self) -> None:
        require_positive(self, "emb", "hidden", "layers")
        require_dropout(self.dropout)
        if self.pooling not in POOLINGS:
            raise ConfigError(f"parameter 'pooling' must be one of {', '.join(POOLINGS)}, got {self.pooling!r}")


@dataclass(frozen=True)
class LSTMClassifierConfig(ForgetGate, ClassifierConfig):
    pass


class RecurrentEncoder(nn.Module):
    """Embedding -> recurrent layers, one or two directions per layer; the last layer's states.

    Shared by the classifiers and the taggers; subclasses add their output layer. Each layer is
    its own module so that the reverse direction can read every sentence within its length.
    """

    def __init__(self, cell: str, bidirectional: bool, vocab_size: int, emb: int, hidden: int, layers: int,
                 dropout: float, backend: str, forget_bias: float | None = None) -> None:
        super().__init__()
        spec = CELLS[cell]
        self.directions = 2 if bidirectional else 1
        self.embed = nn.Embedding(vocab_size, emb)
        self.drop = nn.Dropout(dropout)
        sizes = [emb] + [self.directions * hidden] * (layers - 1)
        self.forward_layers = nn.ModuleList(spec.make(size, hidden, 1, 0.0, backend, forget_bias) for size in sizes)
        self.reverse_layers = nn.ModuleList(
            spec.make(size, hidden, 1, 0.0, backend, forget_bias) for size in (sizes if bidirectional else [])
        )

    def parameter_groups(self) -> ParameterGroups:
        """embedding, then l<k> for each layer (and l<k>_reverse for its reverse direction); subclasses add theirs."""
        groups = {"embedding": list(self.embed.parameters())}
        for direction, layers in (("", self.forward_layers), ("_reverse", self.reverse_layers)):
            groups |= {f"l{k}{direction}": list(layer.parameters()) for k, layer in enumerate(layers)}
        return groups

    def encode(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids (T, B) padded at the end, lengths (B,) -> last layer's states (T, B, directions*H),
        with dropout between layers but not after the last."""
        lengths = lengths.to(ids.device)
        x = self.drop(self.embed(ids))  # (T, B, E)
        for layer, forward in enumerate(self.forward_layers):
            out, _ = forward(x)  # (T, B, H)
            if self.reverse_layers:
                rev, _ = self.reverse_layers[layer](reverse_within_length(x, lengths))
                out = torch.cat([out, reverse_within_length(rev, lengths)], dim=2)  # (T, B, 2H)
            x = self.drop(out) if layer + 1 < len(self.forward_layers) else out
        return x


class RNNClassifier(RecurrentEncoder):
    """Embedding -> recurrent layers (one or two directions) -> pooling -> linear over labels."""

    def __init__(self, cell: str, bidirectional: bool, vocab_size: int, num_labels: int,
                 cfg: ClassifierConfig, backend: str) -> None:
        super().__init__(cell, bidirectional, vocab_size, cfg.emb, cfg.hidden, cfg.layers, cfg.dropout, backend,
                         forget_bias_of(cfg))
        self.cfg = cfg
        self.out = nn.Linear(self.directions * cfg.hidden, num_labels)

    def parameter_groups(self) -> ParameterGroups:
        return {**super().parameter_groups(), "output": list(self.out.parameters())}

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids (T, B) padded at the end, lengths (B,) -> logits (B, C)."""
        x = self.encode(ids, lengths)  # (T, B, D)
        features = POOLINGS[self.cfg.pooling](x, lengths.to(ids.device), self.cfg.hidden)  # (B, D)
        return self.out(self.drop(features))


@torch.no_grad()
def predict_logits(model: RNNClassifier, data: LabelledIds, pad_id: int, device: torch.device,
                   batch_size: int = 256) -> torch.Tensor:
    """Logits (N, C) in the data's order; sentences are batched by length for speed."""
    model.eval()
    order = sorted(range(len(data.sentences)), key=lambda i: data.sentences[i].numel())
    logits = torch.empty(len(order), model.out.out_features)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        ids, lengths = pad_batch([data.sentences[i] for i in rows], pad_id)
        logits[rows] = model(ids.to(device), lengths).float().cpu()
    return logits


class PaddedSentenceBatches:
    """Shuffled mini-batches of padded sentences of similar length, for the objectives of the sentence models.

    Subclasses turn ``padded(rows)`` into a loss. Sentences carry no state across batches.
    """

    def __init__(self, sentences: list[torch.Tensor], pad_id: int, batch_size: int, device: torch.device,
                 seed: int) -> None:
        self.sentences = sentences
        self.pad_id = pad_id
        self.batch_size = batch_size
        self.device = device
        self.seed = seed
        self.lengths = [s.numel() for s in sentences]
        self.batches = length_grouped_batches(self.lengths, batch_size, seed, 0)

    def num_batches(self) -> int:
        return len(self.batches)

    def start_epoch(self, epoch: int) -> None:
        self.batches = length_grouped_batches(self.lengths, self.batch_size, self.seed, epoch)

    def padded(self, index: int) -> tuple[list[int], torch.Tensor, torch.Tensor]:
        """Rows of batch ``index``, their ids (T, B) on the device and lengths (B,)."""
        rows = self.batches[index]
        ids, lengths = pad_batch([self.sentences[i] for i in rows], self.pad_id)  # (T, B), (B,)
        return rows, ids.to(self.device), lengths

    def carried_state(self) -> dict[str, torch.Tensor]:
        return {}

    def load_carried_state(self, tensors: dict[str, torch.Tensor]) -> None:
        return None


class ClassificationObjective(PaddedSentenceBatches):
    """Loss = mean cross-entropy per sentence."""

    def __init__(self, model: RNNClassifier, train: LabelledIds, valid: LabelledIds, pad_id: int,
                 batch_size: int, device: torch.device, seed: int) -> None:
        super().__init__(train.sentences, pad_id, batch_size, device, seed)
        self.model = model
        self.train = train
        self.valid = valid

    def batch_loss(self, index: int) -> tuple[torch.Tensor, int, int]:
        rows, ids, lengths = self.padded(index)
        logits = self.model(ids, lengths)  # (B, C)
        loss = F.cross_entropy(logits, self.train.labels[rows].to(self.device))
        return loss, len(rows), int(lengths.sum())

    def validate(self) -> dict[str, float]:
        logits = predict_logits(self.model, self.valid, self.pad_id, self.device)
        loss = F.cross_entropy(logits, self.valid.labels).item()
        accuracy = (logits.argmax(1) == self.valid.labels).double().mean().item()
        return {"valid_loss": loss, "valid_accuracy": 100 * accuracy}
