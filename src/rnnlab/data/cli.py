"""Subcommands of the data stage: ``download``, ``generate`` and ``prepare``."""

from __future__ import annotations

import argparse

from . import download, prepare, synthetic


def register(sub: argparse._SubParsersAction) -> None:
    download.register(sub)
    synthetic.register(sub)
    prepare.register(sub)
