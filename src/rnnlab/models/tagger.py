"""RNN, LSTM and BiLSTM sequence taggers: one tag distribution per word, or a CRF over the tags.

Padding never changes a word's scores: the forward direction reads padding only after a
sentence's last word, the reverse direction reads each sentence reversed within its own
length (padding again comes last), and the loss and predictions skip padded positions.
A tagger says how its scores become a loss and tags (``loss_sum``, ``decode``): a softmax per
word for :class:`RNNTagger`, a linear-chain CRF for :class:`CRFTagger`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..data.batching import pad_batch
from ..data.conllu_io import TaggedSentence
from .cells import ForgetGate, ParameterGroups, forget_bias_of
from .classifier import PaddedSentenceBatches, RecurrentEncoder
from .crf import LinearChainCRF, iob2_allowed
from .params import require_dropout, require_positive

IGNORE = -100  # target of padded positions: no loss, no score


@dataclass(frozen=True)
class TaggerConfig:
    emb: int = 64
    hidden: int = 100
    layers: int = 1
    dropout: float = 0.2

    def __post_init__(self) -> None:
        require_positive(self, "emb", "hidden", "layers")
        require_dropout(self.dropout)


@dataclass(frozen=True)
class LSTMTaggerConfig(ForgetGate, TaggerConfig):
    pass


@dataclass(frozen=True)
class CRFTaggerConfig(LSTMTaggerConfig):
    constrained: bool = True  # strict IOB2: transitions BIO forbids are fixed at -inf


@dataclass(frozen=True)
class TaggedIds:
    """A split as id tensors, with the sentences they came from (for OOV / right-context scores)."""

    words: list[torch.Tensor]  # each (T_i,)
    tags: list[torch.Tensor]  # each (T_i,)
    sentences: list[TaggedSentence]


class RNNTagger(RecurrentEncoder):
    """Embedding -> recurrent layers (one or two directions) -> linear over tags at every word."""

    def __init__(self, cell: str, bidirectional: bool, vocab_size: int, num_tags: int,
                 cfg: TaggerConfig, backend: str) -> None:
        super().__init__(cell, bidirectional, vocab_size, cfg.emb, cfg.hidden, cfg.layers, cfg.dropout, backend,
                         forget_bias_of(cfg))
        self.cfg = cfg
        self.out = nn.Linear(self.directions * cfg.hidden, num_tags)

    def parameter_groups(self) -> ParameterGroups:
        return {**super().parameter_groups(), "output": list(self.out.parameters())}

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids (T, B) padded at the end, lengths (B,) -> logits (T, B, C)."""
        return self.out(self.drop(self.encode(ids, lengths)))  # (T, B, C)

    def loss_sum(self, logits: torch.Tensor, tags: list[torch.Tensor], lengths: torch.Tensor) -> torch.Tensor:
        """Cross-entropy summed over the words of the batch."""
        targets = padded_targets(tags).to(logits.device)  # (T, B)
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE, reduction="sum")

    def decode(self, logits: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
        """The most probable tag of each word, per sentence in its own length."""
        best = logits.argmax(2)  # (T, B)
        return [best[: int(n), b].tolist() for b, n in enumerate(lengths)]


class CRFTagger(RNNTagger):
    """The recurrent tagger's scores as CRF emissions (Huang, Xu & Yu 2015; Lample et al. 2016)."""

    def __init__(self, cell: str, bidirectional: bool, vocab_size: int, tags: tuple[str, ...],
                 cfg: CRFTaggerConfig, backend: str) -> None:
        super().__init__(cell, bidirectional, vocab_size, len(tags), cfg, backend)
        self.crf = LinearChainCRF(len(tags), *(iob2_allowed(tags) if cfg.constrained else (None, None)))

    def parameter_groups(self) -> ParameterGroups:
        return {**super().parameter_groups(), "crf": list(self.crf.parameters())}

    def loss_sum(self, logits: torch.Tensor, tags: list[torch.Tensor], lengths: torch.Tensor) -> torch.Tensor:
        """−log p(tags | sentence) summed over the sentences of the batch."""
        targets = torch.nn.utils.rnn.pad_sequence(tags).to(logits.device)  # (T, B)
        return self.crf.nll(logits, targets, lengths).sum()

    def decode(self, logits: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
        """The Viterbi tag sequence of each sentence."""
        return self.crf.viterbi(logits, lengths)


def padded_targets(tags: list[torch.Tensor]) -> torch.Tensor:
    """(T, B) gold tag ids, IGNORE on padding."""
    return torch.nn.utils.rnn.pad_sequence(tags, padding_value=IGNORE)


@torch.no_grad()
def predict_tags(model: RNNTagger, data: TaggedIds, pad_id: int, device: torch.device,
                 batch_size: int = 128) -> tuple[list[list[int]], float]:
    """Predicted tag ids per sentence (data order) and the mean cross-entropy per word."""
    model.eval()
    order = sorted(range(len(data.words)), key=lambda i: data.words[i].numel())
    predicted: list[list[int]] = [[] for _ in order]
    total, count = 0.0, 0
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        ids, lengths = pad_batch([data.words[i] for i in rows], pad_id)  # (T, B), (B,)
        logits = model(ids.to(device), lengths).float()  # (T, B, C)
        total += model.loss_sum(logits, [data.tags[i] for i in rows], lengths).item()
        count += int(lengths.sum())
        for i, tags in zip(rows, model.decode(logits, lengths)):
            predicted[i] = tags
    return predicted, total / max(count, 1)


class TaggingObjective(PaddedSentenceBatches):
    """Loss = the tagger's loss (cross-entropy or CRF negative log-likelihood) per word."""

    def __init__(self, model: RNNTagger, train: TaggedIds, valid: TaggedIds, pad_id: int,
                 batch_size: int, device: torch.device, seed: int) -> None:
        super().__init__(train.words, pad_id, batch_size, device, seed)
        self.model, self.train, self.valid = model, train, valid

    def batch_loss(self, index: int) -> tuple[torch.Tensor, int, int]:
        rows, ids, lengths = self.padded(index)
        logits = self.model(ids, lengths)  # (T, B, C)
        words = int(lengths.sum())
        loss = self.model.loss_sum(logits, [self.train.tags[i] for i in rows], lengths) / words
        return loss, words, words

    def validate(self) -> dict[str, float]:
        predicted, loss = predict_tags(self.model, self.valid, self.pad_id, self.device)
        gold = torch.cat(self.valid.tags)
        guess = torch.tensor([t for tags in predicted for t in tags], dtype=torch.long)
        return {"valid_loss": loss, "valid_accuracy": 100 * (gold == guess).double().mean().item()}
