"""RNN and LSTM language models trained with truncated backpropagation through time."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data.batching import batchify, eval_columns, get_bptt_batch, num_bptt_batches
from ..data.vocab import Vocab
from ..errors import ConfigError
from .cells import CELLS, ForgetGate, ParameterGroups, State, forget_bias_of, layer_groups
from .params import require_dropout, require_positive

@dataclass(frozen=True)
class RNNLMConfig:
    emb: int = 200
    hidden: int = 200
    layers: int = 2
    dropout: float = 0.2
    tie: bool = False
    bptt: int = 35
    # Start each epoch's BPTT windows at a seeded offset in [0, bptt): with fixed windows, a token
    # pair that straddles a window boundary never exchanges gradient in any epoch (Merity, Keskar &
    # Socher 2018, section 4.1, who vary the window length for the same reason).
    shift_windows: bool = True

    def __post_init__(self) -> None:
        require_positive(self, "emb", "hidden", "layers", "bptt")
        require_dropout(self.dropout)
        if self.tie and self.emb != self.hidden:
            raise ConfigError(
                f"parameter 'tie' needs emb == hidden (got emb={self.emb}, hidden={self.hidden}); "
                "set them equal or tie: false"
            )


@dataclass(frozen=True)
class LSTMLMConfig(ForgetGate, RNNLMConfig):
    pass


class RNNLM(nn.Module):
    """Embedding -> dropout -> recurrent layers -> dropout -> linear decoder over the vocabulary.

    P(w_{t+1} | w_1..w_t) = softmax(U h_t + b), h_t from the recurrence of ``rnnlab.nn`` (Elman
    1990 for the RNN, Hochreiter & Schmidhuber 1997 for the LSTM); the layout follows pytorch/examples.
    """

    def __init__(self, cell: str, vocab_size: int, cfg: RNNLMConfig, backend: str) -> None:
        super().__init__()
        self.cell = CELLS[cell]
        self.cfg = cfg
        self.drop = nn.Dropout(cfg.dropout)
        self.encoder = nn.Embedding(vocab_size, cfg.emb)
        inner_dropout = cfg.dropout if cfg.layers > 1 else 0.0
        self.rnn = self.cell.make(cfg.emb, cfg.hidden, cfg.layers, inner_dropout, backend, forget_bias_of(cfg))
        self.decoder = nn.Linear(cfg.hidden, vocab_size)
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        if cfg.tie:
            # Weight tying (Press & Wolf 2017; Inan et al. 2017): the output embedding is the input one.
            self.decoder.weight = self.encoder.weight

    def parameter_groups(self) -> ParameterGroups:
        """embedding, l0 .. l<layers-1>, output (a tied output weight counts in embedding)."""
        return {"embedding": list(self.encoder.parameters()), **layer_groups(self.rnn),
                "output": list(self.decoder.parameters())}

    def initial_state(self, batch_size: int, device: torch.device | str) -> State:
        shape = (self.cfg.layers, batch_size, self.cfg.hidden)
        zeros = torch.zeros(shape, device=device, dtype=self.decoder.weight.dtype)
        return tuple(zeros.clone() for _ in range(self.cell.n_states))

    def forward(self, ids: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        # Dropout on the non-recurrent connections only (Zaremba et al. 2014): input, between layers, output.
        emb = self.drop(self.encoder(ids))  # (T, B, E)
        out, new_state = self.rnn(emb, self.cell.to_module(state))  # (T, B, H)
        return self.decoder(self.drop(out)), self.cell.from_module(new_state)  # (T, B, V)


def detach(state: State) -> State:
    return tuple(s.detach() for s in state)


@torch.no_grad()
def lm_nll(model: RNNLM, data: torch.Tensor, vocab: Vocab, batch_size: int, device: torch.device) -> tuple[float, int]:
    """Summed cross-entropy (nats) over every token of ``data`` and the token count.

    The state is carried from chunk to chunk over each evaluation column (the whole split
    when ``batch_size`` is 1); every token, including each ``<eos>``, is predicted once.
    """
    model.eval()
    cols = eval_columns(data, batch_size, start_id=vocab.eos, pad_id=vocab.pad)
    inputs, targets, mask = cols.inputs.to(device), cols.targets.to(device), cols.mask.to(device)
    width = inputs.size(1)
    chunk = max(1, min(256, 2**24 // (width * len(vocab))))
    state = model.initial_state(width, device)
    total = torch.zeros((), dtype=torch.float64, device=device)
    for start in range(0, inputs.size(0), chunk):
        logits, state = model(inputs[start : start + chunk], state)  # (L, B, V)
        nll = F.cross_entropy(logits.flatten(0, 1), targets[start : start + chunk].flatten(), reduction="none")
        total += nll.masked_fill(~mask[start : start + chunk].flatten(), 0.0).sum(dtype=torch.float64)
    return float(total), cols.tokens


def lm_scores(nll: float, tokens: int) -> dict[str, float]:
    ce = nll / tokens
    return {"cross_entropy": ce, "perplexity": math.exp(ce) if ce < 700 else math.inf}


class BPTTObjective:
    """Truncated BPTT over a batchified stream; the state is carried, detached, across batches."""

    def __init__(self, model: RNNLM, train: torch.Tensor, valid: torch.Tensor, vocab: Vocab,
                 batch_size: int, eval_batch_size: int, device: torch.device, seed: int = 0) -> None:
        self.model = model
        self.seed = seed
        self.offset = 0
        self.vocab = vocab
        self.device = device
        self.bptt = model.cfg.bptt
        self.source = batchify(train, batch_size).to(device)  # (T, B)
        self.valid = valid
        self.eval_batch_size = eval_batch_size
        self.state = model.initial_state(batch_size, device)

    @property
    def shifts(self) -> bool:
        """Whether the windows move from epoch to epoch (a stream shorter than two windows keeps them fixed)."""
        return self.model.cfg.shift_windows and self.source.size(0) >= 2 * self.bptt

    def num_batches(self) -> int:
        # With shifting, the same count for every offset: the rows an offset skips at either end are few.
        return num_bptt_batches(self.source[self.bptt - 1 :] if self.shifts else self.source, self.bptt)

    def start_epoch(self, epoch: int) -> None:
        self.state = self.model.initial_state(self.source.size(1), self.device)
        if self.shifts:
            self.offset = int(np.random.default_rng([self.seed, epoch]).integers(self.bptt))

    def batch_loss(self, index: int) -> tuple[torch.Tensor, int, int]:
        inputs, targets = get_bptt_batch(self.source[self.offset :], index, self.bptt)  # (L, B) each
        logits, state = self.model(inputs, detach(self.state))  # (L, B, V)
        self.state = state
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return loss, targets.numel(), targets.numel()

    def carried_state(self) -> dict[str, torch.Tensor]:
        return {f"state.{i}": s.detach() for i, s in enumerate(self.state)}

    def load_carried_state(self, tensors: dict[str, torch.Tensor]) -> None:
        self.state = tuple(tensors[f"state.{i}"].to(self.device) for i in range(len(self.state)))

    def validate(self) -> dict[str, float]:
        nll, tokens = lm_nll(self.model, self.valid, self.vocab, self.eval_batch_size, self.device)
        scores = lm_scores(nll, tokens)
        return {"valid_loss": scores["cross_entropy"], "valid_ppl": scores["perplexity"]}
