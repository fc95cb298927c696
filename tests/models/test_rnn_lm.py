import math

import pytest
import torch
import torch.nn.functional as F

from rnnlab.data.vocab import Vocab
from rnnlab.errors import ConfigError
from rnnlab.models.rnn_lm import RNNLM, BPTTObjective, RNNLMConfig, lm_nll

ITOS = ("<pad>", "<unk>", "<eos>") + tuple(f"w{i}" for i in range(9))
VOCAB = Vocab(list(ITOS))
CPU = torch.device("cpu")


def make(cell="lstm", **kw):
    torch.manual_seed(0)
    cfg = RNNLMConfig(**{"emb": 8, "hidden": 8, "layers": 2, "dropout": 0.0, "bptt": 5, **kw})
    return RNNLM(cell, len(VOCAB), cfg, "torch").double()


def test_tied_embeddings_share_one_parameter():
    model = make(tie=True)
    assert model.decoder.weight is model.encoder.weight
    untied = make()
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in untied.parameters()) - 8 * len(VOCAB)


def test_tie_needs_equal_sizes():
    with pytest.raises(ConfigError, match="tie.*emb == hidden"):
        RNNLMConfig(emb=8, hidden=16, tie=True)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_carried_state_equals_one_pass(cell):
    model = make(cell).eval()
    ids = torch.randint(3, len(VOCAB), (12, 2))
    with torch.no_grad():
        whole, _ = model(ids, model.initial_state(2, CPU))
        first, state = model(ids[:5], model.initial_state(2, CPU))
        second, _ = model(ids[5:], state)
    assert torch.allclose(torch.cat([first, second]), whole, atol=1e-12)


def test_lm_nll_scores_every_token_from_an_eos_start():
    model = make()
    data = torch.randint(2, len(VOCAB), (23,))
    nll, tokens = lm_nll(model, data, VOCAB, 1, CPU)
    assert tokens == 23
    inputs = torch.cat([torch.tensor([VOCAB.eos]), data[:-1]]).unsqueeze(1)
    with torch.no_grad():
        logits, _ = model(inputs, model.initial_state(1, CPU))
    expected = F.cross_entropy(logits.squeeze(1), data, reduction="sum").item()
    assert nll == pytest.approx(expected, rel=1e-10)
    # More columns: same token count, only the starts of columns lose context.
    nll3, tokens3 = lm_nll(model, data, VOCAB, 3, CPU)
    assert tokens3 == 23 and math.isfinite(nll3) and nll3 != nll


def test_backends_agree():
    model = make()
    ids = torch.randint(3, len(VOCAB), (6, 2))
    with torch.no_grad():
        ref, _ = model(ids, model.initial_state(2, CPU))
        model.rnn.backend = "loop"
        loop, _ = model(ids, model.initial_state(2, CPU))
    assert torch.allclose(ref, loop, atol=1e-10)


def test_bptt_objective_carries_state_between_batches():
    model = make(shift_windows=False).float()
    train = torch.randint(2, len(VOCAB), (61,))
    objective = BPTTObjective(model, train, train[:20], VOCAB, batch_size=3, eval_batch_size=1, device=CPU)
    objective.start_epoch(0)
    assert objective.num_batches() == 4  # 20 rows, bptt 5
    loss, units, tokens = objective.batch_loss(0)
    assert units == tokens == 15 and loss.requires_grad
    carried = objective.carried_state()
    assert set(carried) == {"state.0", "state.1"} and carried["state.0"].abs().sum() > 0
    assert not carried["state.0"].requires_grad
    objective.start_epoch(1)
    assert objective.carried_state()["state.0"].abs().sum() == 0
    objective.load_carried_state(carried)
    assert torch.equal(objective.carried_state()["state.1"], carried["state.1"])


def test_shifted_windows_move_each_epoch_the_same_way_for_a_seed():
    train = torch.arange(3, 3 + 61) % 9 + 3  # 20 rows of 3 columns, bptt 5
    objectives = [BPTTObjective(make().float(), train, train[:20], VOCAB, batch_size=3, eval_batch_size=1, device=CPU,
                                seed=seed) for seed in (7, 7, 8)]
    starts = []
    for objective in objectives:
        assert objective.shifts and objective.num_batches() == 3  # the count of the latest offset, every epoch
        runs = []
        for epoch in range(6):
            objective.start_epoch(epoch)
            batches = [objective.source[objective.offset:][i * 5: i * 5 + 5] for i in range(objective.num_batches())]
            assert all(b.size(0) == 5 for b in batches)  # every window is whole
            runs.append(objective.offset)
        starts.append(runs)
    assert starts[0] == starts[1] and len(set(starts[0])) > 1 and starts[0] != starts[2]
    fixed = BPTTObjective(make(shift_windows=False).float(), train, train[:20], VOCAB, 3, 1, CPU, seed=7)
    short = BPTTObjective(make().float(), train[:20], train[:20], VOCAB, 3, 1, CPU, seed=7)  # 6 rows < 2 windows
    for objective in (fixed, short):
        objective.start_epoch(3)
        assert not objective.shifts and objective.offset == 0
