"""``rnnlab analyze``: the lecture's claims measured on trained models, one sub-action per analysis.

The analyses and their texts are listed in :mod:`.registry`; this module adds each one's
arguments and runs it. ``rnnlab analyze`` draws the figures into --out too unless --no-figures is
given; ``rnnlab figures --analysis`` redraws them for every folder from the cached files alone.
The analysis modules are imported only when needed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping

from ..errors import ConfigError
from ..io import atomic_dir
from .common import AnalysisOutput, write_into, write_output
from .registry import ANALYSES


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
    settings = gradients.GradientSettings(split=args.split, window=args.window, positions=args.positions,
                                          batch_size=args.batch_size, batches=args.batches, warmup=args.warmup)
    output = gradients.gradients(Path(args.corpus_dir), args.models, settings, _setup_torch(args))
    write_output(args.out, output, _drawn(args))
    return _report(args, output, output.summary["statements"])


def _cmd_clipping(args: argparse.Namespace) -> int:
    clipping = ANALYSES["clipping"].load()
    try:
        extra = json.loads(args.params_json) if args.params_json else {}
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--params-json is not valid JSON ({exc.msg}); pass an object like '{{\"hidden\": 64}}'") \
            from None
    settings = clipping.ClippingSettings(model=args.model, lr=args.lr, clip=args.clip, seeds=tuple(args.seeds),
                                         max_batches=args.max_batches, params=extra)
    corpus_dir = Path(args.corpus_dir)
    with atomic_dir(args.out) as tmp:
        output = clipping.clipping(args.corpus or corpus_dir.name, corpus_dir, tmp / "runs", settings,
                                   device=args.device, threads=args.threads)
        write_into(tmp, output, _drawn(args))
    return _report(args, output, output.summary["statements"])


def _cmd_long_distance(args: argparse.Namespace) -> int:
    long_distance = ANALYSES["long-distance"].load()
    output = long_distance.long_distance(Path(args.corpus_dir), args.models, args.split, _setup_torch(args))
    write_output(args.out, output, _drawn(args))
    return _report(args, output, output.summary["statements"])


def _cmd_bidirectional(args: argparse.Namespace) -> int:
    bidirectional = ANALYSES["bidirectional"].load()
    output = bidirectional.bidirectional(Path(args.corpus_dir), args.models, args.split, args.length_buckets,
                                         _setup_torch(args))
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


def _gradients_args(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--split", default="valid", help="Split the gradients are measured on (default valid).")
    p.add_argument("--window", type=int, default=50,
                   help="Unrolled steps per sequence: largest distance + 1 (default 50).")
    p.add_argument("--positions", type=int, default=8, help="Loss steps t per sequence, the last ones (default 8).")
    p.add_argument("--batch-size", type=int, default=16, help="Sequences per batch (default 16).")
    p.add_argument("--batches", type=int, default=4, help="Batches averaged over (default 4).")
    p.add_argument("--warmup", type=int, default=50, help="Steps run first to warm up the state (default 50).")


def _clipping_args(p: argparse.ArgumentParser) -> None:
    _common(p, models=False)
    p.add_argument("--corpus", help="Corpus name recorded with the runs (default: the folder's name).")
    p.add_argument("--model", default="rnn", choices=("rnn", "lstm"), help="Recurrent LM to train (default rnn).")
    p.add_argument("--lr", type=float, default=5.0, help="SGD learning rate (default 5.0).")
    p.add_argument("--clip", type=float, default=0.25, help="Max gradient norm of the clipped runs (default 0.25).")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="Seeds (default 1 2 3).")
    p.add_argument("--max-batches", type=int, default=150, help="Training steps per run (default 150).")
    p.add_argument("--params-json", help="Model hyperparameters as a JSON object (emb, hidden, bptt, ...).")


def _long_distance_args(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--split", default="test", help="Split to read (default test).")


def _bidirectional_args(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--split", default=None, help="Split to read (default test, else valid).")
    p.add_argument("--length-buckets", type=int, default=4, help="Sentence-length buckets (quantiles, default 4).")


def _significance_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--metrics", default="results/metrics.csv", help="Tidy metrics table (rnnlab collect).")
    _out(p)


# Analysis -> (its arguments, the function that runs it); the texts come from the registry.
COMMANDS: Mapping[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = \
    MappingProxyType({
        "gradients": (_gradients_args, _cmd_gradients),
        "clipping": (_clipping_args, _cmd_clipping),
        "long-distance": (_long_distance_args, _cmd_long_distance),
        "bidirectional": (_bidirectional_args, _cmd_bidirectional),
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
        parser.set_defaults(func=run)
