"""The CRF against brute-force enumeration of every tag sequence, with forbidden transitions and padding."""

import itertools
import math

import pytest
import torch

from rnnlab.data.iob_io import invalid_transitions
from rnnlab.models.crf import LinearChainCRF, iob2_allowed

TAGS = ("O", "B-A", "I-A", "B-B", "I-B")


def crf(constrained: bool, seed: int = 0) -> LinearChainCRF:
    torch.manual_seed(seed)
    layer = LinearChainCRF(len(TAGS), *(iob2_allowed(TAGS) if constrained else (None, None)))
    with torch.no_grad():
        for p in (layer.transitions, layer.start, layer.end):
            p.normal_()
    return layer


def brute_force(layer: LinearChainCRF, emissions: torch.Tensor, constrained: bool) -> tuple[float, list[int], float]:
    """log Z, the best path and its score for one sentence (T, K), by scoring every sequence on its own."""
    trans, start, end = layer.transitions.detach(), layer.start.detach(), layer.end.detach()
    scores = {}
    for path in itertools.product(range(len(TAGS)), repeat=emissions.shape[0]):
        if constrained and invalid_transitions([TAGS[i] for i in path]):
            continue
        s = start[path[0]] + end[path[-1]] + sum(emissions[t, y] for t, y in enumerate(path))
        s += sum(trans[a, b] for a, b in zip(path, path[1:]))
        scores[path] = float(s)
    log_z = math.log(sum(math.exp(v) for v in scores.values()))
    best = max(scores, key=scores.get)
    return log_z, list(best), scores[best]


@pytest.mark.parametrize("constrained", [False, True])
@pytest.mark.parametrize("length", [1, 2, 4])
def test_partition_and_viterbi_match_brute_force(constrained, length):
    layer = crf(constrained, seed=length)
    emissions = torch.randn(length, 1, len(TAGS))
    lengths = torch.tensor([length])
    log_z, best, best_score = brute_force(layer, emissions[:, 0], constrained)
    assert layer.log_partition(emissions, lengths).item() == pytest.approx(log_z, abs=1e-4)
    assert layer.viterbi(emissions, lengths) == [best]
    tags = torch.tensor(best).unsqueeze(1)
    assert layer.nll(emissions, tags, lengths).detach().item() == pytest.approx(log_z - best_score, abs=1e-4)


def test_forbidden_transitions_never_win_and_get_no_gradient():
    layer = crf(True)
    # Emissions that push hard for O then I-A (forbidden) at every other step.
    emissions = torch.zeros(6, 1, len(TAGS))
    emissions[0::2, 0, 0] = 10.0
    emissions[1::2, 0, 2] = 10.0
    (path,) = layer.viterbi(emissions, torch.tensor([6]))
    assert invalid_transitions([TAGS[i] for i in path]) == 0
    assert TAGS[path[0]] != "I-A"
    tags = torch.tensor([0, 1, 2, 0, 3, 4]).unsqueeze(1)
    layer.nll(emissions, tags, torch.tensor([6])).sum().backward()
    allowed, allowed_start = iob2_allowed(TAGS)
    assert torch.isfinite(layer.transitions.grad).all()
    assert (layer.transitions.grad[~allowed] == 0).all() and (layer.start.grad[~allowed_start] == 0).all()


def test_padding_changes_neither_loss_nor_path():
    layer = crf(True, seed=3)
    lengths = [4, 1, 3]
    sentences = [torch.randn(n, len(TAGS)) for n in lengths]
    gold = [torch.randint(0, 1, (n,)) for n in lengths]  # all O: a valid sequence
    gold[0] = torch.tensor([1, 2, 0, 3])
    emissions = torch.full((4, 3, len(TAGS)), 1e3)  # padding holds huge scores: they must be ignored
    tags = torch.full((4, 3), 2, dtype=torch.long)  # ... and an I-A after anything
    for b, (e, g) in enumerate(zip(sentences, gold)):
        emissions[: len(e), b], tags[: len(g), b] = e, g
    batch_nll = layer.nll(emissions, tags, torch.tensor(lengths))
    batch_paths = layer.viterbi(emissions, torch.tensor(lengths))
    for b, (e, g) in enumerate(zip(sentences, gold)):
        alone = torch.tensor([len(e)])
        assert batch_nll[b].item() == pytest.approx(layer.nll(e.unsqueeze(1), g.unsqueeze(1), alone).item(), abs=1e-4)
        assert batch_paths[b] == layer.viterbi(e.unsqueeze(1), alone)[0]
    batch_nll.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in (layer.transitions, layer.start, layer.end))


def test_iob2_allowed_table():
    allowed, start = iob2_allowed(TAGS)
    assert not allowed[0, 2] and not allowed[1, 4] and not allowed[3, 2]  # O->I-A, B-A->I-B, B-B->I-A
    assert allowed[1, 2] and allowed[2, 2] and allowed[2, 0] and allowed[0, 3]
    assert start.tolist() == [True, True, False, True, False]
