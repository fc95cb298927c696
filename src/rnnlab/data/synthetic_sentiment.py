"""``synthetic-sentiment``: review sentences whose label hangs on words to the right of the evidence.

Each row is ``sentence<TAB>label<TAB>distance<TAB>construction``. One evidence span, near the
start of the sentence, is followed by neutral filler; ``distance`` is the bucket (e.g. ``25–64``)
of the number of tokens after the evidence's last word, the final "." included, so it is how far
a left-to-right reader must carry the evidence to the end of the sentence. The evidence comes in
one of three constructions:

- ``plain``: one sentiment word gives the label ("the acting was great").
- ``negation``: a reversal after the sentiment word flips it ("the acting was great ? not at all").
- ``contrast``: two clauses of opposite polarity joined by "but"; the clause after "but" gives
  the label ("the plot was great , but overall it was dull").

The filler never holds a sentiment word, "not", "but" or "?". Label, distance bucket and
construction are balanced in every split. At most one neutral clause precedes the evidence, so a
bidirectional reader's reverse direction always finds it near its own end, whatever the distance.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from pathlib import Path
from types import MappingProxyType

from ..errors import ConfigError
from .corpus_io import tsv_line
from .synthetic import CorpusGenerator, StableRandom, balanced, split_sizes

LABELS = ("negative", "positive")
CONSTRUCTIONS = ("plain", "negation", "contrast")
COLUMNS = ("sentence", "label", "distance", "construction")
# Tries at drawing a filler whose length lands in the bucket before the generator gives up.
MAX_TRIES = 100

POSITIVE = (
    "great", "wonderful", "excellent", "brilliant", "superb", "delightful", "moving", "charming",
    "gripping", "beautiful", "clever", "fantastic", "lovely", "impressive", "enjoyable",
)
NEGATIVE = (
    "dull", "terrible", "awful", "boring", "dreadful", "weak", "clumsy", "tedious",
    "painful", "bland", "poor", "lifeless", "messy", "horrible", "disappointing",
)
ASPECTS = (
    "plot", "acting", "script", "music", "cast", "ending", "dialogue", "direction",
    "story", "soundtrack", "photography", "pacing", "humor", "score", "editing",
)
REVERSALS = ("? not at all", "? not really", "? hardly", "? far from it")
CONTRAST_TAILS = ("but overall it was {s}", "but the {a} was {s}", "but in the end it felt {s}")
# A clause that states a polarity; the same openings serve plain, negation and contrast rows, so
# the words before the sentiment word never tell the construction.
CLAUSES = ("the {a} was {s}", "the {a} felt {s}", "i found the {a} {s}")

# Neutral clauses: slots in braces are filled from NEUTRAL_SLOTS.
NEUTRAL_CLAUSES = (
    "i saw it on a {day}",
    "we watched it at the {venue}",
    "it runs about {number} minutes",
    "the film came out in {month}",
    "my {relative} came along",
    "it is based on a {source}",
    "the story takes place in {setting}",
    "most of it was shot in {setting}",
    "the film is in {language}",
    "there is a long scene at the {venue}",
    "i went with my {relative} on a {day}",
    "the lead plays a {job}",
    "the second half is set in {month}",
    "it was shown at the {venue} in {month}",
)
NEUTRAL_SLOTS = MappingProxyType(
    {
        "day": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        "venue": ("cinema", "festival", "library", "museum", "theater", "station", "harbor"),
        "number": ("ninety", "eighty", "seventy", "hundred"),
        "month": ("january", "march", "april", "june", "july", "october", "december"),
        "relative": ("brother", "sister", "cousin", "uncle", "aunt", "father", "mother", "neighbor"),
        "source": ("novel", "play", "comic", "radio show", "short story"),
        "setting": ("paris", "london", "a small town", "the desert", "a village", "an old house", "the mountains"),
        "language": ("french", "spanish", "german", "english", "italian"),
        "job": ("teacher", "pilot", "baker", "farmer", "lawyer", "sailor", "nurse"),
    }
)


@dataclass(frozen=True)
class SyntheticSentimentParams:
    n_train: int = 3600
    n_valid: int = 900
    n_test: int = 900
    # Bucket b holds the distances edges[b] .. edges[b+1] - 1 (1: the evidence is followed by "." alone).
    distance_edges: tuple[int, ...] = (1, 9, 25, 65, 151)
    seed: int = 0

    def __post_init__(self) -> None:
        split_sizes(self)
        edges = self.distance_edges
        if len(edges) < 2 or edges[0] < 1 or any(b <= a for a, b in zip(edges, edges[1:])):
            raise ConfigError(
                f"parameter 'distance_edges' must be at least two increasing integers from 1 up, got {list(edges)}"
            )

    @property
    def buckets(self) -> tuple[tuple[int, int], ...]:
        """(shortest, longest) distance of each bucket."""
        return tuple((a, b - 1) for a, b in zip(self.distance_edges, self.distance_edges[1:]))


def _polar_words(label: str) -> tuple[str, ...]:
    return POSITIVE if label == "positive" else NEGATIVE


def _opposite(label: str) -> str:
    return LABELS[1 - LABELS.index(label)]


def evidence(rng: StableRandom, label: str, construction: str) -> list[str]:
    """The evidence span of one row; its label is ``label`` under ``construction``'s rule."""
    clause_label = _opposite(label) if construction in ("negation", "contrast") else label
    tokens = rng.choice(CLAUSES).format(a=rng.choice(ASPECTS), s=rng.choice(_polar_words(clause_label))).split()
    if construction == "negation":
        tokens += rng.choice(REVERSALS).split()
    elif construction == "contrast":
        tail = rng.choice(CONTRAST_TAILS).format(a=rng.choice(ASPECTS), s=rng.choice(_polar_words(label)))
        tokens += [","] + tail.split()
    return tokens


def neutral_clause(rng: StableRandom) -> list[str]:
    template = rng.choice(NEUTRAL_CLAUSES)
    slots = {key: rng.choice(values) for key, values in NEUTRAL_SLOTS.items() if "{" + key + "}" in template}
    return template.format(**slots).split()


def neutral_filler(rng: StableRandom, length: int) -> list[str]:
    """Neutral clauses joined by "," with about ``length`` tokens (at least ``length`` if > 0)."""
    tokens: list[str] = []
    while len(tokens) < length:
        tokens += ([","] if tokens else []) + neutral_clause(rng)
    return tokens


def bucket_label(bucket: tuple[int, int]) -> str:
    low, high = bucket
    return f"{low}–{high}" if low != high else str(low)


def trailing_filler(rng: StableRandom, bucket: tuple[int, int]) -> list[str]:
    """What follows the evidence up to and including the final ".": its length is in ``bucket``."""
    low, high = bucket
    for _ in range(MAX_TRIES):
        distance = rng.between(low, high)
        if distance == 1:
            return ["."]
        # "," + filler + "." add two tokens to the filler, which holds at least one clause.
        tokens = [","] + neutral_filler(rng, max(1, distance - 2)) + ["."]
        if len(tokens) <= high:
            return tokens
    raise ConfigError(f"no neutral filler fits the distance bucket {bucket_label(bucket)}; widen 'distance_edges'")


def row(rng: StableRandom, label: str, bucket: tuple[int, int], construction: str) -> str:
    """One TSV row: at most one neutral clause, the evidence, then filler of a length in ``bucket``."""
    lead = neutral_clause(rng) + [","] if rng.chance(0.5) else []
    tokens = lead + evidence(rng, label, construction) + trailing_filler(rng, bucket)
    return tsv_line((" ".join(tokens), label, bucket_label(bucket), construction))


def split_rows(params: SyntheticSentimentParams, split: str, n: int) -> list[str]:
    """The rows of one split, balanced over label x distance bucket x construction."""
    rng = StableRandom(f"synthetic-sentiment/{params.seed}/{split}")
    cells = list(product(LABELS, params.buckets, CONSTRUCTIONS))
    return [row(rng, *cell) for cell in balanced(cells, n, rng)]


def write(params: SyntheticSentimentParams, out_dir: Path) -> None:
    """Write ``train.tsv``, ``valid.tsv`` and ``test.tsv``."""
    for split, n in split_sizes(params):
        text = tsv_line(COLUMNS) + "".join(split_rows(params, split, n))
        (out_dir / f"{split}.tsv").write_text(text, encoding="utf-8")


def example(seed: int = 0) -> str:
    """The header and one short row per construction."""
    rng = StableRandom(f"synthetic-sentiment/{seed}/example")
    cells = [("positive", (1, 8), "negation"), ("negative", (9, 24), "contrast"), ("positive", (1, 8), "plain")]
    return tsv_line(COLUMNS) + "".join(row(rng, *cell) for cell in cells)


GENERATOR = CorpusGenerator(
    name="synthetic-sentiment",
    task="classification",
    params_type=SyntheticSentimentParams,
    write=write,
    example=example,
    description="sentiment rows whose evidence lies 1 to 150 tokens before the end and needs the words to its "
                "right (negation, contrast)",
)
