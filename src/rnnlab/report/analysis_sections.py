"""The report's own sections of the analyses, and the order of all sections."""

from __future__ import annotations

from types import MappingProxyType
from typing import Callable, Mapping

from ..analysis.registry import ANALYSES
from ..analysis.stats import all_comparisons, holm_within
from . import analyses as a
from . import conclusions as cc
from . import context_use as cu
from . import scorecard
from .claim_tests import LevelContrast
from .context import Table
from .sections import (Inputs, Section, analysis_section, data, figures_for, language_models, ner, not_run, provenance,
                       tables_for, tagging)

# An exploratory family of tests: all pairs of models on one metric of one corpus.
FAMILY = ["corpus", "metric"]


def gradients(inp: Inputs) -> Section:
    results = inp.analyses.get("gradients", [])
    s = Section("gradients", "3. Vanishing gradients", figures=figures_for(inp, "gradients"))
    if not results:
        s.conclusions = [not_run("gradients")]
        return s
    for r in results:
        s.conclusions += cc.gradient_conclusions(r.corpus, r.summary)
        if "distance" in r.tables:
            s.tables.append(Table(f"Per-layer gradient norms on {r.corpus}", a.per_layer_table(r.tables["distance"]),
                                  "‖∂J(t)/∂h(k)‖ at the nearest and farthest distance t − k, geometric mean over "
                                  "seeds and positions, for every recurrent layer; factor per step = the "
                                  "geometric-mean change per step of distance between the two.",
                                  key=f"gradients-layers-{r.corpus}", collapsed=True))
        if r.summary.get("per_layer_during_training"):
            s.notes.append(f"{r.corpus}: per-layer norms during training: {r.summary['per_layer_during_training']}.")
    return s


def clipping(inp: Inputs) -> Section:
    results = inp.analyses.get("clipping", [])
    s = Section("clipping", "4. Exploding gradients and clipping", figures=figures_for(inp, "clipping"))
    diverged = inp.ctx.diverged
    s.conclusions.append(f"{len(diverged)} run(s) of the main grid diverged (non-finite loss); they are listed "
                         "below and left out of the means." if not diverged.empty
                         else "No run of the main grid diverged.")
    if not diverged.empty:
        s.tables.append(Table("Diverged runs of the main grid", diverged, "Runs whose loss became NaN or infinite.",
                              key="diverged"))
    if not results:
        s.conclusions.append(not_run("clipping"))
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
    s = Section("long-distance", "5. LSTMs and long-distance dependencies",
                figures=figures_for(inp, "long-distance"))
    if not results:
        s.conclusions = [not_run("long-distance")]
        return s
    for r in results:
        probes = r.tables.get("probes")
        s.conclusions += cc.long_distance_conclusions(r.corpus, probes) + cc.recall_by_seed(r.corpus, probes)
        if probes is not None and not probes.empty:
            models = list(probes["model"].unique())
            pair = (cc.pick_model(models, "lstm"), cc.pick_model(models, "rnn"))
            s.tables.append(Table(f"Cue recall by distance on {r.corpus}",
                                  a.probe_table(probes, pair if all(pair) else None),
                                  "Accuracy of the argmax among the cue nouns, mean ± 95% CI over seeds, by the "
                                  "distance d (tokens) from cue to target; last row: " + a.DIFF_NOTE,
                                  key=f"probes-{r.corpus}"))
    return s


def context_use(inp: Inputs) -> Section | None:
    results = inp.analyses.get("context", [])
    if not results:
        return None
    s = Section("context", "5.1 How much context each model uses", figures=figures_for(inp, "context"))
    for r in results:
        s.conclusions += cu.context_conclusions(r.corpus, r.tables["reach"], [int(d) for d in r.summary["distances"]])
        s.tables += [t for t in (cu.context_table_of(r), cu.cue_table_of(r)) if t]
    s.tables.append(cu.published_context_table())
    return s


def _pairs(summary: Mapping[str, object]) -> list[tuple[str, str]]:
    """The model pairs an analysis compared (``a``, ``b`` of its summary's comparisons), in its order."""
    records = summary.get("comparisons") or []
    return list(dict.fromkeys((t["a"], t["b"]) for t in records if isinstance(t, dict) and "a" in t))


def bidirectional(inp: Inputs) -> Section:
    results = inp.analyses.get("bidirectional", [])
    s = Section("bidirectional", "6. Bidirectional and multi-layer RNNs", cc.classification_conclusions(inp.metrics),
                tables=tables_for(inp, "classification"), figures=figures_for(inp, "bidirectional"))
    if not results:
        s.notes.append(not_run("bidirectional"))
    # The by-level claims have no sentence of the section's own: state their verdicts here.
    by_level = [row for row in inp.ctx.scorecard if row.claim.section == s.key
                and isinstance(row.claim.test, LevelContrast) and row.measured.measurements]
    s.conclusions += [scorecard.sentence(by_level)] if by_level else []
    for r in results:
        breakdown = r.tables.get("breakdown")
        if breakdown is None or breakdown.empty:
            continue
        levels = [(f"{f}={lv}", f"{x} − {y}", c) for x, y in _pairs(r.summary)
                  for f, lv, c in a.level_comparisons(breakdown, x, y, "accuracy") if f != "all"]
        s.conclusions += cc.levels_conclusion(r.corpus, [c for _, _, c in levels])
        headline = r.summary.get("headline") or {}
        if headline.get("factor"):
            s.conclusions += cc.floor_by_level(r.corpus, breakdown, headline["factor"])
        s.conclusions += cc.learning_speed(r.corpus, inp.curves, _pairs(r.summary))
        s.tables.append(Table(f"Accuracy differences by level on {r.corpus}", a.difference_table(levels),
                              "Accuracy (%) differences between the models of each pair, by level of each factor. "
                              + a.DIFF_NOTE, key=f"levels-{r.corpus}", collapsed=True))
        s.data_tables.append(Table(f"Accuracy breakdown on {r.corpus}", a.breakdown_table(breakdown),
                                   "Accuracy (%) by factor and level, mean ± 95% CI over seeds.",
                                   key=f"breakdown-{r.corpus}"))
    s.subsections += [sub for sub in (tagging(inp), ner(inp)) if sub]
    return s


def statistics(inp: Inputs) -> Section:
    results = inp.analyses.get("significance", [])
    s = Section("statistics", "7. Statistics", figures=figures_for(inp, "significance"))
    if results and "comparisons" in results[0].tables:
        comparisons = results[0].tables["comparisons"]
    else:
        comparisons = all_comparisons(inp.metrics)
        s.notes.append(not_run("significance") + " The comparisons below were computed by the report itself.")
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
                          "the differences on each task's primary metric.", key="families",
                          collapsed=True))
    s.data_tables.append(Table("Pairwise comparisons", comparisons.drop(columns=["sentence"], errors="ignore"),
                               "Every pair of models on every metric and corpus; p_holm: Holm-corrected within the "
                               "family (corpus, metric).", key="pairwise"))
    return s


# The section of each analysis that has its own, by the analysis' name (analysis/registry.py); any other
# analysis gets a section of its statements and figures (sections.analysis_section).
BUILDERS: Mapping[str, Callable[[Inputs], Section | None]] = MappingProxyType({
    "gradients": gradients, "clipping": clipping, "long-distance": long_distance, "context": context_use,
    "bidirectional": bidirectional, "significance": statistics,
})
# Analyses whose section is a subsection of another analysis' section: context use reads as part of
# the long-distance story (section 5).
NESTED: Mapping[str, str] = MappingProxyType({"context": "long-distance"})


def build_sections(inp: Inputs) -> list[Section]:
    """Data and language models, then one section per analysis in the registry's order (those in NESTED
    as subsections of their parent's), then provenance."""
    built = {name: BUILDERS[name](inp) if name in BUILDERS else analysis_section(inp, record)
             for name, record in ANALYSES.items()}
    for name, parent_name in NESTED.items():
        parent = built.get(parent_name)
        if parent is not None and built.get(name) is not None:
            parent.subsections.append(built.pop(name))
    return [data(inp), language_models(inp), *(s for s in built.values() if s is not None), provenance(inp)]
