"""Most-frequent-tag baseline and the HMM tagger on small hand-made corpora."""

from __future__ import annotations

from rnnlab.data.conllu_io import TaggedSentence
from rnnlab.data.iob_io import invalid_transitions
from rnnlab.models.hmm import HMMParams
from rnnlab.models.ngram_tagger import (HMMTagger, MFTParams, MostFrequentTagger, SpanMostFrequentTagger, backoff_keys,
                                        word_shape)


def _s(text: str) -> TaggedSentence:
    words, tags = zip(*(pair.split("/") for pair in text.split()))
    return TaggedSentence(words, tags, (False,) * len(words))


TRAIN = [_s("the/DET dog/NOUN runs/VERB"), _s("the/DET runs/NOUN end/VERB"), _s("a/DET dog/NOUN barks/VERB"),
         _s("the/DET cat/NOUN runs/VERB"), _s("Paris/PROPN sleeps/VERB 42/NUM")]


def test_most_frequent_tag_and_backoff():
    model = MostFrequentTagger.fit(TRAIN, MFTParams(rare_max=1, suffix_max=2))
    assert model.tag_word("runs") == "VERB"  # VERB 2x, NOUN 1x
    assert model.tag_word("dog") == "NOUN"
    # Unknown words: rare words with the same shape and suffix ("-ps" of "sleeps" is upper-case only,
    # lower-case "-ks" of "barks" -> VERB), digits -> NUM, capitalised -> PROPN.
    assert model.tag_word("walks") == "VERB"
    assert model.tag_word("1999") == "NUM"
    assert model.tag_word("London") == "PROPN"
    assert model.predict([_s("the/DET dog/NOUN")]) == [["DET", "NOUN"]]


def test_backoff_keys_and_shapes():
    assert word_shape("3.5") == "digit" and word_shape("--") == "punct" and word_shape("Bob") == "upper"
    assert backoff_keys("dogs", 2) == ["lower|gs", "lower|s", "lower|"]


def test_mft_round_trips_through_json():
    model = MostFrequentTagger.fit(TRAIN, MFTParams())
    assert MostFrequentTagger.from_json(model.to_json()) == model


def test_hmm_uses_the_context():
    tags = ["DET", "NOUN", "NUM", "PROPN", "VERB"]
    model = HMMTagger.fit(TRAIN, tags, HMMParams(suffix_max=3, rare_max=2))
    # "runs" is mostly VERB, but after a determiner the HMM reads it as a noun.
    assert model.predict([_s("the/DET runs/NOUN end/VERB")]) == [["DET", "NOUN", "VERB"]]
    assert model.predict([_s("the/DET dog/NOUN runs/VERB")]) == [["DET", "NOUN", "VERB"]]
    back = HMMTagger.from_json(model.to_json())
    assert back.predict([_s("a/DET cat/NOUN walks/VERB")]) == model.predict([_s("a/DET cat/NOUN walks/VERB")])


NER_TRAIN = [_s("Jordan/B-PER said/O hi/O"), _s("Jordan/B-LOC River/I-LOC flooded/O"),
             _s("River/I-LOC Jordan/B-PER said/O"), _s("Bank/I-ORG River/I-LOC rose/O")]


def test_span_mft_never_emits_invalid_iob2():
    plain = MostFrequentTagger.fit(NER_TRAIN, MFTParams())
    span = SpanMostFrequentTagger.fit(NER_TRAIN, MFTParams())
    test = [_s("River/B-LOC said/O"), _s("Jordan/B-PER River/O Bank/O")]
    assert plain.predict(test) == [["I-LOC", "O"], ["B-PER", "I-LOC", "I-ORG"]]
    assert span.predict(test) == [["B-LOC", "O"], ["B-PER", "B-LOC", "B-ORG"]]
    assert all(invalid_transitions(tags) == 0 for tags in span.predict(test))
    assert SpanMostFrequentTagger.from_json(span.to_json()) == span
