"""Embedded synthetic corpora: a registry of generators and ``rnnlab generate``.

A generator turns a frozen params dataclass (sizes, vocabulary, distances, seed) into the raw
layout that ``rnnlab prepare`` reads. The same params give byte-identical files: every random
draw goes through ``StableRandom``, which uses only ``random.Random.random()``, the one sequence
Python promises to keep across versions for a given seed.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import random
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

import yaml

from .. import layout
from ..errors import ConfigError
from .processed import SPLITS
from ..io import atomic_dir, write_json

# Modules that contribute a generator through a module-level ``GENERATOR``.
GENERATOR_MODULES = ("rnnlab.data.synthetic_lm", "rnnlab.data.synthetic_sentiment", "rnnlab.data.synthetic_tagging",
                     "rnnlab.data.synthetic_ner")

T = TypeVar("T")


class StableRandom:
    """Deterministic draws built on ``random.Random.random()`` alone."""

    def __init__(self, seed: int | str) -> None:
        self._rng = random.Random(seed)

    def below(self, n: int) -> int:
        """An integer in ``[0, n)``."""
        return min(int(self._rng.random() * n), n - 1)

    def between(self, low: int, high: int) -> int:
        """An integer in ``[low, high]``."""
        return low + self.below(high - low + 1)

    def chance(self, p: float) -> bool:
        return self._rng.random() < p

    def choice(self, items: Sequence[T]) -> T:
        return items[self.below(len(items))]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """``k`` distinct items, in random order."""
        pool = list(items)
        self.shuffle(pool)
        return pool[:k]

    def shuffle(self, items: list[Any]) -> None:
        """Shuffle in place (Fisher-Yates)."""
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]


def balanced(values: Sequence[T], n: int, rng: StableRandom) -> list[T]:
    """``n`` items cycling through ``values`` (counts differ by at most one), shuffled."""
    items = [values[i % len(values)] for i in range(n)]
    rng.shuffle(items)
    return items


def split_sizes(params: Any) -> list[tuple[str, int]]:
    """(split, number of items) for every split of a generator's params (fields ``n_<split>``), each
    checked to be at least 1; called by the params' ``__post_init__`` and by ``write``."""
    sizes = [(split, getattr(params, f"n_{split}")) for split in SPLITS]
    for split, n in sizes:
        if n < 1:
            raise ConfigError(f"parameter 'n_{split}' must be at least 1, got {n}")
    return sizes


@dataclass(frozen=True)
class CorpusGenerator:
    """A named corpus generator: ``write(params, folder)`` writes the raw layout into ``folder``."""

    name: str
    task: str
    params_type: type
    write: Callable[[Any, Path], None]
    example: Callable[[int], str]
    description: str


def generators() -> dict[str, CorpusGenerator]:
    """All generators by name."""
    found = (importlib.import_module(m).GENERATOR for m in GENERATOR_MODULES)
    return {g.name: g for g in found}


def get_generator(name: str) -> CorpusGenerator:
    registry = generators()
    if name not in registry:
        raise ConfigError(f"unknown generator {name!r}; choose one of: {', '.join(registry)}")
    return registry[name]


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def _coerce(key: str, value: Any, hint: Any) -> Any:
    """``value`` (as parsed from YAML) checked against the field type ``hint``."""
    origin = typing.get_origin(hint)
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"parameter {key!r} must be a list such as [1, 2, 3], got {value!r}")
        (item_hint, *_) = typing.get_args(hint)
        return tuple(_coerce(key, v, item_hint) for v in value)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return None if value is None else _coerce(key, value, options[0])
    ok = {
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, (int, float)) and not isinstance(value, bool),
        bool: isinstance(value, bool),
        str: isinstance(value, str),
    }.get(hint, True)
    if not ok:
        raise ConfigError(f"parameter {key!r} must be of type {_type_name(hint)}, got {value!r}")
    return float(value) if hint is float else value


def make_params(name: str, overrides: Mapping[str, Any] | None = None, seed: int | None = None) -> Any:
    """The generator's params with ``overrides`` (and ``seed``) applied and checked."""
    gen = get_generator(name)
    hints = typing.get_type_hints(gen.params_type)
    values = dict(overrides or {})
    if seed is not None:
        values["seed"] = seed
    unknown = sorted(set(values) - set(hints))
    if unknown:
        raise ConfigError(
            f"unknown parameter {unknown[0]!r} for generator {name!r}; valid keys: {', '.join(hints)}"
        )
    return gen.params_type(**{k: _coerce(k, v, hints[k]) for k, v in values.items()})


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    """``["key=value", ...]`` to a dict; values are parsed as YAML scalars or lists."""
    result: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r} is not of the form key=value (e.g. --set seed=3)")
        try:
            result[key.strip()] = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"--set {item!r}: the value is not valid YAML ({exc.__class__.__name__})") from None
    return result


def generate(name: str, out_dir: Path, seed: int | None = None, overrides: Mapping[str, Any] | None = None) -> Any:
    """Write corpus ``name`` into ``out_dir`` (atomically) with ``GENERATOR.json``; return the params."""
    gen = get_generator(name)
    params = make_params(name, overrides, seed)
    with atomic_dir(out_dir) as tmp:
        gen.write(params, tmp)
        write_json(tmp / "GENERATOR.json", {"generator": name, "task": gen.task, "params": dataclasses.asdict(params)})
    return params


def example(name: str, seed: int = 0) -> str:
    """A short excerpt of corpus ``name`` for the documentation."""
    return get_generator(name).example(seed)


def _describe() -> str:
    lines = ["generators:"]
    for gen in generators().values():
        lines.append(f"  {gen.name} ({gen.task}): {gen.description}")
        for f in dataclasses.fields(gen.params_type):
            default = list(f.default) if isinstance(f.default, tuple) else f.default
            lines.append(f"      {f.name} = {default}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    params = generate(args.name, args.out, seed=args.seed, overrides=parse_assignments(args.set or []))
    print(f"generated {args.name} (seed {params.seed}) in {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``rnnlab generate``."""
    parser = sub.add_parser(
        "generate",
        help="write an embedded synthetic corpus (deterministic from its seed)",
        description=(
            "Write a synthetic corpus in the raw layout read by `rnnlab prepare`, plus GENERATOR.json "
            "with the parameters used. The same parameters and seed give byte-identical files."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_describe() + f"\n\nexample: rnnlab generate synthetic-lm --out {layout.raw_dir('synthetic-lm')} --set distances=[4,10,50]",
    )
    parser.add_argument("name", metavar="NAME", choices=tuple(generators()), help="generator: " + ", ".join(generators()))
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write (replaced if present)")
    parser.add_argument("--seed", type=int, default=None, metavar="S", help="random seed (default: the generator's)")
    parser.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a parameter; VALUE is YAML (a number, a word or a list like [4,10,50]); repeatable",
    )
    parser.set_defaults(func=_run)
