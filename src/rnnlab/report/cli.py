"""``rnnlab report``: write results/report/index.html and report.md from a finished run."""

from __future__ import annotations

import argparse
from pathlib import Path

from .render import load_config_arg, write_report


def _cmd_report(args: argparse.Namespace) -> int:
    config = load_config_arg(args.config_json, args.config)
    html = write_report(Path(args.metrics), Path(args.figures), [Path(p) for p in args.corpora], config,
                        Path(args.benchmarks), Path(args.out), Path(args.analysis),
                        Path(args.claims_metric) if args.claims_metric else None)
    print(html.resolve())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="Build the HTML + Markdown report of a run.",
                       description="Build results/report/index.html (self-contained) and report.md, in sections following "
                       "the lecture, plus LaTeX tables, references.bib and an annotated bibliography (brief.md).")
    p.add_argument("--metrics", default="results/metrics.csv", help="Tidy metrics table.")
    p.add_argument("--figures", default="results/figures", help="Folder written by `rnnlab figures`.")
    p.add_argument("--corpora", nargs="*", default=[], help="Processed corpus folders (for corpus statistics).")
    p.add_argument("--config", help="The YAML config of the run.")
    p.add_argument("--config-json", help="The config as JSON (what Snakemake passes).")
    p.add_argument("--benchmarks", default="results/benchmarks", help="Snakemake benchmark folder (wall times).")
    p.add_argument("--analysis", default="results/analysis", help="Analysis outputs (<action>/<corpus>/, significance/); missing ones are reported as not run.")
    p.add_argument("--claims-metric", help="Also write the scorecard's verdicts and corrected p values as JSON here "
                   "(a DVC metric file, e.g. results/claims.json).")
    p.add_argument("--out", default="results/report", help="Output folder (index.html, report.md, claims.csv, claims.tex, tables/*.tex, "
                   "references.bib, brief.md).")
    p.set_defaults(func=_cmd_report)
