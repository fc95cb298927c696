"""The loss a trained LM gives a target after a given context, many contexts at a time.

Each context is a 1-D id array that starts with the start token (``<eos>``) and is read from the
model's initial state. Recurrent models take the contexts as right-padded batches, sorted by length
so that padding is short; padding after a context's end cannot change its last output, and only
that last hidden state goes through the decoder. The window model sees the last ``window`` ids
(``<eos>`` before the start, as in evaluation); an n-gram model the last n − 1 words after the
last line end (``<eos>`` is its ``</s>``; a line end within reach makes ``<s>`` part of the history).
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any, Callable, Mapping, Protocol, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..data.vocab import Vocab
from ..errors import CorpusError, RnnlabError
from ..models.neural import load_trained
from ..models.registry import family_of, get_model
from ..ngram import ArpaModel
from .common import RunId, model_meta, trained_arpa

LN10 = math.log(10.0)


class ContextScorer(Protocol):
    def losses(self, contexts: Sequence[np.ndarray], targets: np.ndarray) -> np.ndarray:
        """(n,) loss in nats, −log p(target | context), of each target after its context."""


def load_lm(run: RunId, vocab_size: int, device: torch.device, analysis: str) -> tuple[dict[str, Any], Any, Any]:
    """The trained neural LM of ``run`` (its metadata, network and training config), checked against the corpus."""
    meta = model_meta(run)
    if meta["task"] != "lm":
        raise RnnlabError(f"{run.path}: a {meta['task']} model; the {analysis} analysis needs language models")
    if meta["vocab_size"] != vocab_size:
        raise CorpusError(f"{run.path} was trained with {meta['vocab_size']} words but the corpus has "
                          f"{vocab_size}; analyse the model on the corpus it was trained on")
    _, model, _, train_cfg = load_trained(run.path, device)
    return meta, model.eval(), train_cfg


def _batches(contexts: Sequence[np.ndarray], batch_size: int) -> list[np.ndarray]:
    """Indices of the contexts in batches of similar length."""
    order = np.argsort([c.size for c in contexts], kind="stable")
    return [order[i : i + batch_size] for i in range(0, order.size, batch_size)]


class RecurrentContextScorer:
    def __init__(self, model: torch.nn.Module, device: torch.device, batch_size: int, pad_id: int) -> None:
        self.model, self.device, self.batch_size, self.pad_id = model, device, batch_size, pad_id

    @torch.no_grad()
    def losses(self, contexts: Sequence[np.ndarray], targets: np.ndarray) -> np.ndarray:
        model, out = self.model, np.empty(len(contexts))
        for rows in _batches(contexts, self.batch_size):
            lengths = torch.tensor([contexts[r].size for r in rows])  # (B,)
            ids = torch.full((int(lengths.max()), rows.size), self.pad_id, dtype=torch.long)  # (T, B)
            for j, r in enumerate(rows):
                ids[: lengths[j], j] = torch.from_numpy(contexts[r])
            state = model.initial_state(rows.size, self.device)
            hidden, _ = model.rnn(model.encoder(ids.to(self.device)), model.cell.to_module(state))  # (T, B, H)
            last = hidden[(lengths - 1).to(self.device), torch.arange(rows.size, device=self.device)]  # (B, H)
            logp = F.log_softmax(model.decoder(last).float(), dim=-1)  # (B, V)
            target = torch.from_numpy(targets[rows]).to(self.device).view(-1, 1)  # (B, 1)
            out[rows] = -logp.gather(1, target).squeeze(1).double().cpu().numpy()
        return out


class WindowContextScorer:
    def __init__(self, model: torch.nn.Module, device: torch.device, batch_size: int, start_id: int) -> None:
        self.model, self.device, self.batch_size, self.start_id = model, device, batch_size, start_id

    @torch.no_grad()
    def losses(self, contexts: Sequence[np.ndarray], targets: np.ndarray) -> np.ndarray:
        width, out = self.model.cfg.window, np.empty(len(contexts))
        windows = np.full((len(contexts), width), self.start_id, dtype=np.int64)  # (n, w)
        for i, c in enumerate(contexts):
            last = c[-width:]
            windows[i, width - last.size:] = last
        for start in range(0, len(contexts), self.batch_size):
            rows = slice(start, start + self.batch_size)
            logp = F.log_softmax(self.model(torch.from_numpy(windows[rows]).to(self.device)).float(), dim=-1)  # (B, V)
            target = torch.from_numpy(targets[rows]).to(self.device).view(-1, 1)  # (B, 1)
            out[rows] = -logp.gather(1, target).squeeze(1).double().cpu().numpy()
        return out


class NgramContextScorer:
    """An ARPA model; words come from the corpus vocabulary (``<eos>`` = ``</s>``)."""

    def __init__(self, model: ArpaModel, vocab: Vocab) -> None:
        self.model, self.vocab = model, vocab

    def history(self, context: np.ndarray) -> tuple[int, ...]:
        """The ids the model conditions on: the last n − 1, cut after the last ``<eos>`` among them."""
        reach = context[max(context.size - self.model.order + 1, 0):]
        ends = np.flatnonzero(reach == self.vocab.eos)
        return tuple(reach[ends[-1] + 1 :].tolist()) if ends.size else tuple(reach.tolist())

    def losses(self, contexts: Sequence[np.ndarray], targets: np.ndarray) -> np.ndarray:
        itos, eos = self.vocab.itos, self.vocab.eos
        pairs: dict[tuple[tuple[int, ...], int], int] = {}
        keys = [pairs.setdefault((self.history(c), int(t)), len(pairs)) for c, t in zip(contexts, targets)]
        # Each (history, word) is scored as a sentence from <s>: <s> is out of reach whenever the history
        # holds n − 1 words, and in reach (as it should be) when a line end cut it shorter.
        sentences = [[itos[i] for i in (h if t == eos else (*h, t))] for h, t in pairs]
        scores = self.model.score_sentences(sentences)
        logp10 = np.array([s.logprobs[-1] if t == eos else s.logprobs[-2] for s, (_, t) in zip(scores, pairs)])
        return -logp10[keys] * LN10


def _neural(run: RunId, vocab: Vocab, device: torch.device, batch_size: int) -> ContextScorer:
    meta, model, _ = load_lm(run, len(vocab), device, "context")
    if get_model(meta["name"]).fixed_window:
        return WindowContextScorer(model, device, batch_size, vocab.eos)
    return RecurrentContextScorer(model, device, batch_size, vocab.pad)


def _ngram(run: RunId, vocab: Vocab, device: torch.device, batch_size: int) -> ContextScorer:
    return NgramContextScorer(trained_arpa(run), vocab)


# Model family (the part of the model's name before the first '-') -> how to load its scorer.
CONTEXT_SCORERS: Mapping[str, Callable[[RunId, Vocab, torch.device, int], ContextScorer]] = MappingProxyType({
    "ngram": _ngram, "window": _neural, "rnn": _neural, "lstm": _neural,
})


def load_context_scorer(run: RunId, vocab: Vocab, device: torch.device, batch_size: int) -> ContextScorer:
    family = family_of(run.model)
    if family not in CONTEXT_SCORERS:
        raise RnnlabError(f"{run.path}: model {run.model!r} is not a language model the context analysis reads "
                          f"(families: {', '.join(CONTEXT_SCORERS)})")
    return CONTEXT_SCORERS[family](run, vocab, device, batch_size)
