"""The ``rnnlab`` command: one subcommand per pipeline step.

Each feature module exposes ``register(subparsers)``, which adds its subcommands and sets
``func`` on them; ``main`` dispatches. The Snakemake rules call these subcommands, so every
step of the DAG can also be run by hand.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from . import __version__
from .errors import RnnlabError

# Modules that contribute subcommands, in the order they appear in ``rnnlab --help``.
COMMAND_MODULES = (
    "rnnlab.data.cli",
    "rnnlab.ngram.cli",
    "rnnlab.models.cli",
    "rnnlab.evaluate",
    "rnnlab.report.cli",
    "rnnlab.config",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnnlab",
        description="Reproducible experiments with n-gram, window, RNN, LSTM and BiLSTM models.",
    )
    parser.add_argument("--version", action="version", version=f"rnnlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except RnnlabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
