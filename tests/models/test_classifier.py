import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from rnnlab.data.batching import LabelledIds, pad_batch
from rnnlab.errors import ConfigError
from rnnlab.models.classifier import (
    ClassificationObjective,
    ClassifierConfig,
    RNNClassifier,
    predict_logits,
    reverse_within_length,
)

VOCAB_SIZE = 12
CPU = torch.device("cpu")
KINDS = [("rnn", False), ("lstm", False), ("lstm", True)]


def make(cell, bidirectional, pooling="last", layers=2, dropout=0.0):
    torch.manual_seed(0)
    cfg = ClassifierConfig(emb=5, hidden=6, layers=layers, dropout=dropout, pooling=pooling)
    return RNNClassifier(cell, bidirectional, VOCAB_SIZE, 3, cfg, "torch").double().eval()


def sentences():
    gen = torch.Generator().manual_seed(1)
    return [torch.randint(3, VOCAB_SIZE, (n,), generator=gen) for n in (4, 1, 7, 2)]


def test_reverse_within_length_leaves_padding_in_place():
    x = torch.tensor([[1, 5], [2, 6], [3, 0], [0, 0]])  # lengths 3, 2
    rev = reverse_within_length(x, torch.tensor([3, 2]))
    assert rev.tolist() == [[3, 6], [2, 5], [1, 0], [0, 0]]


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize("cell,bidirectional", KINDS)
def test_padding_never_changes_a_sentences_result(cell, bidirectional, pooling):
    model = make(cell, bidirectional, pooling)
    batch = sentences()
    ids, lengths = pad_batch(batch, pad_id=0)
    with torch.no_grad():
        together = model(ids, lengths)
        alone = torch.cat([model(s.unsqueeze(1), torch.tensor([s.numel()])) for s in batch])
        # Padding with a real word instead of <pad> must not matter either.
        other_ids, _ = pad_batch(batch, pad_id=7)
        other = model(other_ids, lengths)
    assert torch.allclose(together, alone, atol=1e-12)
    assert torch.allclose(other, alone, atol=1e-12)


@pytest.mark.parametrize("layers", [1, 2])
def test_final_states_match_torch_bidirectional_lstm_on_packed_input(layers):
    model = make("lstm", True, "last", layers=layers)
    reference = torch.nn.LSTM(5, 6, num_layers=layers, bidirectional=True).double()
    with torch.no_grad():
        for layer in range(layers):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(reference, f"{name}_l{layer}").copy_(getattr(model.forward_layers[layer], f"{name}_l0"))
                getattr(reference, f"{name}_l{layer}_reverse").copy_(getattr(model.reverse_layers[layer], f"{name}_l0"))
        ids, lengths = pad_batch(sentences(), pad_id=0)
        packed = pack_padded_sequence(model.embed(ids), lengths, enforce_sorted=False)
        _, (h_n, _) = reference(packed)
        expected = model.out(torch.cat([h_n[-2], h_n[-1]], dim=1))
        assert torch.allclose(model(ids, lengths), expected, atol=1e-12)


def test_dropout_is_active_only_in_training():
    model = make("lstm", True, dropout=0.5)
    ids, lengths = pad_batch(sentences(), pad_id=0)
    with torch.no_grad():
        assert torch.equal(model(ids, lengths), model(ids, lengths))
        model.train()
        assert not torch.equal(model(ids, lengths), model(ids, lengths))


def test_predict_logits_keeps_the_data_order():
    model = make("rnn", False)
    batch = sentences()
    data = LabelledIds(batch, torch.tensor([0, 1, 2, 0]), ("a", "b", "c"))
    logits = predict_logits(model, data, pad_id=0, device=CPU, batch_size=3)
    with torch.no_grad():
        alone = torch.cat([model(s.unsqueeze(1), torch.tensor([s.numel()])) for s in batch])
    assert torch.allclose(logits.double(), alone, atol=1e-6)


def test_objective_batches_cover_the_training_set():
    model = make("lstm", False).float().train()
    batch = sentences()
    data = LabelledIds(batch, torch.tensor([0, 1, 2, 0]), ("a", "b", "c"))
    objective = ClassificationObjective(model, data, data, pad_id=0, batch_size=3, device=CPU, seed=0)
    objective.start_epoch(0)
    assert objective.num_batches() == 2
    outs = [objective.batch_loss(i) for i in range(2)]
    assert [units for _, units, _ in outs] == [3, 1]
    assert sum(tokens for _, _, tokens in outs) == 14
    metrics = objective.validate()
    assert set(metrics) == {"valid_loss", "valid_accuracy"} and 0 <= metrics["valid_accuracy"] <= 100


def test_unknown_pooling():
    with pytest.raises(ConfigError, match="pooling.*last, mean, max"):
        ClassifierConfig(pooling="attention")
