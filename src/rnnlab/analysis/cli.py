"""``rnnlab analyze``: the lecture's claims measured on trained models, one sub-action per analysis.

The analyses are listed in :mod:`.registry`; every sub-action is built from its record: its
inputs (``--corpus-dir`` and MODEL_DIR arguments, or ``--metrics``), one option per field of its
settings dataclass, and its module's ``run``. ``rnnlab analyze`` draws the figures into --out too
unless --no-figures is given; ``rnnlab figures --analysis`` redraws them for every folder from the
cached files alone. The analysis modules are imported only when needed.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..io import atomic_dir
from .common import Request, statements, write_into
from .registry import ANALYSES, Analysis
from .settings import default_of


def _run(args: argparse.Namespace) -> int:
    """Run the analysis named on the command line into --out, then say what it found."""
    analysis = ANALYSES[args.analysis]
    settings = _settings(args, analysis.settings)
    with atomic_dir(args.out) as tmp:
        output = analysis.load().run(_request(args, tmp), settings)
        write_into(tmp, output, None if args.no_figures else args.analysis)
    for line in statements(output.summary):
        print(line)
    figures = "no figures" if args.no_figures else "figures"
    print(f"wrote {args.out}/ ({', '.join(f'{n}.csv' for n in output.tables)}, summary.json, {figures})")
    return 0


def _request(args: argparse.Namespace, out: Path) -> Request:
    corpus_dir = getattr(args, "corpus_dir", None)
    return Request(out, Path(corpus_dir) if corpus_dir else None, tuple(getattr(args, "models", ())),
                   getattr(args, "corpus", None), getattr(args, "metrics", None),
                   getattr(args, "device", "cpu"), getattr(args, "threads", 1))


def _out(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="Output folder (replaced as a whole).")
    p.add_argument("--no-figures", action="store_true",
                   help="Write only the tables and summary.json; `rnnlab figures --analysis` draws the figures "
                        "from them (the pipeline does so).")


def _common(p: argparse.ArgumentParser, models: bool = True) -> None:
    p.add_argument("--corpus-dir", required=True, help="Processed corpus folder (from `rnnlab prepare`).")
    _out(p)
    if models:
        p.add_argument("models", nargs="+", metavar="MODEL_DIR",
                       help="Trained model folders results/models/<corpus>/<model>/seed<N>.")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu).")
    p.add_argument("--threads", type=int, default=1, help="CPU threads (default 1).")


def _inputs(p: argparse.ArgumentParser, analysis: Analysis) -> None:
    """What the analysis reads: the metrics table (no task), else a corpus and (with model families) models."""
    if analysis.task is None:
        p.add_argument("--metrics", default="results/metrics.csv", help="Tidy metrics table (rnnlab collect).")
        _out(p)
        return
    _common(p, models=bool(analysis.families))
    if analysis.corpus_option:
        p.add_argument("--corpus", help="Corpus name recorded with the runs (default: the folder's name).")


def _settings_args(p: argparse.ArgumentParser, settings: type) -> None:
    """One option per field of the analysis' settings dataclass, with its default and help."""
    for f in fields(settings):
        option, meta, default = f"--{f.name.replace('_', '-')}", f.metadata, default_of(f)
        shown = " ".join(map(str, default)) if isinstance(default, tuple) else default
        help_text = meta["help"] + ("" if default is None or f.name == "params" else f" (default {shown})")
        if f.name == "params":
            p.add_argument("--params-json", help=f"{meta['help']} As a JSON object, e.g. '{{\"hidden\": 64}}'.")
            continue
        kind = _option_type(f.type)
        kwargs: dict[str, Any] = {"default": default, "help": help_text}
        if "choices" in meta:
            kwargs["choices"] = [c for c in meta["choices"] if c is not None]
        if "tuple" in str(f.type):
            kwargs.update(nargs="+", required=bool(meta.get("cli_required")))
        p.add_argument(option, type=kind, **kwargs)


def _option_type(annotation: Any) -> type:
    text = str(annotation)
    return int if "int" in text else float if "float" in text else str


def _settings(args: argparse.Namespace, settings: type) -> Any:
    """The settings dataclass built from the parsed options."""
    values: dict[str, Any] = {}
    for f in fields(settings):
        if f.name == "params":
            try:
                values["params"] = json.loads(args.params_json) if args.params_json else {}
            except json.JSONDecodeError as exc:
                raise ConfigError(f"--params-json is not valid JSON ({exc.msg}); pass an object like "
                                  "'{\"hidden\": 64}'") from None
        else:
            value = getattr(args, f.name)
            values[f.name] = tuple(value) if isinstance(value, list) else value
    return settings(**values)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="Analyses of trained models: gradients, clipping, long distance, ...",
                       description="Measure the lecture's claims on trained models; each action writes tidy CSVs, "
                                   "a JSON summary and a figure (PNG, PDF, SVG + caption) into --out.")
    actions = p.add_subparsers(dest="analysis", metavar="ANALYSIS", required=True)
    for name, analysis in ANALYSES.items():
        parser = actions.add_parser(name, help=analysis.help, description=analysis.description)
        _inputs(parser, analysis)
        _settings_args(parser, analysis.settings)
        parser.set_defaults(func=_run)
