import pytest

from rnnlab.data.tokenize import TOKENIZERS, basic_tokens, get_tokenizer, lower_tokens, whitespace_tokens
from rnnlab.errors import ConfigError


def test_registry_names():
    assert list(TOKENIZERS) == ["whitespace", "lower", "basic"]
    for name, tok in TOKENIZERS.items():
        assert get_tokenizer(name) is tok
        assert tok.description


def test_whitespace_keeps_text_as_is():
    assert whitespace_tokens("  The <unk> , cat\tsat\n") == ["The", "<unk>", ",", "cat", "sat"]
    assert get_tokenizer("whitespace")("A b") == ["A", "b"]


def test_lower_lowercases_and_splits():
    assert lower_tokens("It 's A Gem .") == ["it", "'s", "a", "gem", "."]


def test_basic_strips_br_and_splits_punctuation_and_clitics():
    text = "I didn't like it.<br /><br />The film's plot<BR/>isn't GREAT, is it?"
    assert basic_tokens(text) == [
        "i", "did", "n't", "like", "it", ".", "the", "film", "'s", "plot",
        "is", "n't", "great", ",", "is", "it", "?",
    ]


def test_basic_clitics_numbers_and_hyphens():
    assert basic_tokens("We're sure they'd won't; I'm 3.5/10 well-made!") == [
        "we", "'re", "sure", "they", "'d", "wo", "n't", ";", "i", "'m", "3.5", "/", "10", "well-made", "!",
    ]
    assert basic_tokens("'quoted' words") == ["'", "quoted", "'", "words"]


def test_unknown_tokenizer_lists_names():
    with pytest.raises(ConfigError) as exc:
        get_tokenizer("spacy")
    message = str(exc.value)
    assert "'spacy'" in message
    for name in TOKENIZERS:
        assert name in message
