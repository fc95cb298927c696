"""Neural taggers: padding never changes a word's scores; a few training steps lower the loss."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch

from rnnlab.data.batching import pad_batch
from rnnlab.data.conllu_io import TaggedSentence, write_conllu
from rnnlab.data.iob_io import invalid_transitions, write_iob2
from rnnlab.data.prepare import prepare_corpus
from rnnlab.models.registry import EvalRequest, TrainRequest, get_model
from rnnlab.models.tagger import (CRFTagger, CRFTaggerConfig, RNNTagger, TaggedIds, TaggerConfig, TaggingObjective,
                                  predict_tags)

NER_TAGS = ("O", "B-LOC", "I-LOC", "B-PER", "I-PER")


@pytest.mark.parametrize("cell, bidirectional, layers", [("rnn", False, 1), ("lstm", False, 2), ("lstm", True, 2)])
def test_padding_never_changes_scores(cell: str, bidirectional: bool, layers: int):
    torch.manual_seed(0)
    model = RNNTagger(cell, bidirectional, 20, 5, TaggerConfig(emb=6, hidden=7, layers=layers, dropout=0.0), "torch")
    model.eval()
    sentences = [torch.tensor([3, 4, 5]), torch.tensor([6, 7, 8, 9, 10, 11]), torch.tensor([12])]
    ids, lengths = pad_batch(sentences, 0)
    batched = model(ids, lengths)  # (T, B, C)
    for b, s in enumerate(sentences):
        alone = model(s.unsqueeze(1), torch.tensor([s.numel()]))[:, 0]  # (T_b, C)
        torch.testing.assert_close(batched[: s.numel(), b], alone, rtol=1e-5, atol=1e-6)
        # Extra padding at the end changes nothing either.
        longer = torch.cat([s, torch.zeros(4, dtype=torch.long)]).unsqueeze(1)
        torch.testing.assert_close(model(longer, torch.tensor([s.numel()]))[: s.numel(), 0], alone, rtol=1e-5, atol=1e-6)


def test_bidirectional_sees_the_right_context_unidirectional_does_not():
    torch.manual_seed(0)
    for bidirectional, changes in ((False, False), (True, True)):
        model = RNNTagger("lstm", bidirectional, 20, 3, TaggerConfig(emb=4, hidden=5, dropout=0.0), "torch").eval()
        a = model(torch.tensor([[3], [4], [5]]), torch.tensor([3]))
        b = model(torch.tensor([[3], [4], [9]]), torch.tensor([3]))
        assert (not torch.allclose(a[1], b[1])) is changes  # word 2's scores depend on word 3?


def _ids(pairs: list[tuple[list[int], list[int]]]) -> TaggedIds:
    return TaggedIds([torch.tensor(w) for w, _ in pairs], [torch.tensor(t) for _, t in pairs], [])


def _train_briefly(model: RNNTagger, data: TaggedIds) -> tuple[float, dict[str, float]]:
    """Five epochs of Adam; the validation loss before and the validation scores after."""
    objective = TaggingObjective(model, data, data, 0, 8, torch.device("cpu"), seed=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    before = objective.validate()["valid_loss"]
    for epoch in range(5):
        objective.start_epoch(epoch)
        for index in range(objective.num_batches()):
            optimizer.zero_grad()
            loss, units, tokens = objective.batch_loss(index)
            assert units == tokens > 0
            loss.backward()
            optimizer.step()
    return before, objective.validate()


def test_a_few_steps_lower_the_loss():
    torch.manual_seed(0)
    # Tag = word id parity, learnable from the word alone.
    data = _ids([([3 + (i + j) % 7 for j in range(2 + i % 4)], [(3 + (i + j) % 7) % 2 for j in range(2 + i % 4)])
                 for i in range(32)])
    model = RNNTagger("lstm", True, 12, 2, TaggerConfig(emb=8, hidden=8, dropout=0.0), "torch")
    before, after = _train_briefly(model, data)
    assert after["valid_loss"] < before / 2 and after["valid_accuracy"] > 90


def _corpus(path: Path) -> Path:
    train = [TaggedSentence(("the", w, "runs"), ("DET", "NOUN", "VERB"), (False, False, False)) for w in ("dog", "cat")] * 8
    valid = [TaggedSentence(("the", "dog", "book", "."), ("DET", "NOUN", "VERB", "PUNCT"), (False, False, True, False))]
    train.append(TaggedSentence(("book", "."), ("VERB", "PUNCT"), (False, False)))
    write_conllu(path / "train.conllu", train)
    write_conllu(path / "valid.conllu", valid)
    prepare_corpus({"train": path / "train.conllu", "valid": path / "valid.conllu"}, "tagging", path / "proc",
                   "whitespace")
    return path / "proc"


@pytest.mark.parametrize("model", ["bilstm", "ngram-hmm"])
def test_train_and_evaluate_through_the_registry(tmp_path: Path, model: str):
    corpus = _corpus(tmp_path)
    entry = get_model(model, "tagging")
    params = {} if entry.family == "ngram" else {"emb": 4, "hidden": 4, "epochs": 2, "batch_size": 4}
    entry.train(TrainRequest("toy", corpus, tmp_path / "m", "tagging", 1, params))
    rows = pd.DataFrame(entry.evaluate(EvalRequest("toy", corpus, tmp_path / "m", "tagging", 1)))
    assert set(rows["split"]) == {"valid"}
    assert {"accuracy", "accuracy_right_context", "macro_f1", "tag_f1.DET"} <= set(rows["metric"])
    assert rows["value"].between(0, 100).all() and set(rows["status"]) == {"completed"}
    assert {"params", "train_seconds", "tokens_per_s", "backend", "device"} <= set(rows.columns)


def _parity_data() -> TaggedIds:
    # Words 3..9: odd ids are one-word PER entities (B-PER), even ids O.
    pairs = [([3 + (i + j) % 7 for j in range(2 + i % 4)], [3 * ((3 + (i + j) % 7) % 2) for j in range(2 + i % 4)])
             for i in range(32)]
    return _ids(pairs)


@pytest.mark.parametrize("constrained", [True, False])
def test_crf_tagger_learns_and_decodes_valid_iob2(constrained: bool):
    torch.manual_seed(0)
    data = _parity_data()
    model = CRFTagger("lstm", True, 12, NER_TAGS, CRFTaggerConfig(emb=8, hidden=8, dropout=0.0,
                                                                  constrained=constrained), "torch")
    before, after = _train_briefly(model, data)
    assert after["valid_loss"] < before / 2 and after["valid_accuracy"] > 90
    predicted, _ = predict_tags(model, data, 0, torch.device("cpu"))
    assert [len(p) for p in predicted] == [t.numel() for t in data.tags]
    if constrained:
        assert all(invalid_transitions([NER_TAGS[i] for i in p]) == 0 for p in predicted)


def _ner_corpus(path: Path) -> Path:
    train = [TaggedSentence(("in", w, "now"), ("O", "B-LOC", "O"), (False,) * 3) for w in ("Oslo", "Lima")] * 6
    train += [TaggedSentence(("Anna", "Berg", "said"), ("B-PER", "I-PER", "O"), (False,) * 3)] * 6
    valid = [TaggedSentence(("Jordan", "Berg", "said", "in", "Oslo"), ("B-PER", "I-PER", "O", "O", "B-LOC"),
                            (True, True, False, False, False))]
    write_iob2(path / "train.iob2", train)
    write_iob2(path / "valid.iob2", valid)
    prepare_corpus({"train": path / "train.iob2", "valid": path / "valid.iob2"}, "ner", path / "proc", "whitespace")
    return path / "proc"


@pytest.mark.parametrize("model", ["bilstm-crf", "lstm", "ngram-mft-span"])
def test_ner_models_train_and_evaluate_through_the_registry(tmp_path: Path, model: str):
    corpus = _ner_corpus(tmp_path)
    entry = get_model(model, "ner")
    params = {} if entry.family == "ngram" else {"emb": 4, "hidden": 4, "epochs": 2, "batch_size": 4}
    entry.train(TrainRequest("toy", corpus, tmp_path / "m", "ner", 1, params))
    rows = pd.DataFrame(entry.evaluate(EvalRequest("toy", corpus, tmp_path / "m", "ner", 1)))
    assert set(rows["split"]) == {"valid"} and set(rows["task"]) == {"ner"}
    assert {"span_f1", "span_f1.PER", "accuracy", "span_f1_right_context", "span_f1_oov",
            "invalid_sequences"} <= set(rows["metric"])
    assert rows["value"].between(0, 100).all() and set(rows["status"]) == {"completed"}
