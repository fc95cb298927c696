"""``rnnlab analyze``: the lecture's claims measured on trained models, one sub-action per analysis.

The analyses and their texts are listed in :mod:`.registry`; this module adds each one's
arguments and runs it. ``rnnlab analyze`` draws the figures into --out too unless --no-figures is
given; ``rnnlab figures --analysis`` redraws them for every folder from the cached files alone.
The analysis modules are imported only when needed.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping

from .. import layout
from ..errors import ConfigError
from ..io import atomic_dir
from .common import AnalysisOutput, write_into, write_output
from .registry import ANALYSES
from .settings import default_of


def _setup_torch(args: argparse.Namespace) -> Any:
    import torch

    from ..models.neural import resolve_device

    torch.set_num_threads(args.threads)
    return resolve_device(args.device)


def _report(args: argparse.Namespace, output: AnalysisOutput, lines: list[str]) -> int:
    for line in lines:
        print(line)
    figures = "no figures" if args.no_figures else "figures"
    print(f"wrote {args.out}/ ({', '.join(f'{n}.csv' for n in output.tables)}, summary.json, {figures})")
    return 0


def _drawn(args: argparse.Namespace) -> str | None:
    """The action whose figures go into --out, or None with --no-figures."""
    return None if args.no_figures else args.analysis


def _cmd_gradients(args: argparse.Namespace) -> int:
    gradients = ANALYSES["gradients"].load()
    settings = _settings(args, ANALYSES["gradients"].settings)
    output = gradients.gradients(Path(args.corpus_dir), args.models, settings, _setup_torch(args))
    write_output(args.out, output, _drawn(args))
    return _report(args, output, output.summary["statements"])


def _cmd_clipping(args: argparse.Namespace) -> int:
    clipping = ANALYSES["clipping"].load()
    settings = _settings(args, ANALYSES["clipping"].settings)
    corpus_dir = Path(args.corpus_dir)
    with atomic_dir(args.out) as tmp:
        output = clipping.clipping(args.corpus or corpus_dir.name, corpus_dir, tmp / "runs", settings,
                                   device=args.device, threads=args.threads)
        write_into(tmp, output, _drawn(args))
    return _report(args, output, output.summary["statements"])


def _cmd_long_distance(args: argparse.Namespace) -> int:
    long_distance = ANALYSES["long-distance"].load()
    settings = _settings(args, ANALYSES["long-distance"].settings)
    output = long_distance.long_distance(Path(args.corpus_dir), args.models, settings.split, _setup_torch(args))
    write_output(args.out, output, _drawn(args))
    return _report(args, output, output.summary["statements"])


def _cmd_context(args: argparse.Namespace) -> int:
    context = ANALYSES["context"].load()
    settings = _settings(args, ANALYSES["context"].settings)
    output = context.context_usage(Path(args.corpus_dir), args.models, settings, _setup_torch(args))
    write_output(args.out, output, _drawn(args))
    return _report(args, output, output.summary["statements"])


def _cmd_bidirectional(args: argparse.Namespace) -> int:
    bidirectional = ANALYSES["bidirectional"].load()
    settings = _settings(args, ANALYSES["bidirectional"].settings)
    output = bidirectional.bidirectional(Path(args.corpus_dir), args.models, settings.split,
                                         settings.length_buckets, _setup_torch(args), settings.headline_factor)
    write_output(args.out, output, _drawn(args))
    return _report(args, output, output.summary["statements"])


def _cmd_significance(args: argparse.Namespace) -> int:
    significance = ANALYSES["significance"].load()
    output = significance.significance(args.metrics)
    write_output(args.out, output, _drawn(args))
    return _report(args, output, output.summary["sentences"])


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


def _clipping_args(p: argparse.ArgumentParser) -> None:
    _common(p, models=False)
    p.add_argument("--corpus", help="Corpus name recorded with the runs (default: the folder's name).")


def _significance_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--metrics", default=layout.METRICS_CSV, help="Tidy metrics table (rnnlab collect).")
    _out(p)


# Analysis -> (its arguments, the function that runs it); the texts come from the registry.
COMMANDS: Mapping[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = \
    MappingProxyType({
        "gradients": (_common, _cmd_gradients),
        "clipping": (_clipping_args, _cmd_clipping),
        "long-distance": (_common, _cmd_long_distance),
        "context": (_common, _cmd_context),
        "bidirectional": (_common, _cmd_bidirectional),
        "significance": (_significance_args, _cmd_significance),
    })


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="Analyses of trained models: gradients, clipping, long distance, ...",
                       description="Measure the lecture's claims on trained models; each action writes tidy CSVs, "
                                   "a JSON summary and a figure (PNG, PDF, SVG + caption) into --out.")
    actions = p.add_subparsers(dest="analysis", metavar="ANALYSIS", required=True)
    for name, analysis in ANALYSES.items():
        parser = actions.add_parser(name, help=analysis.help, description=analysis.description)
        arguments, run = COMMANDS[name]
        arguments(parser)
        _settings_args(parser, analysis.settings)
        parser.set_defaults(func=run)
