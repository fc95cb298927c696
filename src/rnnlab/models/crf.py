"""A linear-chain conditional random field over tag sequences, batched and padding-invariant.

Written here rather than taken from ``pytorch-crf`` (0.7.2, the maintained-looking package on the
index, last released 2019): it has no way to forbid transitions, and it masks padding by
multiplying scores with the mask, so a transition set to −∞ gives ``−inf * 0 = nan`` on padded
positions. Here padding is skipped with ``torch.where`` and forbidden transitions are a fixed
−∞ buffer added to the learned scores, so they get no gradient and never win a decode.

The score of tags y over emissions e (T, K) is
``start[y_1] + Σ_t e[t, y_t] + Σ_t trans[y_{t-1}, y_t] + end[y_T]``, and
``−log p(y | x) = log Z − score(y)``.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from ..data.iob_io import OUTSIDE, continues


def iob2_allowed(tags: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Which transitions (K, K) [from, to] and which first tags (K,) IOB2 allows: no ``I-X`` after ``O``,
    after a ``B-Y``/``I-Y`` of another type, or at the start."""
    transitions = torch.tensor([[continues(a, b) for b in tags] for a in tags], dtype=torch.bool)
    start = torch.tensor([continues(OUTSIDE, b) for b in tags], dtype=torch.bool)
    return transitions, start


def _mask(allowed: torch.Tensor) -> torch.Tensor:
    return torch.where(allowed, 0.0, -math.inf)


class LinearChainCRF(nn.Module):
    """Transition, start and end scores; forbidden ones are fixed at −∞ (``allowed`` False)."""

    def __init__(self, num_tags: int, allowed: torch.Tensor | None = None,
                 allowed_start: torch.Tensor | None = None) -> None:
        super().__init__()
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))  # (K, K) [from, to]
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))
        every = torch.ones(num_tags, num_tags, dtype=torch.bool)
        self.register_buffer("transition_mask", _mask(every if allowed is None else allowed), persistent=False)
        self.register_buffer("start_mask", _mask(every[0] if allowed_start is None else allowed_start),
                             persistent=False)

    def scores(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(transitions (K, K), start (K,), end (K,)) with the forbidden ones at −∞."""
        return self.transitions + self.transition_mask, self.start + self.start_mask, self.end

    # Huang, Xu & Yu (2015) and Lample et al. (2016): the forward algorithm gives log Z, the log of
    # the sum over all tag sequences of exp(score), here in log space (logsumexp) for a whole batch.
    def log_partition(self, emissions: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """emissions (T, B, K), lengths (B,) -> log Z (B,); positions at or past a length are skipped."""
        trans, start, end = self.scores()
        alpha = start + emissions[0]  # (B, K)
        live = torch.arange(emissions.shape[0], device=emissions.device)[:, None] < lengths.to(emissions.device)
        for t in range(1, emissions.shape[0]):
            step = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[t]  # (B, K)
            alpha = torch.where(live[t].unsqueeze(1), step, alpha)
        return torch.logsumexp(alpha + end, dim=1)

    def path_score(self, emissions: torch.Tensor, tags: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """emissions (T, B, K), tags (T, B) (any value on padding), lengths (B,) -> score (B,)."""
        trans, start, end = self.scores()
        steps, batch = tags.shape
        lengths = lengths.to(emissions.device)
        live = torch.arange(steps, device=emissions.device)[:, None] < lengths  # (T, B)
        safe = torch.where(live, tags, 0)
        emitted = emissions.gather(2, safe.unsqueeze(2)).squeeze(2)  # (T, B)
        moved = trans[safe[:-1], safe[1:]]  # (T-1, B)
        total = start[safe[0]] + torch.where(live, emitted, 0.0).sum(0) + torch.where(live[1:], moved, 0.0).sum(0)
        last = safe.gather(0, (lengths - 1).unsqueeze(0)).squeeze(0)  # (B,)
        return total + end[last]

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """−log p(tags | emissions) per sentence (B,)."""
        return self.log_partition(emissions, lengths) - self.path_score(emissions, tags, lengths)

    # Huang, Xu & Yu (2015): Viterbi decoding, the max-product twin of the forward algorithm, with
    # back-pointers to recover the best tag sequence of each sentence.
    @torch.no_grad()
    def viterbi(self, emissions: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
        """emissions (T, B, K), lengths (B,) -> the best tag sequence of each sentence, in its own length."""
        trans, start, end = self.scores()
        best = start + emissions[0]  # (B, K)
        live = torch.arange(emissions.shape[0], device=emissions.device)[:, None] < lengths.to(emissions.device)
        pointers = []
        for t in range(1, emissions.shape[0]):
            value, index = (best.unsqueeze(2) + trans).max(dim=1)  # (B, K): best previous tag per tag
            best = torch.where(live[t].unsqueeze(1), value + emissions[t], best)
            pointers.append(index)
        last = (best + end).argmax(dim=1).tolist()
        back = torch.stack(pointers).tolist() if pointers else []  # (T-1, B, K)
        paths = []
        for b, length in enumerate(lengths.tolist()):
            path = [last[b]]
            for t in range(length - 1, 0, -1):
                path.append(back[t - 1][b][path[-1]])
            paths.append(path[::-1])
        return paths
