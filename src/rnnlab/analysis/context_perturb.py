"""The contexts of the context analysis: a seeded sample of targets and the perturbations beyond d.

A target is a position i of the split's id stream (``<eos>`` after each line, the stream the
neural models read) with at least ``max_distance`` tokens before it; its full context is those
``max_distance`` tokens. Every context handed to a model starts with the start token (``<eos>``,
as evaluation starts a stream) and is read from the initial state.

Every perturbation leaves the nearest ``d`` tokens alone and changes the ones farther away; its
random draws are a function of (seed, perturbation, d, target) only, so every model sees the same
contexts and batching cannot change them.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np

from ..data.batching import encode_lm_split
from ..data.vocab import Vocab
from ..errors import ConfigError

Perturbation = Callable[[np.ndarray, int, np.random.Generator, np.ndarray], np.ndarray]


def sample_targets(n_tokens: int, max_distance: int, count: int, seed: int, where: str) -> np.ndarray:
    """``count`` distinct stream positions with at least ``max_distance`` tokens before them, sorted."""
    available = n_tokens - max_distance
    if available < count:
        raise ConfigError(f"analysis.context: {where} has {max(available, 0)} positions with at least "
                          f"{max_distance} tokens before them, fewer than 'targets' ({count}); lower 'targets' or "
                          "'max_distance'")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(np.arange(max_distance, n_tokens), size=count, replace=False))


def train_unigram(corpus_dir: Path, vocab: Vocab) -> np.ndarray:
    """(V,) relative frequency of each id in the training stream (``<eos>`` included, ``<pad>`` never)."""
    counts = np.bincount(encode_lm_split(corpus_dir, "train", vocab).numpy(), minlength=len(vocab))
    return counts / counts.sum()


# The three ablations of Khandelwal, He, Qi & Jurafsky (2018), "Sharp Nearby, Fuzzy Far Away":
# drop, shuffle or replace the context farther than d tokens from the target.
def truncate(context: np.ndarray, d: int, rng: np.random.Generator, unigram: np.ndarray) -> np.ndarray:
    """Only the last ``d`` tokens (all of them when ``d`` reaches the context's length)."""
    return context[max(context.size - d, 0):]


def shuffle(context: np.ndarray, d: int, rng: np.random.Generator, unigram: np.ndarray) -> np.ndarray:
    """The tokens beyond the last ``d`` in a random order; the last ``d`` unchanged."""
    cut = max(context.size - d, 0)
    return np.concatenate([rng.permutation(context[:cut]), context[cut:]])


def replace(context: np.ndarray, d: int, rng: np.random.Generator, unigram: np.ndarray) -> np.ndarray:
    """The tokens beyond the last ``d`` drawn from the training unigram distribution; the last ``d`` unchanged."""
    cut = max(context.size - d, 0)
    drawn = rng.choice(unigram.size, size=cut, p=unigram).astype(context.dtype)
    return np.concatenate([drawn, context[cut:]])


PERTURBATIONS: Mapping[str, Perturbation] = MappingProxyType(
    {"truncate": truncate, "shuffle": shuffle, "replace": replace})


def perturbed(stream: np.ndarray, target: int, max_distance: int, perturbation: str, d: int, seed: int,
              unigram: np.ndarray, start_id: int) -> np.ndarray:
    """The start token, then the ``max_distance`` tokens before ``target`` perturbed beyond ``d``."""
    rng = np.random.default_rng([seed, list(PERTURBATIONS).index(perturbation), d, target])
    context = PERTURBATIONS[perturbation](stream[target - max_distance : target], d, rng, unigram)
    return np.concatenate([[start_id], context]).astype(np.int64)
