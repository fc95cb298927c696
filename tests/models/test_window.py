import pytest
import torch
import torch.nn.functional as F

from rnnlab.data.vocab import Vocab
from rnnlab.errors import ConfigError
from rnnlab.models.window import WindowConfig, WindowLM, WindowObjective, window_nll

ITOS = ("<pad>", "<unk>", "<eos>") + tuple(f"w{i}" for i in range(9))
VOCAB = Vocab(list(ITOS))
CPU = torch.device("cpu")


def make(window=3):
    torch.manual_seed(0)
    return WindowLM(len(VOCAB), WindowConfig(emb=4, hidden=10, window=window, dropout=0.0)).double().eval()


def test_output_is_a_distribution_over_the_vocabulary():
    logits = make()(torch.randint(0, len(VOCAB), (5, 3)))
    assert logits.shape == (5, len(VOCAB))
    assert torch.allclose(logits.softmax(1).sum(1), torch.ones(5, dtype=torch.float64))


def test_prediction_depends_on_each_window_position_in_order():
    model = make()
    ctx = torch.tensor([[3, 4, 5]])
    base = model(ctx)
    for changed in ([[6, 4, 5]], [[3, 6, 5]], [[3, 4, 6]], [[5, 4, 3]]):
        assert not torch.allclose(model(torch.tensor(changed)), base)


def test_window_nll_sees_only_the_previous_words():
    model = make(window=2)
    data = torch.tensor([3, 4, 5, 6, 2, 7])
    nll, tokens = window_nll(model, data, VOCAB, CPU)
    contexts = torch.tensor([[2, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 2]])
    expected = F.cross_entropy(model(contexts), data, reduction="sum").item()
    assert tokens == 6 and nll == pytest.approx(expected, rel=1e-12)


def test_objective_visits_every_example_once_per_epoch():
    model = make().float().train()
    train = torch.randint(2, len(VOCAB), (50,))
    objective = WindowObjective(model, train, train[:10], VOCAB, batch_size=8, device=CPU, seed=3)
    objective.start_epoch(0)
    assert objective.num_batches() == 7
    seen = torch.cat([objective.order[i * 8 : (i + 1) * 8] for i in range(7)])
    assert sorted(seen.tolist()) == list(range(50))
    losses = [objective.batch_loss(i) for i in range(7)]
    assert sum(units for _, units, _ in losses) == 50
    assert "valid_ppl" in objective.validate()


def test_config_checks():
    with pytest.raises(ConfigError, match="window"):
        WindowConfig(window=0)
    with pytest.raises(ConfigError, match="dropout"):
        WindowConfig(dropout=1.0)
