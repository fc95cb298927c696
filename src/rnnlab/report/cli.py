"""``rnnlab report``: write results/report/index.html and report.md from a finished run."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import plots
from .render import load_config_arg, write_report


def _cmd_report(args: argparse.Namespace) -> int:
    config = load_config_arg(args.config_json, args.config)
    html = write_report(Path(args.metrics), Path(args.figures), [Path(p) for p in args.corpora], config,
                        Path(args.benchmarks), Path(args.out))
    print(html.resolve())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    plots.register(sub)
    p = sub.add_parser("report", help="Build the HTML + Markdown report of a run.",
                       description="Build results/report/index.html (self-contained) and report.md.")
    p.add_argument("--metrics", default="results/metrics.csv", help="Tidy metrics table.")
    p.add_argument("--figures", default="results/figures", help="Folder written by `rnnlab figures`.")
    p.add_argument("--corpora", nargs="*", default=[], help="Processed corpus folders (for corpus statistics).")
    p.add_argument("--config", help="The YAML config of the run.")
    p.add_argument("--config-json", help="The config as JSON (what Snakemake passes).")
    p.add_argument("--benchmarks", default="results/benchmarks", help="Snakemake benchmark folder (wall times).")
    p.add_argument("--analysis", default="results/analysis", help="Folder of the analyses' tables and summaries.")
    p.add_argument("--out", default="results/report", help="Output folder.")
    p.set_defaults(func=_cmd_report)
