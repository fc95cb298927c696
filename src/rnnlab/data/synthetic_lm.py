"""``synthetic-lm``: passages with one controlled long-distance dependency each.

A passage (one line) opens with a cue sentence that introduces an object noun drawn uniformly
from ``n_cue_nouns`` cue nouns ("maria bought the tickets at the station ."), continues with
filler sentences from a small grammar whose vocabulary never holds a cue noun, and ends with a
probe sentence whose last word repeats the cue ("finally she printed her tickets ."). The probe
frame is the same whatever the cue, so only the cue tells the target: without it the best guess
is right 1 time in ``n_cue_nouns``. ``distance`` is the token index of the target minus that of
the cue; each split holds every distance equally often (counts differ by at most one).

Files: ``{split}.txt`` and ``{split}.probes.tsv`` (line, position, distance, cue, target; 0-based).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ..errors import ConfigError
from .corpus_io import Probe, format_probes
from .synthetic import CorpusGenerator, StableRandom, balanced, split_sizes

CUE_NOUNS = (
    "tickets", "photos", "letters", "maps", "labels", "receipts", "posters", "invoices", "flyers", "menus",
    "forms", "reports", "slides", "recipes", "coupons", "schedules", "invitations", "certificates", "passes", "notes",
)
FEMALE_NAMES = ("maria", "anna", "sofia", "laura", "emma", "julia", "nina", "clara")
MALE_NAMES = ("david", "james", "peter", "thomas", "daniel", "martin", "paul", "simon")
CUE_VERBS = ("bought", "found", "ordered", "collected", "received", "kept", "brought", "got")
PROBE_VERBS = ("printed", "copied", "scanned", "checked")

# What may follow the cue noun in the cue sentence, by length in tokens.
TAILS = MappingProxyType(
    {
        1: (".",),
        2: ("today .", "again .", "early ."),
        3: ("in town .", "last week .", "for work ."),
        4: ("at the station .", "at the office .", "from the shop ."),
        5: ("at the old station .", "from the corner shop .", "at the front desk ."),
    }
)
# Probe openings by length, before "<possessive> <target> ."; "and ..." continues the cue sentence.
PROBE_OPENINGS = MappingProxyType({3: ("{pro} {verb}",), 4: ("finally {pro} {verb}", "then {pro} {verb}")})
JOINED_OPENINGS = MappingProxyType({3: ("and {verb}",), 4: ("and then {verb}", "and finally {verb}")})

NOUNS = (
    "man", "woman", "child", "dog", "cat", "teacher", "doctor", "farmer", "student", "driver",
    "neighbor", "baker", "painter", "singer", "soldier", "sailor", "king", "queen", "friend", "stranger",
    "boy", "girl", "bird", "horse", "fox", "river", "garden", "house", "road", "bridge",
    "window", "door", "table", "chair", "kitchen", "village", "city", "forest", "mountain", "lake",
    "field", "market", "school", "church", "tower", "castle", "boat", "train", "car", "bus",
    "street", "park", "hill", "valley", "island", "library", "museum", "hospital", "farm", "barn",
    "roof", "wall", "fence", "gate", "path", "yard", "harbor", "beach", "storm", "cloud",
    "tree", "flower", "stone", "bench", "lamp", "clock", "mirror", "basket", "bottle", "cup",
    "jacket", "hat", "umbrella", "bicycle", "ladder", "bucket", "rope", "candle", "piano", "guitar",
    "nurse", "pilot", "lawyer", "cook", "guard", "priest", "judge", "miner", "clerk", "tailor",
    "wolf", "bear", "rabbit", "owl", "goat", "sheep", "cow", "duck", "mouse", "snake",
    "square", "corner", "tunnel", "cave", "meadow", "orchard", "pond", "cliff", "shore", "well",
)
ADJECTIVES = (
    "old", "young", "small", "large", "quiet", "busy", "tall", "short", "happy", "tired",
    "brave", "careful", "clever", "gentle", "loud", "calm", "bright", "dark", "cold", "warm",
    "wet", "dry", "green", "red", "blue", "white", "black", "yellow", "heavy", "light",
    "strange", "famous", "friendly", "lonely", "narrow", "wide", "ancient", "modern", "empty", "crowded",
    "distant", "sleepy", "hungry", "angry", "proud", "polite", "curious", "patient", "quick", "silent",
)
INTRANSITIVE_VERBS = (
    "slept", "laughed", "waited", "arrived", "smiled", "danced", "walked", "left", "rested", "stopped",
    "shouted", "sang", "cried", "worked", "played", "listened", "wandered", "paused", "returned", "disappeared",
    "appeared", "jumped", "fell", "stayed", "swam", "ran", "sat", "stood", "whispered", "nodded",
    "rose", "vanished", "shivered", "yawned", "hesitated",
)
TRANSITIVE_VERBS = (
    "saw", "watched", "visited", "followed", "helped", "painted", "cleaned", "opened", "closed", "carried",
    "moved", "pushed", "pulled", "called", "met", "greeted", "noticed", "passed", "crossed", "repaired",
    "built", "guarded", "chased", "avoided", "admired", "described", "remembered", "ignored", "reached", "fixed",
    "entered", "touched", "lifted", "dropped", "washed",
)
ADVERBS = (
    "quietly", "slowly", "quickly", "suddenly", "happily", "calmly", "carefully", "gently", "loudly", "proudly",
    "patiently", "softly", "bravely", "eagerly", "politely", "silently", "briefly", "nearly", "almost", "soon",
)
DETERMINERS = ("the", "a", "this", "that", "every", "another")
PREPOSITIONS = ("in", "near", "behind", "under", "beside", "across", "along", "through", "around", "past", "over", "inside")

OPEN_CLASSES = (NOUNS, ADJECTIVES, INTRANSITIVE_VERBS, TRANSITIVE_VERBS, ADVERBS)
MIN_SENTENCE, MAX_SENTENCE = 4, 16
MIN_DISTANCE = 4
MIN_CLASS_WORDS = 2


@dataclass(frozen=True)
class SyntheticLMParams:
    n_train: int = 2800
    n_valid: int = 700
    n_test: int = 700
    n_cue_nouns: int = 10
    distances: tuple[int, ...] = (4, 5, 10, 20, 50, 100, 200)
    filler_vocab_size: int = 260
    seed: int = 0

    def __post_init__(self) -> None:
        split_sizes(self)
        if not 2 <= self.n_cue_nouns <= len(CUE_NOUNS):
            raise ConfigError(f"parameter 'n_cue_nouns' must be between 2 and {len(CUE_NOUNS)}, got {self.n_cue_nouns}")
        if not self.distances or min(self.distances) < MIN_DISTANCE:
            raise ConfigError(
                f"parameter 'distances' must be a non-empty list of integers >= {MIN_DISTANCE} "
                f"(the shortest passage is 'maria got the tickets and printed her tickets .'), got {list(self.distances)}"
            )
        most = sum(len(words) for words in OPEN_CLASSES)
        least = MIN_CLASS_WORDS * len(OPEN_CLASSES)
        if not least <= self.filler_vocab_size <= most:
            raise ConfigError(
                f"parameter 'filler_vocab_size' must be between {least} and {most}, got {self.filler_vocab_size}"
            )


@dataclass(frozen=True)
class FillerLexicon:
    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]
    intransitive: tuple[str, ...]
    transitive: tuple[str, ...]
    adverbs: tuple[str, ...]


def filler_lexicon(size: int) -> FillerLexicon:
    """The first words of each open class, in proportion to the class sizes, ``size`` in all."""
    total = sum(len(words) for words in OPEN_CLASSES)
    counts = [max(MIN_CLASS_WORDS, len(words) * size // total) for words in OPEN_CLASSES]
    # Hand the rounding remainder to the largest classes first.
    order = sorted(range(len(OPEN_CLASSES)), key=lambda i: -len(OPEN_CLASSES[i]))
    i = 0
    while sum(counts) != size:
        k = order[i % len(order)]
        step = 1 if sum(counts) < size else -1
        if MIN_CLASS_WORDS <= counts[k] + step <= len(OPEN_CLASSES[k]):
            counts[k] += step
        i += 1
    return FillerLexicon(*(words[:n] for words, n in zip(OPEN_CLASSES, counts)))


def _noun_phrase(rng: StableRandom, lex: FillerLexicon, with_adjective: bool) -> list[str]:
    adjective = [rng.choice(lex.adjectives)] if with_adjective else []
    words = adjective + [rng.choice(lex.nouns)]
    det = rng.choice(DETERMINERS)
    if det == "a" and words[0][0] in "aeiou":
        det = "an"
    return [det] + words


def filler_sentence(rng: StableRandom, lex: FillerLexicon, length: int) -> list[str]:
    """A sentence of exactly ``length`` tokens (>= 4), ending with ".".

    Shape: DET [ADJ] NOUN [ADV] VERB [DET [ADJ] NOUN] (PREP DET [ADJ] NOUN)* "."
    """
    extra = length - MIN_SENTENCE
    transitive = extra >= 2 and rng.chance(0.5)
    extra -= 2 if transitive else 0
    # With n phrases there are 2 + transitive + n optional one-word slots; the rest of the length
    # must fit them: extra - 3n <= 2 + transitive + n.
    fewest = max(0, -(-(extra - 2 - transitive) // 4))
    n_pp = rng.between(fewest, extra // 3) if extra // 3 >= fewest else fewest
    slots = ["subject", "adverb"] + (["object"] if transitive else []) + [f"pp{i}" for i in range(n_pp)]
    filled = set(rng.sample(slots, extra - 3 * n_pp))
    tokens = _noun_phrase(rng, lex, "subject" in filled)
    if "adverb" in filled:
        tokens.append(rng.choice(lex.adverbs))
    tokens.append(rng.choice(lex.transitive if transitive else lex.intransitive))
    if transitive:
        tokens += _noun_phrase(rng, lex, "object" in filled)
    for i in range(n_pp):
        tokens += [rng.choice(PREPOSITIONS)] + _noun_phrase(rng, lex, f"pp{i}" in filled)
    tokens.append(".")
    return tokens


def filler_span(rng: StableRandom, lex: FillerLexicon, length: int) -> list[str]:
    """Filler sentences with exactly ``length`` tokens in all (0 or >= 4)."""
    tokens: list[str] = []
    left = length
    while left > 0:
        n = left if left <= MAX_SENTENCE else rng.between(MIN_SENTENCE, min(MAX_SENTENCE, left - MIN_SENTENCE))
        tokens += filler_sentence(rng, lex, n)
        left -= n
    return tokens


def _gap_plans(gap: int) -> list[tuple[int, int]]:
    """(tail length, opening length) pairs that leave a filler of 0 or >= 4 tokens in ``gap``."""
    plans = [(0, p) for p in JOINED_OPENINGS if p == gap]
    for tail in TAILS:
        for opening in PROBE_OPENINGS:
            filler = gap - tail - opening
            if filler == 0 or filler >= MIN_SENTENCE:
                plans.append((tail, opening))
    return plans


def passage(rng: StableRandom, lex: FillerLexicon, cue: str, distance: int) -> tuple[list[str], Probe]:
    """One passage whose target (a repeat of ``cue``) is ``distance`` tokens after the cue."""
    female = rng.chance(0.5)
    name = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    pronoun, possessive = ("she", "her") if female else ("he", "his")
    tokens = filler_sentence(rng, lex, rng.between(MIN_SENTENCE, 8)) if rng.chance(0.5) else []
    tokens += [name, rng.choice(CUE_VERBS), "the"]
    cue_position = len(tokens)
    tokens.append(cue)
    tail, opening = rng.choice(_gap_plans(distance - 1))
    verb = rng.choice(PROBE_VERBS)
    if tail == 0:
        tokens += rng.choice(JOINED_OPENINGS[opening]).format(verb=verb).split()
    else:
        tokens += rng.choice(TAILS[tail]).split()
        tokens += filler_span(rng, lex, distance - 1 - tail - opening)
        tokens += rng.choice(PROBE_OPENINGS[opening]).format(pro=pronoun, verb=verb).split()
    tokens.append(possessive)
    target_position = len(tokens)
    tokens += [cue, "."]
    assert target_position - cue_position == distance
    return tokens, Probe(0, target_position, distance, cue, cue)


def split_passages(params: SyntheticLMParams, split: str, n: int) -> tuple[list[str], list[Probe]]:
    """The lines and probes of one split; each split has its own random stream."""
    rng = StableRandom(f"synthetic-lm/{params.seed}/{split}")
    lex = filler_lexicon(params.filler_vocab_size)
    cues = CUE_NOUNS[: params.n_cue_nouns]
    lines: list[str] = []
    probes: list[Probe] = []
    for i, distance in enumerate(balanced(params.distances, n, rng)):
        tokens, probe = passage(rng, lex, rng.choice(cues), distance)
        lines.append(" ".join(tokens))
        probes.append(Probe(i, probe.position, probe.distance, probe.cue, probe.target))
    return lines, probes


def write(params: SyntheticLMParams, out_dir: Path) -> None:
    """Write ``{split}.txt`` and ``{split}.probes.tsv`` for train, valid and test."""
    for split, n in split_sizes(params):
        lines, probes = split_passages(params, split, n)
        (out_dir / f"{split}.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        (out_dir / f"{split}.probes.tsv").write_text(format_probes(probes), encoding="utf-8")


def example(seed: int = 0) -> str:
    """A passage at distance 10 and its row of ``probes.tsv``."""
    rng = StableRandom(f"synthetic-lm/{seed}/example")
    lex = filler_lexicon(SyntheticLMParams.filler_vocab_size)
    tokens, probe = passage(rng, lex, rng.choice(CUE_NOUNS[: SyntheticLMParams.n_cue_nouns]), 10)
    return " ".join(tokens) + "\n" + format_probes([probe])


GENERATOR = CorpusGenerator(
    name="synthetic-lm",
    task="lm",
    params_type=SyntheticLMParams,
    write=write,
    example=example,
    description="passages whose last word repeats a cue noun seen `distance` tokens earlier",
)
