"""Turning a processed corpus into id tensors and mini-batches for the neural models.

Language-model text is one stream of ids with ``<eos>`` after every line (the n-gram's
convention: one end-of-sentence token per line, blank lines skipped). Classification
sentences stay separate and are padded per batch; their lengths travel with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import CorpusError
from .processed import read_classification_split, read_labels, read_lm_split, split_path
from .vocab import Vocab


def encode_lm_split(corpus_dir: Path, split: str, vocab: Vocab) -> torch.Tensor:
    """All lines of ``{split}.txt`` as one id stream, ``<eos>`` after each line: shape (N,)."""
    ids = vocab.encode_stream(read_lm_split(corpus_dir, split))
    if not ids.size:
        raise CorpusError(f"{split_path(corpus_dir, 'lm', split)} has no tokens; check the corpus")
    return torch.from_numpy(ids)


# batchify, as in pytorch/examples' word_language_model: the stream is cut into B columns
# that are read top to bottom in parallel; the tail that does not fill a whole row is dropped.
#
#   stream: a b c d e f g h i j k l m n o p q r s t u v w x y z      (B = 4)
#
#            col 0  col 1  col 2  col 3
#   row 0      a      g      m      s
#   row 1      b      h      n      t
#   row 2      c      i      o      u        shape (T = 6, B = 4); "y z" dropped
#   row 3      d      j      p      v
#   row 4      e      k      q      w
#   row 5      f      l      r      x
#
# A BPTT batch starting at row i takes inputs rows i..i+bptt-1 and targets one row lower,
# e.g. bptt = 2, i = 0: inputs [[a g m s], [b h n t]], targets [[b h n t], [c i o u]].
# The next batch starts at row 2, so each column's hidden state carries on where it stopped.


def batchify(data: torch.Tensor, batch_size: int) -> torch.Tensor:
    """(N,) -> (N // B, B), column-major as drawn above."""
    rows = data.numel() // batch_size
    if rows < 2:
        raise CorpusError(
            f"the training text has {data.numel()} tokens, too few for batch_size {batch_size}; "
            "lower batch_size or use a larger corpus"
        )
    return data[: rows * batch_size].view(batch_size, rows).t().contiguous()


def num_bptt_batches(source: torch.Tensor, bptt: int) -> int:
    """Number of BPTT batches in a batchified (T, B) source: rows 0, bptt, 2·bptt, ... < T − 1."""
    return (source.size(0) - 2) // bptt + 1


def get_bptt_batch(source: torch.Tensor, index: int, bptt: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets of the ``index``-th BPTT batch: both (L, B), L ≤ bptt."""
    start = index * bptt
    length = min(bptt, source.size(0) - 1 - start)
    return source[start : start + length], source[start + 1 : start + 1 + length]


@dataclass(frozen=True)
class EvalColumns:
    """A split laid out for evaluation so that every token is predicted exactly once."""

    inputs: torch.Tensor  # (T, B)
    targets: torch.Tensor  # (T, B)
    mask: torch.Tensor  # (T, B) bool, False on padding

    @property
    def tokens(self) -> int:
        return int(self.mask.sum())


def eval_columns(data: torch.Tensor, batch_size: int, start_id: int, pad_id: int) -> EvalColumns:
    """Split the N targets of ``data`` into ``batch_size`` contiguous columns, no token dropped.

    The input before the first token is ``start_id`` (``<eos>``: the text starts after a line
    end); column j's first input is the token before its first target, so only the start of
    each column lacks earlier context. With ``batch_size = 1`` the state runs over the whole split.
    Shorter columns are padded at the end, where padding cannot influence earlier steps.
    """
    n = data.numel()
    batch_size = max(1, min(batch_size, n))
    stream = torch.cat([data.new_tensor([start_id]), data])  # (N + 1,)
    base, extra = divmod(n, batch_size)
    rows = base + (1 if extra else 0)
    inputs = data.new_full((rows, batch_size), pad_id)
    targets = data.new_full((rows, batch_size), pad_id)
    mask = torch.zeros(rows, batch_size, dtype=torch.bool)
    start = 0
    for j in range(batch_size):
        length = base + (1 if j < extra else 0)
        inputs[:length, j] = stream[start : start + length]
        targets[:length, j] = data[start : start + length]
        mask[:length, j] = True
        start += length
    return EvalColumns(inputs, targets, mask)


def window_contexts(data: torch.Tensor, width: int, start_id: int) -> torch.Tensor:
    """The ``width`` ids before each token, as a (N, width) view; before the text: ``start_id``."""
    padded = torch.cat([data.new_full((width,), start_id), data])
    return padded.unfold(0, width, 1)[: data.numel()]


def _epoch_generator(seed: int, epoch: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch)


def epoch_permutation(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The example order of one epoch: a function of (seed, epoch) only, so resuming needs no state."""
    return torch.randperm(n, generator=_epoch_generator(seed, epoch))


# Batches per pool of length-grouped batching.
POOL_BATCHES = 32


def length_grouped_batches(lengths: list[int], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """The mini-batches of one epoch, each of sentences of similar length, so that the recurrence
    spends little of its time on padding; a function of (seed, epoch) only.

    The epoch's shuffled order is cut into pools of POOL_BATCHES batches; each pool is sorted by
    length and cut into batches, and the batches are shuffled again (the bucketing of torchtext's
    BucketIterator). Every sentence is in exactly one batch, and the batch order stays random.
    """
    generator = _epoch_generator(seed, epoch)
    order = torch.randperm(len(lengths), generator=generator).tolist()
    pool = POOL_BATCHES * batch_size
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start:start + pool], key=lambda i: lengths[i])  # stable: ties keep the shuffle
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


@dataclass(frozen=True)
class LabelledIds:
    sentences: list[torch.Tensor]  # each (T_i,)
    labels: torch.Tensor  # (N,)
    label_names: tuple[str, ...]

    @property
    def gold_names(self) -> list[str]:
        return [self.label_names[i] for i in self.labels.tolist()]


def encode_classification_split(corpus_dir: Path, split: str, vocab: Vocab) -> LabelledIds:
    """Sentences of ``{split}.tsv`` as id tensors and labels as indices into ``labels.json``."""
    names = tuple(read_labels(corpus_dir))
    index = {name: i for i, name in enumerate(names)}
    data = read_classification_split(corpus_dir, split)
    path = split_path(corpus_dir, "classification", split)
    sentences, labels = [], []
    for row, (tokens, label) in enumerate(zip(data.sentences, data.labels)):
        line = row + 2  # header is line 1
        if not tokens:
            raise CorpusError(f"{path}:{line}: empty sentence; remove the line or rerun `rnnlab prepare`")
        if label not in index:
            raise CorpusError(f"{path}:{line}: label {label!r} is not in labels.json ({', '.join(names)})")
        sentences.append(torch.from_numpy(vocab.encode(tokens)))
        labels.append(index[label])
    if not sentences:
        raise CorpusError(f"{path} has no sentences; check the corpus")
    return LabelledIds(sentences, torch.tensor(labels, dtype=torch.long), names)


def pad_batch(sentences: list[torch.Tensor], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad to the longest: ids (T, B) and lengths (B,)."""
    lengths = torch.tensor([s.numel() for s in sentences], dtype=torch.long)
    ids = torch.nn.utils.rnn.pad_sequence(sentences, padding_value=pad_id)  # (T, B)
    return ids, lengths
