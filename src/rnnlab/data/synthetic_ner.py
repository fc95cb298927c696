"""``synthetic-ner``: IOB2 sentences with PER/LOC/ORG names whose type only the words to the right decide.

The right-context construction starts with a lead-in drawn from one pool for every reading
(``yesterday``, ``we heard that``, ...), then a name that is a person, a place or an organisation
(``Jordan``, ``Washington``, ``Austin``, ...). What follows decides its type:

- PER when a verb follows: ``yesterday Jordan said hello .`` (one token, ``B-PER``);
- LOC when a place word follows: ``yesterday Jordan River flooded .`` (``B-LOC I-LOC``);
- ORG when a company word follows: ``yesterday Jordan Bank grew .`` (``B-ORG I-ORG``).

At the name a left-to-right tagger can only guess; every token of such an entity carries
``RightContext=Yes``. The other templates give the type from the left (``Dr. Anna Berg``,
``the city of Oslo``, ``shares of Acme Corp``), some with the ambiguous names too, and hold
multi-token entities. Name slots get, with probability ``rare_rate``, a fresh capitalised
pseudo-word, so the test splits hold entities with out-of-vocabulary words.
Files: ``{train,valid,test}.iob2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ..errors import ConfigError
from .conllu_io import TaggedSentence
from .iob_io import OUTSIDE, format_sentence, write_iob2
from .synthetic import CorpusGenerator, StableRandom, split_sizes

AMBIGUOUS = ("Jordan", "Washington", "Lincoln", "Jackson", "Georgia", "Chelsea", "Austin", "Victoria", "Kent",
             "Florence")
NAMES = MappingProxyType({
    "first": ("Anna", "Tom", "Maria", "Peter", "Laura", "Omar", "Chen", "Ivan"),
    "last": ("Berg", "Smith", "Novak", "Garcia", "Kim", "Olsen"),
    "city": ("Oslo", "Berlin", "Lima", "Cairo", "Dublin", "Quito"),
    "company": ("Acme", "Globex", "Initech", "Vandelay", "Hooli"),
})
# The word after an ambiguous name that decides its type, and what follows that word.
READINGS = MappingProxyType({
    "PER": ((), ("said", "smiled", "laughed", "agreed", "complained"), (("hello",), ("nothing",), ())),
    "LOC": (("River", "Valley", "Lake", "Bay"), ("flooded", "froze", "dried"), ((),)),
    "ORG": (("Bank", "Group", "Airlines", "Corp"), ("grew", "hired", "failed"), ((),)),
})
LEAD_INS = (("yesterday",), ("we", "heard", "that"), ("last", "week"), ("according", "to", "the", "news", ","), ())
TITLES = ("Dr.", "Mr.", "Ms.")
SYLLABLES = ("ka", "lo", "mi", "ren", "tu", "sa", "vor", "del", "pi", "zan", "bru", "fe")

Token = tuple[str, str, bool]  # word, IOB2 tag, decided on the right


@dataclass(frozen=True)
class SyntheticNerParams:
    n_train: int = 1200
    n_valid: int = 300
    n_test: int = 300
    ambiguous_rate: float = 0.4  # share of sentences with the right-context construction
    rare_rate: float = 0.08  # chance that a name slot gets a fresh pseudo-word
    seed: int = 0

    def __post_init__(self) -> None:
        split_sizes(self)
        for key in ("ambiguous_rate", "rare_rate"):
            if not 0.0 <= getattr(self, key) <= 1.0:
                raise ConfigError(f"parameter {key!r} must be in [0, 1], got {getattr(self, key)}")


def pseudo_name(rng: StableRandom) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.between(2, 3))).capitalize()


def _name(rng: StableRandom, pool: str, rare_rate: float, ambiguous: bool = False) -> str:
    if rng.chance(rare_rate):
        return pseudo_name(rng)
    if ambiguous and rng.chance(0.5):
        return rng.choice(AMBIGUOUS)
    return rng.choice(NAMES[pool])


def entity(kind: str, words: list[str], right: bool = False) -> list[Token]:
    return [(w, f"{'B' if i == 0 else 'I'}-{kind}", right) for i, w in enumerate(words)]


def outside(*words: str) -> list[Token]:
    return [(w, OUTSIDE, False) for w in words]


def _person(rng: StableRandom, rare: float) -> list[Token]:
    words = [_name(rng, "first", rare, ambiguous=True)]
    if rng.chance(0.6):
        words.append(_name(rng, "last", rare))
    return entity("PER", words)


def _org(rng: StableRandom, rare: float) -> list[Token]:
    words = [_name(rng, "company", rare, ambiguous=True)]
    if rng.chance(0.7):
        words.append(rng.choice(READINGS["ORG"][0]))
    return entity("ORG", words)


def _left_decided(rng: StableRandom, rare: float) -> list[Token]:
    """One of the templates whose entity types the left context gives."""
    city = entity("LOC", [_name(rng, "city", rare, ambiguous=True)])
    choice = rng.below(3)
    if choice == 0:
        return outside(rng.choice(TITLES)) + _person(rng, rare) + outside("met", "the", "mayor", "of") + city + outside(".")
    if choice == 1:
        return outside("shares", "of") + _org(rng, rare) + outside("rose", "in", "the", "city", "of") + city + outside(".")
    return outside("we", "flew", "to") + city + outside("with", rng.choice(TITLES)) + _person(rng, rare) + outside(".")


def _right_decided(rng: StableRandom) -> list[Token]:
    """Lead-in, ambiguous name, then the word that decides its type."""
    kind = rng.choice(tuple(READINGS))
    heads, verbs, tails = READINGS[kind]
    words = [rng.choice(AMBIGUOUS)] + ([rng.choice(heads)] if heads else [])
    return (outside(*rng.choice(LEAD_INS)) + entity(kind, words, right=True)
            + outside(rng.choice(verbs), *rng.choice(tails), "."))


def sentence(rng: StableRandom, params: SyntheticNerParams) -> TaggedSentence:
    if rng.chance(params.ambiguous_rate):
        tokens = _right_decided(rng)
    else:
        tokens = _left_decided(rng, params.rare_rate)
    words, tags, right = zip(*tokens)
    return TaggedSentence(tuple(words), tuple(tags), tuple(right))


def split_sentences(params: SyntheticNerParams, split: str, n: int) -> list[TaggedSentence]:
    rng = StableRandom(f"synthetic-ner/{params.seed}/{split}")
    return [sentence(rng, params) for _ in range(n)]


def write(params: SyntheticNerParams, out_dir: Path) -> None:
    """Write ``train.iob2``, ``valid.iob2`` and ``test.iob2``."""
    for split, n in split_sizes(params):
        write_iob2(out_dir / f"{split}.iob2", split_sentences(params, split, n))


def example(seed: int = 0) -> str:
    """One sentence of the right-context construction per type, and one left-decided sentence."""
    rng = StableRandom(f"synthetic-ner/{seed}/example")
    found: dict[str, TaggedSentence] = {}
    while len(found) < len(READINGS):
        s = sentence(rng, SyntheticNerParams(ambiguous_rate=1.0, rare_rate=0.0, seed=seed))
        found.setdefault(s.tags[s.right_context.index(True)][2:], s)
    plain = sentence(rng, SyntheticNerParams(ambiguous_rate=0.0, rare_rate=0.0, seed=seed))
    return "".join(format_sentence(s) for s in (*found.values(), plain))


GENERATOR = CorpusGenerator(
    name="synthetic-ner",
    task="ner",
    params_type=SyntheticNerParams,
    write=write,
    example=example,
    description="IOB2 sentences; PER/LOC/ORG names whose type only the next word decides, multi-token entities",
)
