"""``synthetic-tagging``: UPOS-tagged sentences where some tags are decided only by the words to the right.

The right-context construction starts like ``the busy kids`` and continues with a noun/verb
ambiguous word (``book``, ``watch``, ``train``, ...), whose tag the next word decides:

- VERB when an object follows: ``the busy kids book the old car .``
- NOUN (a compound head) when an auxiliary follows: ``the busy kids book was quiet .``

The words before the ambiguous one come from the same distribution in both readings, so a
left-to-right tagger can only guess; those words carry ``RightContext=Yes`` in MISC. The other
sentence templates are decidable from the left. Open-class slots are filled, with probability
``rare_rate``, by fresh pseudo-words whose suffix hints at their tag (``-tion`` NOUN, ``-ous``
ADJ, ``-ly`` ADV, ``-ed`` VERB), so the test splits hold out-of-vocabulary words that
suffix and word-shape features can tag. Files: ``{train,valid,test}.conllu``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ..errors import ConfigError
from .conllu_io import TaggedSentence, format_sentence, write_conllu
from .synthetic import CorpusGenerator, StableRandom, split_sizes

# (UPOS tag, word pool) per slot; a pool name ending in "?" is optional (present half the time).
POOLS = MappingProxyType({
    "det": ("DET", ("the", "a", "this", "every", "some")),
    "adj": ("ADJ", ("old", "new", "small", "big", "red", "quiet", "happy", "busy", "dark", "young")),
    "noun": ("NOUN", ("dog", "cat", "house", "car", "river", "teacher", "window", "garden", "letter", "city")),
    "nouns": ("NOUN", ("students", "kids", "workers", "players", "neighbors", "farmers", "tourists", "pilots")),
    "verb": ("VERB", ("saw", "liked", "visited", "built", "painted", "carried", "found", "cleaned")),
    "aux": ("AUX", ("was", "is")),
    "adv": ("ADV", ("today", "often", "quickly", "again", "daily", "soon")),
    "adp": ("ADP", ("in", "on", "near", "under", "with")),
    "pron": ("PRON", ("she", "he", "they", "we", "i")),
    "propn": ("PROPN", ("Anna", "Paris", "Tom", "Berlin", "Maria", "Oslo")),
    "num": ("NUM", ("two", "three", "five", "seven")),
    "cconj": ("CCONJ", ("and", "but")),
    "comma": ("PUNCT", (",",)),
    "stop": ("PUNCT", (".",)),
})
# Words that are nouns or verbs; in the right-context construction the next word decides which.
AMBIGUOUS = ("book", "watch", "train", "park", "ring", "fly", "play", "drink", "light", "plant")
# Left-decidable templates; "noun+amb" also draws the ambiguous words as plain nouns after a determiner.
TEMPLATES = (
    ("pron", "verb", "det", "adj?", "noun+amb", "adp", "det", "noun", "stop"),
    ("propn", "aux", "adv?", "adj", "stop"),
    ("det", "adj?", "noun", "verb", "num", "nouns", "cconj", "pron", "verb", "adv", "stop"),
    ("adp", "det", "noun", "comma", "pron", "verb", "propn", "stop"),
)
AMBIGUOUS_PREFIX = ("det", "adj?", "nouns")
# What follows the ambiguous word decides its tag.
READINGS = MappingProxyType({
    "VERB": ("det", "adj?", "noun", "adv?", "stop"),
    "NOUN": ("aux", "adv?", "adj", "stop"),
})
# Pseudo-words for rare slots: syllables + a suffix typical of the tag; numbers are digits.
SYLLABLES = ("ka", "lo", "mi", "ren", "tu", "sa", "vor", "del", "pi", "zan", "bru", "fe")
SUFFIXES = MappingProxyType({
    "NOUN": ("tion", "ness", "ment"), "ADJ": ("ous", "ful", "ive"), "ADV": ("ly",), "VERB": ("ed",),
    "PROPN": ("ville", "son"),
})


@dataclass(frozen=True)
class SyntheticTaggingParams:
    n_train: int = 1200
    n_valid: int = 300
    n_test: int = 300
    ambiguous_rate: float = 0.4  # share of sentences with the right-context construction
    rare_rate: float = 0.06  # chance that an open-class slot gets a fresh pseudo-word
    seed: int = 0

    def __post_init__(self) -> None:
        split_sizes(self)
        for key in ("ambiguous_rate", "rare_rate"):
            if not 0.0 <= getattr(self, key) <= 1.0:
                raise ConfigError(f"parameter {key!r} must be in [0, 1], got {getattr(self, key)}")


def pseudo_word(rng: StableRandom, tag: str) -> str:
    """A fresh word whose suffix (or shape) hints at ``tag``."""
    if tag == "NUM":
        return str(rng.between(10, 9999))
    stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.between(2, 3)))
    word = stem + rng.choice(SUFFIXES[tag])
    return word.capitalize() if tag == "PROPN" else word


def _fill(rng: StableRandom, slots: tuple[str, ...], rare_rate: float) -> list[tuple[str, str]]:
    """(word, tag) for each slot; optional slots ("x?") appear half the time."""
    out = []
    for slot in slots:
        name = slot.rstrip("?")
        if slot.endswith("?") and rng.chance(0.5):
            continue
        pool_name, _, extra = name.partition("+")
        tag, words = POOLS[pool_name]
        pool = words + (AMBIGUOUS if extra == "amb" else ())
        rare = (tag in SUFFIXES or tag == "NUM") and rng.chance(rare_rate)
        out.append((pseudo_word(rng, tag) if rare else rng.choice(pool), tag))
    return out


def sentence(rng: StableRandom, params: SyntheticTaggingParams) -> TaggedSentence:
    """One sentence: the right-context construction (``ambiguous_rate``) or a left-decidable template."""
    if rng.chance(params.ambiguous_rate):
        reading = rng.choice(tuple(READINGS))
        prefix = _fill(rng, AMBIGUOUS_PREFIX, params.rare_rate)
        rest = _fill(rng, READINGS[reading], params.rare_rate)
        pairs = prefix + [(rng.choice(AMBIGUOUS), reading)] + rest
        right = [False] * len(prefix) + [True] + [False] * len(rest)
    else:
        pairs = _fill(rng, rng.choice(TEMPLATES), params.rare_rate)
        right = [False] * len(pairs)
    words, tags = zip(*pairs)
    return TaggedSentence(tuple(words), tuple(tags), tuple(right))


def split_sentences(params: SyntheticTaggingParams, split: str, n: int) -> list[TaggedSentence]:
    rng = StableRandom(f"synthetic-tagging/{params.seed}/{split}")
    return [sentence(rng, params) for _ in range(n)]


def write(params: SyntheticTaggingParams, out_dir: Path) -> None:
    """Write ``train.conllu``, ``valid.conllu`` and ``test.conllu``."""
    for split, n in split_sizes(params):
        write_conllu(out_dir / f"{split}.conllu", split_sentences(params, split, n))


def example(seed: int = 0) -> str:
    """Two sentences of the right-context construction, one per reading, and one other sentence."""
    rng = StableRandom(f"synthetic-tagging/{seed}/example")
    params = SyntheticTaggingParams(ambiguous_rate=1.0, rare_rate=0.0, seed=seed)
    found: dict[str, TaggedSentence] = {}
    while len(found) < 2:
        s = sentence(rng, params)
        found.setdefault(s.tags[s.right_context.index(True)], s)
    plain = sentence(rng, SyntheticTaggingParams(ambiguous_rate=0.0, rare_rate=0.0, seed=seed))
    return "".join(format_sentence(s) for s in (*found.values(), plain))


GENERATOR = CorpusGenerator(
    name="synthetic-tagging",
    task="tagging",
    params_type=SyntheticTaggingParams,
    write=write,
    example=example,
    description="UPOS-tagged sentences; noun/verb-ambiguous words whose tag only the next word decides",
)
