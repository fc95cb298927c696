"""The fixed-window neural language model of Bengio et al. (2003)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..data.batching import epoch_permutation, window_contexts
from ..data.vocab import Vocab
from .cells import ParameterGroups
from .params import require_dropout, require_positive
from .rnn_lm import lm_scores


@dataclass(frozen=True)
class WindowConfig:
    emb: int = 64
    hidden: int = 256
    window: int = 4  # how many previous words the model sees (n - 1 of an n-gram)
    dropout: float = 0.1

    def __post_init__(self) -> None:
        require_positive(self, "emb", "hidden", "window")
        require_dropout(self.dropout)


class WindowLM(nn.Module):
    """P(w_t | w_{t-n+1} .. w_{t-1}) from the concatenated embeddings of the window.

    Bengio et al. 2003, eq. 1 without the direct connections:
    y = b + U tanh(d + H x),  x = [C(w_{t-n+1}); ...; C(w_{t-1})],  P = softmax(y).
    """

    def __init__(self, vocab_size: int, cfg: WindowConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(vocab_size, cfg.emb)
        self.hidden = nn.Linear(cfg.window * cfg.emb, cfg.hidden)
        self.drop = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(cfg.hidden, vocab_size)

    def parameter_groups(self) -> ParameterGroups:
        return {"embedding": list(self.embed.parameters()), "hidden": list(self.hidden.parameters()),
                "output": list(self.out.parameters())}

    def forward(self, contexts: torch.Tensor) -> torch.Tensor:
        x = self.embed(contexts).flatten(1)  # (B, n-1, E) -> (B, (n-1)E)
        h = torch.tanh(self.hidden(self.drop(x)))  # (B, H)
        return self.out(self.drop(h))  # (B, V)


@torch.no_grad()
def window_nll(model: WindowLM, data: torch.Tensor, vocab: Vocab, device: torch.device) -> tuple[float, int]:
    """Summed cross-entropy (nats) of every token of ``data`` given its window, and the count."""
    model.eval()
    contexts = window_contexts(data, model.cfg.window, start_id=vocab.eos)  # (N, n-1)
    chunk = max(64, 2**24 // len(vocab))
    total = torch.zeros((), dtype=torch.float64, device=device)
    for start in range(0, data.numel(), chunk):
        logits = model(contexts[start : start + chunk].to(device))  # (b, V)
        targets = data[start : start + chunk].to(device)
        total += F.cross_entropy(logits, targets, reduction="sum").to(torch.float64)
    return float(total), data.numel()


class WindowObjective:
    """Shuffled (window, next word) pairs from the training stream."""

    def __init__(self, model: WindowLM, train: torch.Tensor, valid: torch.Tensor, vocab: Vocab,
                 batch_size: int, device: torch.device, seed: int) -> None:
        self.model = model
        self.vocab = vocab
        self.device = device
        self.seed = seed
        self.batch_size = batch_size
        self.targets = train
        self.contexts = window_contexts(train, model.cfg.window, start_id=vocab.eos)  # (N, n-1)
        self.valid = valid
        self.order = torch.arange(train.numel())

    def num_batches(self) -> int:
        return math.ceil(self.targets.numel() / self.batch_size)

    def start_epoch(self, epoch: int) -> None:
        self.order = epoch_permutation(self.targets.numel(), self.seed, epoch)

    def batch_loss(self, index: int) -> tuple[torch.Tensor, int, int]:
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        logits = self.model(self.contexts[rows].to(self.device))  # (B, V)
        loss = F.cross_entropy(logits, self.targets[rows].to(self.device))
        return loss, rows.numel(), rows.numel()

    def carried_state(self) -> dict[str, torch.Tensor]:
        return {}

    def load_carried_state(self, tensors: dict[str, torch.Tensor]) -> None:
        return None

    def validate(self) -> dict[str, float]:
        nll, tokens = window_nll(self.model, self.valid, self.vocab, self.device)
        scores = lm_scores(nll, tokens)
        return {"valid_loss": scores["cross_entropy"], "valid_ppl": scores["perplexity"]}
