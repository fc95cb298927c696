import pytest

from rnnlab.models.memory import ASSUMED_SENTENCE
from rnnlab.models.registry import get_model

VOCAB, LABELS = 10_000, 17
SIZES = {"emb": 32, "hidden": 64, "layers": 1, "batch_size": 8}


def _estimate(model, task, **params):
    return get_model(model, task).estimate(task, {**SIZES, **params}, VOCAB, LABELS)


def test_an_rnn_needs_less_than_an_lstm_of_the_same_size():
    rnn, lstm = _estimate("rnn", "lm"), _estimate("lstm", "lm")
    assert rnn.bytes < lstm.bytes
    assert lstm.recurrent == 4 * rnn.recurrent == 4 * (32 + 64 + 2) * 64  # four gates, two biases each


@pytest.mark.parametrize("task", ["classification", "tagging", "ner"])
def test_a_bidirectional_lstm_has_twice_the_recurrent_weights(task):
    assert _estimate("bilstm", task).recurrent == 2 * _estimate("lstm", task).recurrent


def test_layers_after_the_first_read_the_hidden_state():
    assert _estimate("lstm", "lm", layers=2).recurrent == 4 * (32 + 64 + 2) * 64 + 4 * (64 + 64 + 2) * 64
    # Bidirectional: the second layer reads both directions' states.
    two = _estimate("bilstm", "tagging", layers=2).recurrent
    assert two == 2 * 4 * (32 + 64 + 2) * 64 + 2 * 4 * (2 * 64 + 64 + 2) * 64


def test_the_window_lm_has_no_recurrence():
    window = get_model("window", "lm").estimate("lm", {"emb": 32, "hidden": 64, "window": 5}, VOCAB, LABELS)
    assert window.recurrent == 0
    assert window.weights == VOCAB * 32 + (5 * 32 + 1) * 64 + (64 + 1) * VOCAB


def test_the_output_layer_has_the_labels_for_classification_and_tagging_and_the_vocabulary_for_an_lm():
    lm, tagger, classifier = _estimate("lstm", "lm"), _estimate("lstm", "tagging"), _estimate("lstm", "classification")
    assert lm.weights - lm.recurrent - VOCAB * 32 == (64 + 1) * VOCAB
    assert tagger.weights - tagger.recurrent - VOCAB * 32 == (64 + 1) * LABELS
    assert classifier.weights == tagger.weights
    # A tagger scores every word of a sentence, a classifier the sentence once.
    assert tagger.activations - classifier.activations == 8 * ASSUMED_SENTENCE * LABELS - 8 * LABELS


def test_unset_sizes_are_the_model_s_own_defaults():
    # RNNLMConfig: emb 200, hidden 200, two layers
    assert get_model("rnn", "lm").estimate("lm", {}, VOCAB, LABELS).recurrent == 2 * (200 + 200 + 2) * 200
    assert get_model("window", "lm").estimate("lm", {}, VOCAB, LABELS).weights == \
        VOCAB * 64 + (4 * 64 + 1) * 256 + (256 + 1) * VOCAB  # WindowConfig: emb 64, hidden 256, window 4


def test_tied_embeddings_share_the_output_weights():
    assert _estimate("lstm", "lm", emb=64).weights - _estimate("lstm", "lm", emb=64, tie=True).weights == 64 * VOCAB
