"""``rnnlab figures``: every figure of a run, drawn again from cached results.

The metric figures come from :mod:`rnnlab.metric_figures` and the analysis figures from each analysis'
``redraw``; ``index.json`` lists them in report order, each with its report ``section``
("results", or the analysis it belongs to). Only cached files are read (``results/metrics.csv``,
``results/curves.csv`` and the tables of ``results/analysis``), so the figures are regenerated in
seconds without retraining or recomputing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from . import layout
from .analysis.registry import ANALYSES, analysis_folders, redraw
from .evaluate import read_curves
from .io import atomic_dir, write_json
from .job_times import read_job_times
from .metric_figures import PlotData, figure_specs
from .plots import FORMATS, save_figures, set_theme


def _analysis_figures(tmp: Path, root: Path) -> list[dict]:
    """Redraw every analysis figure from its cached tables; names get the corpus as suffix."""
    made = []
    for name, corpus, folder in analysis_folders(root):
        title = f"{ANALYSES[name].title} ({corpus})" if corpus else ANALYSES[name].title
        for entry in save_figures(tmp, redraw(name, folder), f"_{corpus}" if corpus else ""):
            made.append({"name": entry["name"], "title": title, "caption": entry["caption"], "section": name})
    return made


def make_figures(metrics_csv: Path, out_dir: Path, curves_csv: Path | None = None,
                 analysis_dir: Path | None = None, bench_dir: Path | None = None) -> list[dict]:
    set_theme()
    data = PlotData(pd.read_csv(metrics_csv), read_curves(curves_csv),
                    read_job_times(bench_dir) if bench_dir else None)
    made = []
    with atomic_dir(out_dir) as tmp:
        for spec in figure_specs():
            for entry in save_figures(tmp, [(spec.name, spec.draw(data), spec.caption)]):
                made.append({"name": entry["name"], "title": spec.title, "caption": entry["caption"],
                             "section": spec.section})
        if analysis_dir is not None:
            made += _analysis_figures(tmp, Path(analysis_dir))
        write_json(tmp / "index.json", made)
    return made


def _cmd_figures(args: argparse.Namespace) -> int:
    made = make_figures(Path(args.metrics), Path(args.out), Path(args.curves) if args.curves else None,
                        Path(args.analysis) if args.analysis else None,
                        Path(args.benchmarks) if args.benchmarks else None)
    for f in made:
        print(f"{args.out}/{f['name']}.{{{','.join(FORMATS)}}}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("figures", help="Draw every figure from the cached results (no retraining).",
                       description="Draw the comparison figures (PNG, PDF, SVG + caption) from the tidy metrics table, "
                                   "and the analysis figures from the tables under --analysis.")
    p.add_argument("--metrics", default=layout.METRICS_CSV, help="Tidy metrics table.")
    p.add_argument("--curves", default=None, help=f"Learning curves ({layout.CURVES_CSV}), optional.")
    p.add_argument("--analysis", default=None,
                   help=f"Folder of the analyses' tables ({layout.ANALYSIS}), optional: their figures are redrawn "
                        "from <folder>/<analysis>/<corpus>/ (significance: <folder>/significance/).")
    p.add_argument("--benchmarks", default=None,
                   help=f"Snakemake's benchmark folder ({layout.BENCHMARKS}), optional: the jobs' wall times are drawn "
                        "for the report's provenance section.")
    p.add_argument("--out", default=layout.FIGURES, help="Output folder.")
    p.set_defaults(func=_cmd_figures)
