"""The report's sections, in the order of the lecture, each opening with conclusions drawn from the numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import pandas as pd

from ..analysis.stats import all_comparisons, holm_within
from . import analyses as a
from . import conclusions as cc
from . import context_use as cu
from . import ner as ner_report
from .context import FigureView, ReportContext, Table


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


# An exploratory family of tests: all pairs of models on one metric of one corpus.
FAMILY = ["corpus", "metric"]
# Metrics figures (section "results") go with the lecture section of their task; the rest with LM results.
RESULTS_PLACEMENT: Mapping[str, str] = {"classification": "bidirectional"}


def _figures(inp: Inputs, section: str) -> list[FigureView]:
    def home(f: FigureView) -> str:
        return RESULTS_PLACEMENT.get(f.name, "lm") if f.section == "results" else f.section
    return [f for f in inp.ctx.figures if home(f) == section]


def _table(inp: Inputs, key: str) -> list[Table]:
    return [t for t in inp.ctx.result_tables if t.key == key]


def _not_run(action: str) -> str:
    return (f"The {action} analysis was not run (no folder {action}/ under the analysis directory); "
            f"run `rnnlab analyze {action}` or the pipeline's analysis targets.")


def data(inp: Inputs) -> Section:
    frame = inp.ctx.corpus_table.frame if inp.ctx.corpus_table else None
    return Section("data", "1. Data", cc.data_conclusions(frame),
                   tables=[inp.ctx.corpus_table] if inp.ctx.corpus_table else [])


def language_models(inp: Inputs) -> Section:
    tables = _table(inp, "lm") + ([inp.ctx.published_table] if inp.ctx.published_table else [])
    return Section("lm", "2. From n-gram to neural language models", cc.lm_conclusions(inp.metrics),
                   tables=tables, figures=_figures(inp, "lm"))


def gradients(inp: Inputs) -> Section:
    results = inp.analyses.get("gradients", [])
    s = Section("gradients", "3. Vanishing gradients", figures=_figures(inp, "gradients"))
    if not results:
        s.conclusions = [_not_run("gradients")]
        return s
    for r in results:
        s.conclusions += cc.gradient_conclusions(r.corpus, r.summary)
        if "distance" in r.tables:
            s.tables.append(Table(f"Per-layer gradient norms on {r.corpus}", a.per_layer_table(r.tables["distance"]),
                                  "‖∂J(t)/∂h(k)‖ at the nearest and farthest distance t − k, geometric mean over "
                                  "seeds and positions, for every recurrent layer; factor per step = the "
                                  "geometric-mean change per step of distance between the two.",
                                  key=f"gradients-layers-{r.corpus}"))
        if r.summary.get("per_layer_during_training"):
            s.notes.append(f"{r.corpus}: per-layer norms during training: {r.summary['per_layer_during_training']}.")
    return s


def clipping(inp: Inputs) -> Section:
    results = inp.analyses.get("clipping", [])
    s = Section("clipping", "4. Exploding gradients and clipping", figures=_figures(inp, "clipping"))
    diverged = inp.ctx.diverged
    s.conclusions.append(f"{len(diverged)} run(s) of the main grid diverged (non-finite loss); they are listed "
                         "below and left out of the means." if not diverged.empty
                         else "No run of the main grid diverged.")
    if not diverged.empty:
        s.tables.append(Table("Diverged runs of the main grid", diverged, "Runs whose loss became NaN or infinite.",
                              key="diverged"))
    if not results:
        s.conclusions.append(_not_run("clipping"))
        return s
    for r in results:
        s.conclusions += cc.clipping_conclusions(r.corpus, r.summary)
        counts = a.clipping_counts(r.summary)
        if not counts.empty:
            s.tables.append(Table(f"Diverged and unstable runs on {r.corpus}", counts,
                                  "Unstable: diverged, or the final training loss not below the first.",
                                  key=f"clipping-{r.corpus}"))
    return s


def long_distance(inp: Inputs) -> Section:
    results = inp.analyses.get("long-distance", [])
    s = Section("long-distance", "5. LSTMs and long-distance dependencies", figures=_figures(inp, "long-distance"))
    if not results:
        s.conclusions = [_not_run("long-distance")]
        return s
    for r in results:
        probes = r.tables.get("probes")
        s.conclusions += cc.long_distance_conclusions(r.corpus, probes)
        if probes is not None and not probes.empty:
            models = list(probes["model"].unique())
            pair = (cc.pick_model(models, "lstm"), cc.pick_model(models, "rnn"))
            s.tables.append(Table(f"Cue recall by distance on {r.corpus}", a.probe_table(probes, pair if all(pair) else None),
                                  "Accuracy of the argmax among the cue nouns, mean ± 95% CI over seeds, by the "
                                  "distance d (tokens) from cue to target; last row: " + a.DIFF_NOTE,
                                  key=f"probes-{r.corpus}"))
    sub = context_use(inp)
    if sub:
        s.subsections.append(sub)
    return s


def context_use(inp: Inputs) -> Section | None:
    results = inp.analyses.get("context", [])
    if not results:
        return None
    s = Section("context", "5.1 How much context each model uses", figures=_figures(inp, "context"))
    for r in results:
        s.conclusions += cu.context_conclusions(r.corpus, r.tables["reach"], [int(d) for d in r.summary["distances"]])
        s.tables += [t for t in (cu.context_table_of(r), cu.cue_table_of(r)) if t]
    s.tables.append(cu.published_context_table())
    return s


def _pairs(summary: Mapping[str, object]) -> list[tuple[str, str]]:
    """The model pairs an analysis compared (``a``, ``b`` of its summary's comparisons), in its order."""
    records = summary.get("comparisons") or []
    return list(dict.fromkeys((t["a"], t["b"]) for t in records if isinstance(t, dict) and "a" in t))


def tagging(inp: Inputs) -> Section | None:
    sentences = cc.tagging_conclusions(inp.metrics)
    tables = _table(inp, "tagging")
    if not sentences and not tables:
        return None
    return Section("tagging", "6.1 Tagging: what the right context adds", sentences, tables=tables,
                   figures=_figures(inp, "tagging"))


def ner(inp: Inputs) -> Section | None:
    sentences = ner_report.ner_conclusions(inp.metrics)
    tables = _table(inp, "ner") + [t for t in (ner_report.per_type_table(inp.metrics),
                                               ner_report.invalid_table(inp.metrics),
                                               ner_report.published_ner(inp.ctx.published_table, inp.metrics)) if t]
    if not sentences and not tables:
        return None
    return Section("ner", "6.2 Named entities: spans, the right context and a CRF", sentences, tables=tables,
                   figures=_figures(inp, "ner"))


def bidirectional(inp: Inputs) -> Section:
    results = inp.analyses.get("bidirectional", [])
    s = Section("bidirectional", "6. Bidirectional and multi-layer RNNs", cc.classification_conclusions(inp.metrics),
                tables=_table(inp, "classification"), figures=_figures(inp, "bidirectional"))
    if not results:
        s.notes.append(_not_run("bidirectional"))
    for r in results:
        breakdown = r.tables.get("breakdown")
        if breakdown is None or breakdown.empty:
            continue
        levels = [(f"{f}={lv}", f"{x} − {y}", c) for x, y in _pairs(r.summary)
                  for f, lv, c in a.level_comparisons(breakdown, x, y, "accuracy") if f != "all"]
        s.conclusions += cc.levels_conclusion(r.corpus, [c for _, _, c in levels])
        s.tables.append(Table(f"Accuracy differences by level on {r.corpus}", a.difference_table(levels),
                              "Accuracy (%) differences between the models of each pair, by level of each factor. "
                              + a.DIFF_NOTE, key=f"levels-{r.corpus}"))
        s.data_tables.append(Table(f"Accuracy breakdown on {r.corpus}", a.breakdown_table(breakdown),
                                   "Accuracy (%) by factor and level, mean ± 95% CI over seeds.",
                                   key=f"breakdown-{r.corpus}"))
    s.subsections += [sub for sub in (tagging(inp), ner(inp)) if sub]
    return s


def statistics(inp: Inputs) -> Section:
    results = inp.analyses.get("significance", [])
    s = Section("statistics", "7. Statistics", figures=_figures(inp, "significance"))
    if results and "comparisons" in results[0].tables:
        comparisons = results[0].tables["comparisons"]
    else:
        comparisons = all_comparisons(inp.metrics)
        s.notes.append(_not_run("significance") + " The comparisons below were computed by the report itself.")
    if comparisons.empty:
        s.conclusions = cc.significance_conclusions(0, 0, 0, 0)
        return s
    comparisons = comparisons.assign(p_holm=holm_within(comparisons, FAMILY))
    families = a.family_table(comparisons, FAMILY)
    s.conclusions = cc.significance_conclusions(len(comparisons), int(comparisons["decided"].sum()),
                                                int((comparisons["p_holm"] < 0.05).sum()), len(families))
    s.tables.append(Table("Pairwise comparisons per family", families, "A family is all pairs of models on one "
                          "metric of one corpus (headline split); p values are Holm-corrected within their family. "
                          "Every pair, with its raw and corrected p, is in tables/pairwise.csv; the figures show "
                          "the differences on each task's primary metric.", key="families"))
    s.data_tables.append(Table("Pairwise comparisons", comparisons.drop(columns=["sentence"], errors="ignore"),
                               "Every pair of models on every metric and corpus; p_holm: Holm-corrected within the "
                               "family (corpus, metric).", key="pairwise"))
    return s


def provenance(inp: Inputs) -> Section:
    ctx = inp.ctx
    tables = [Table("Run", pd.DataFrame(list(ctx.provenance.items()), columns=["item", "value"]), key="run",
                    collapsed=True),
              Table("Package versions", pd.DataFrame(list(ctx.versions.items()), columns=["package", "version"]),
                    key="versions", collapsed=True)]
    tables += [table for table in (ctx.timing, ctx.backend_check) if table]
    return Section("provenance", "8. Provenance",
                   [f"Produced at commit {ctx.provenance['commit']} on {ctx.provenance['devices']} "
                    f"({ctx.provenance['backends']})."], tables=tables, figures=_figures(inp, "provenance"),
                   code=ctx.config_yaml)


BUILDERS: Mapping[str, Callable[[Inputs], Section]] = {
    "data": data, "lm": language_models, "gradients": gradients, "clipping": clipping,
    "long-distance": long_distance, "bidirectional": bidirectional, "statistics": statistics,
    "provenance": provenance,
}


def build_sections(inp: Inputs) -> list[Section]:
    return [build(inp) for build in BUILDERS.values()]
