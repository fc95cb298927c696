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

# Subcommand -> the module whose ``register`` adds it, in the order of ``rnnlab --help``.
# Only the module of the command being run is imported, so a pipeline step does not pay for
# importing torch or matplotlib when it needs neither.
COMMANDS = {
    "download": "rnnlab.data.download",
    "generate": "rnnlab.data.synthetic",
    "prepare": "rnnlab.data.prepare",
    "ngram": "rnnlab.ngram.cli",
    "train": "rnnlab.models.cli",
    "models": "rnnlab.models.cli",
    "evaluate": "rnnlab.evaluate",
    "collect": "rnnlab.evaluate",
    "curves": "rnnlab.evaluate",
    "figures": "rnnlab.figures",
    "analyze": "rnnlab.analysis.cli",
    "report": "rnnlab.report.cli",
    "config": "rnnlab.config",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or (``command`` given) one holding just the modules that command needs."""
    parser = argparse.ArgumentParser(
        prog="rnnlab",
        description="Reproducible experiments with n-gram, window, RNN, LSTM and BiLSTM models.",
    )
    parser.add_argument("--version", action="version", version=f"rnnlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv else None)
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
