"""``rnnlab report``: write results/report/index.html and report.md from a finished run."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import layout
from .render import load_config_arg, write_report


def _cmd_report(args: argparse.Namespace) -> int:
    config = load_config_arg(args.config_json, args.config)
    html = write_report(Path(args.metrics), Path(args.figures), [Path(p) for p in args.corpora], config,
                        Path(args.benchmarks), Path(args.out), Path(args.analysis),
                        Path(args.claims_metric) if args.claims_metric else None,
                        Path(args.curves) if args.curves else None, Path(args.timings) if args.timings else None)
    print(html.resolve())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="Build the HTML + Markdown report of a run.",
                       description=f"Build {layout.REPORT_HTML} (self-contained) and report.md, in sections following "
                       "the lecture, plus LaTeX tables, references.bib and an annotated bibliography (brief.md).")
    p.add_argument("--metrics", default=layout.METRICS_CSV, help="Tidy metrics table.")
    p.add_argument("--figures", default=layout.FIGURES, help="Folder written by `rnnlab figures`.")
    p.add_argument("--corpora", nargs="*", default=[], help="Processed corpus folders (for corpus statistics).")
    p.add_argument("--curves", default=layout.CURVES_CSV, help="Learning curves (`rnnlab curves`); without "
                   "the file the report leaves out how fast each classifier learned.")
    p.add_argument("--timings", default=layout.TIMINGS_CSV, help="Training times per run (`rnnlab collect "
                   "--timings`), for the table of the backend: auto checks; without the file it is left out.")
    p.add_argument("--config", help="The YAML config of the run.")
    p.add_argument("--config-json", help="The config as JSON (what Snakemake passes).")
    p.add_argument("--benchmarks", default=layout.BENCHMARKS, help="Snakemake benchmark folder (wall times).")
    p.add_argument("--analysis", default=layout.ANALYSIS, help="Analysis outputs (<action>/<corpus>/, significance/); missing ones are reported as not run.")
    p.add_argument("--claims-metric", help="Also write the scorecard's verdicts and corrected p values as JSON here "
                   f"(a DVC metric file, e.g. {layout.CLAIMS_JSON}).")
    p.add_argument("--out", default=layout.REPORT, help="Output folder (index.html, report.md, claims.csv, claims.tex, tables/*.tex, "
                   "references.bib, brief.md).")
    p.set_defaults(func=_cmd_report)
