"""The report's sections, in the order of the lecture, each opening with conclusions drawn from the numbers.

Data, language models and provenance are built here, and the plain section of an analysis without
one of its own; :mod:`.analysis_sections` builds the analyses' own sections and puts them in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

import pandas as pd

from ..analysis.registry import Analysis
from . import analyses as a
from . import conclusions as cc
from . import ner as ner_report
from .context import FigureView, ReportContext, Table, splits_side_by_side


@dataclass
class Section:
    key: str
    title: str
    conclusions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    data_tables: list[Table] = field(default_factory=list)  # written as CSV and LaTeX, not shown on the page
    figures: list[FigureView] = field(default_factory=list)
    subsections: list["Section"] = field(default_factory=list)
    code: str = ""


@dataclass
class Inputs:
    ctx: ReportContext
    metrics: pd.DataFrame  # completed runs only
    analyses: dict[str, list[a.AnalysisResult]]
    curves: pd.DataFrame | None = None  # results/curves.csv: corpus, model, seed, epoch, metric, value


# Metrics figures (section "results") go with the lecture section of their task; the rest with LM results.
RESULTS_PLACEMENT: Mapping[str, str] = {"classification": "bidirectional"}


def figures_for(inp: Inputs, section: str) -> list[FigureView]:
    def home(f: FigureView) -> str:
        return RESULTS_PLACEMENT.get(f.name, "lm") if f.section == "results" else f.section
    return [f for f in inp.ctx.figures if home(f) == section]


def tables_for(inp: Inputs, key: str) -> list[Table]:
    return [t for t in inp.ctx.result_tables if t.key == key]


def not_run(action: str) -> str:
    return (f"The {action} analysis was not run (no folder {action}/ under the analysis directory); "
            f"run `rnnlab analyze {action}` or the pipeline's analysis targets.")


def data(inp: Inputs) -> Section:
    """The corpus statistics, one row per corpus (the LaTeX table keeps one row per split)."""
    table = inp.ctx.corpus_table
    if table is None:
        return Section("data", "1. Data", cc.data_conclusions(None))
    compact = replace(table, frame=splits_side_by_side(table.frame))
    return Section("data", "1. Data", cc.data_conclusions(table.frame), tables=[compact])


def language_models(inp: Inputs) -> Section:
    tables = tables_for(inp, "lm") + ([inp.ctx.published_table] if inp.ctx.published_table else [])
    return Section("lm", "2. From n-gram to neural language models", cc.lm_conclusions(inp.metrics),
                   tables=tables, figures=figures_for(inp, "lm"))


def tagging(inp: Inputs) -> Section | None:
    sentences = cc.tagging_conclusions(inp.metrics)
    tables = tables_for(inp, "tagging")
    if not sentences and not tables:
        return None
    return Section("tagging", "6.1 Tagging: what the right context adds", sentences, tables=tables,
                   figures=figures_for(inp, "tagging"))


def ner(inp: Inputs) -> Section | None:
    sentences = ner_report.ner_conclusions(inp.metrics)
    tables = tables_for(inp, "ner") + [t for t in (ner_report.per_type_table(inp.metrics),
                                                   ner_report.invalid_table(inp.metrics),
                                                   ner_report.published_ner(inp.ctx.published_table, inp.metrics))
                                       if t]
    if not sentences and not tables:
        return None
    return Section("ner", "6.2 Named entities: spans, the right context and a CRF", sentences, tables=tables,
                   figures=figures_for(inp, "ner"))


def provenance(inp: Inputs) -> Section:
    ctx = inp.ctx
    tables = [Table("Run", pd.DataFrame(list(ctx.provenance.items()), columns=["item", "value"]), key="run",
                    collapsed=True),
              Table("Package versions", pd.DataFrame(list(ctx.versions.items()), columns=["package", "version"]),
                    key="versions", collapsed=True)]
    tables += [table for table in (ctx.timing, ctx.backend_check) if table]
    return Section("provenance", "8. Provenance",
                   [f"Produced at commit {ctx.provenance['commit']} on {ctx.provenance['devices']} "
                    f"({ctx.provenance['backends']})."], tables=tables, figures=figures_for(inp, "provenance"),
                   code=ctx.config_yaml)


def analysis_section(inp: Inputs, analysis: Analysis) -> Section | None:
    """A section of an analysis' statements and figures, for one without a section of its own (None when
    it did not run)."""
    results = inp.analyses.get(analysis.name, [])
    if not results:
        return None
    return Section(analysis.name, analysis.title,
                   [f"On {r.corpus}: {line}" if r.corpus else line for r in results for line in r.statements],
                   figures=figures_for(inp, analysis.name))
