"""Render the report: one self-contained HTML file (figures inline) and a Markdown twin."""

from __future__ import annotations

import html
import json
import os
import platform
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import yaml

from ..evaluate import read_curves
from ..io import make_dir, write_text
from . import context as c
from .analyses import load_analyses
from .analysis_sections import build_sections
from .bibliography import RunFacts, write_bibliography
from .latex import write_data_tables, write_tables
from .scorecard import measure_all, table as scorecard_table, view as scorecard_view, write_scorecard
from .sections import Inputs, Section


def build_context(metrics_csv: Path, fig_dir: Path, corpus_dirs: list[Path], config: dict[str, Any],
                  bench_dir: Path, analysis_dir: Path | None = None, curves_csv: Path | None = None,
                  timings_csv: Path | None = None) -> tuple[c.ReportContext, RunFacts]:
    """The report's context (sections included) and the facts the bibliography is chosen from."""
    metrics = pd.read_csv(metrics_csv)
    curves = read_curves(curves_csv)
    status = metrics["status"] if "status" in metrics.columns else pd.Series("completed", index=metrics.index)
    diverged = metrics[status == "diverged"][["task", "corpus", "model", "seed"]].drop_duplicates()
    ok = metrics[status != "diverged"]
    devices = sorted(set(metrics.get("device", pd.Series(["cpu"])).astype(str)))
    backends = sorted(set(metrics.get("backend", pd.Series(["—"])).astype(str)))
    report_cfg = config.get("report") or {}
    notes = []
    if not diverged.empty:
        notes.append(f"{len(diverged)} run(s) diverged; see 'Diverged runs'.")
    corpora, oov_notes = c.corpus_table(corpus_dirs)
    notes += oov_notes
    ctx = c.ReportContext(
        title=report_cfg.get("title", "rnnlab report"),
        preset=str(config.get("preset", "?")),
        generated=c.now(),
        provenance={"commit": c.git_commit(), "host": platform.node(), "platform": platform.platform(),
                    "cpus": str(os.cpu_count()), "devices": ", ".join(devices), "backends": ", ".join(backends),
                    "metrics rows": str(len(metrics))},
        versions=c.package_versions(),
        corpus_table=corpora,
        result_tables=c.result_tables(ok),
        published_table=c.published_table(report_cfg.get("published") or [], ok),
        diverged=diverged,
        figures=c.figure_views(fig_dir),
        timing=c.timing_table(bench_dir),
        backend_check=c.backend_check_table(timings_csv, metrics) if timings_csv is not None else None,
        config_yaml=yaml.safe_dump(config, sort_keys=False),
        notes=notes,
    )
    analyses = load_analyses(analysis_dir) if analysis_dir is not None else {}
    # The scorecard first: sections state the verdicts of their claims.
    ctx.scorecard = measure_all(ok, analyses)
    ctx.sections = build_sections(Inputs(ctx, ok, analyses, curves))
    return ctx, RunFacts(ok, analyses, config)


def render_html(ctx: c.ReportContext) -> str:
    env = jinja2.Environment(loader=jinja2.PackageLoader("rnnlab.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    return env.get_template("index.html.j2").render(ctx=ctx, claims=scorecard_view(ctx.scorecard),
                                                    claims_note=scorecard_table(ctx.scorecard).note)


def markdown_table(frame: pd.DataFrame) -> str:
    cols = [str(x) for x in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, r in frame.iterrows():
        lines.append("| " + " | ".join("—" if pd.isna(v) else str(v) for v in r.tolist()) + " |")
    return "\n".join(lines)


def _markdown_section(s: Section, out_dir: Path, level: int = 2) -> list[str]:
    parts = [f"{'#' * level} {s.title}", ""]
    parts += [f"- {line}" for line in s.conclusions] + ([""] if s.conclusions else [])
    parts += [f"> {n}" for n in s.notes] + ([""] if s.notes else [])
    for t in s.tables:
        parts += [f"**{t.title}**", "", markdown_table(t.frame), ""] + ([f"_{t.note}_", ""] if t.note else [])
    for f in s.figures:
        rel = os.path.relpath(f.png_path, out_dir)
        parts += [f"![{f.title}]({rel})", "", f"**Figure: {f.title}.** {f.caption}", ""]
    if s.code:
        parts += ["```yaml", s.code.rstrip(), "```", ""]
    for sub in s.subsections:
        parts += _markdown_section(sub, out_dir, level + 1)
    return parts


def _all_sections(sections: list[Section]) -> list[Section]:
    return [x for s in sections for x in (s, *_all_sections(s.subsections))]


def render_markdown(ctx: c.ReportContext, out_dir: Path) -> str:
    parts = [f"# {html.escape(ctx.title)}", "", f"Preset **{ctx.preset}**, generated {ctx.generated}, commit {ctx.provenance['commit']}.", ""]
    parts += [f"> {n}" for n in ctx.notes] + ([""] if ctx.notes else [])
    claims = scorecard_table(ctx.scorecard)
    parts += [f"## {claims.title}", "", markdown_table(claims.frame), "", f"_{claims.note}_", ""]
    for section in ctx.sections:
        parts += _markdown_section(section, out_dir)
    return "\n".join(parts)


def write_report(metrics_csv: Path, fig_dir: Path, corpus_dirs: list[Path], config: dict[str, Any],
                 bench_dir: Path, out_dir: Path, analysis_dir: Path | None = None,
                 claims_metric: Path | None = None, curves_csv: Path | None = None,
                 timings_csv: Path | None = None) -> Path:
    """index.html, report.md, claims.csv, claims.tex, tables/*.tex, references.bib and brief.md in ``out_dir``
    (and the scorecard as a DVC metric file at ``claims_metric``); returns the HTML path."""
    ctx, facts = build_context(metrics_csv, fig_dir, corpus_dirs, config, bench_dir, analysis_dir, curves_csv,
                               timings_csv)
    make_dir(out_dir / "tables")
    write_text(out_dir / "report.md", render_markdown(ctx, out_dir))
    tables = ctx.result_tables + [t for t in (ctx.published_table, ctx.corpus_table) if t]
    write_tables(tables, out_dir / "tables")
    write_data_tables([t for s in _all_sections(ctx.sections) for t in s.data_tables], out_dir / "tables")
    write_scorecard(ctx.scorecard, out_dir, claims_metric)
    write_bibliography(facts, out_dir)
    html = out_dir / "index.html"
    write_text(html, render_html(ctx))
    return html


def load_config_arg(config_json: str | None, config_file: str | None) -> dict[str, Any]:
    if config_json:
        return json.loads(config_json)
    if config_file:
        return yaml.safe_load(Path(config_file).read_text(encoding="utf-8"))
    return {}
