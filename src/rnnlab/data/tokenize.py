"""Tokenizers, looked up by name.

- ``whitespace``: split on runs of whitespace and keep the text as it is. For corpora that are
  already tokenized, such as WikiText and the Penn Treebank.
- ``lower``: lowercase, then split on whitespace. For SST-2, which is tokenized but not
  lowercased everywhere.
- ``basic``: for raw text such as IMDB reviews. Removes ``<br />`` tags, lowercases, and splits
  off punctuation and the clitics ``n't``, ``'s``, ``'re``, ``'ve``, ``'ll``, ``'d``, ``'m`` in the
  Penn Treebank manner (``don't`` -> ``do n't``, ``film's`` -> ``film 's``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping

from ..errors import ConfigError

_BR_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)

# One token per match, tried left to right: the stem before "n't", "n't" itself, the other
# clitics, numbers with inner separators, (hyphenated) words, then any single other symbol.
_BASIC_TOKEN = re.compile(
    r"""
    \w+(?=n't\b)
    | n't\b
    | '(?:s|re|ve|ll|d|m)\b
    | \d+(?:[.,:]\d+)+
    | \w+(?:-\w+)*
    | [^\w\s]
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Tokenizer:
    """A named function from a line of text to a list of tokens."""

    name: str
    split: Callable[[str], list[str]]
    description: str

    def __call__(self, text: str) -> list[str]:
        return self.split(text)


def whitespace_tokens(text: str) -> list[str]:
    """Split on whitespace, nothing else."""
    return text.split()


def lower_tokens(text: str) -> list[str]:
    """Lowercase, then split on whitespace."""
    return text.lower().split()


def basic_tokens(text: str) -> list[str]:
    """Strip ``<br />``, lowercase, split off punctuation and clitics."""
    return _BASIC_TOKEN.findall(_BR_TAG.sub(" ", text).lower())


TOKENIZERS: Mapping[str, Tokenizer] = MappingProxyType(
    {
        t.name: t
        for t in (
            Tokenizer("whitespace", whitespace_tokens, "split on whitespace (pre-tokenized text: WikiText, PTB)"),
            Tokenizer("lower", lower_tokens, "lowercase + split on whitespace (tokenized text: SST-2)"),
            Tokenizer("basic", basic_tokens, "strip <br />, lowercase, split punctuation and clitics (raw text: IMDB)"),
        )
    }
)


def get_tokenizer(name: str) -> Tokenizer:
    """The tokenizer called ``name``; ConfigError listing the known names otherwise."""
    try:
        return TOKENIZERS[name]
    except KeyError:
        raise ConfigError(f"unknown tokenizer {name!r}; choose one of: {', '.join(TOKENIZERS)}") from None


def describe_tokenizers() -> str:
    """One line per tokenizer, for ``--help`` texts."""
    return "\n".join(f"  {t.name:<11} {t.description}" for t in TOKENIZERS.values())
