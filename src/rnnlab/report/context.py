"""Everything the report shows, gathered from the run's files into plain tables and strings."""

from __future__ import annotations

import base64
import datetime as dt
import json
import platform
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.stats import summarize
from ..data.processed import SPLITS
from ..data.stats import oov_warning, stats_table
from ..job_times import per_step, read_job_times
from ..metrics import BACKEND_TIMINGS
from ..models.registry import TASKS, model_sort_key
from ..style import ONE_COLUMN, PNG_DPI, TWO_COLUMN

PACKAGES = ("rnnlab", "numpy", "scipy", "pandas", "torch", "triton", "snakemake", "dvc", "matplotlib", "seaborn")
METRIC_LABELS = {"perplexity": "PPL", "accuracy": "Acc. %", "macro_f1": "Macro-F1 %", "accuracy_oov": "OOV acc. %",
                 "accuracy_right_context": "Right-context acc. %", "span_f1": "Span F1 %",
                 "span_f1_right_context": "Right-decided span F1 %", "span_f1_oov": "OOV-entity span F1 %"}
TASK_TITLES = {"lm": "Language modelling", "classification": "Classification", "tagging": "Sequence tagging (UPOS)",
               "ner": "Named-entity recognition (IOB2 spans)"}


@dataclass
class FigureView:
    name: str
    title: str
    caption: str
    png_base64: str
    png_path: str
    section: str = "results"
    two_column: bool = False  # drawn at the two-column paper width: the page gives it a wider slot


@dataclass
class Table:
    title: str
    frame: pd.DataFrame
    note: str = ""
    key: str = ""
    collapsed: bool = False  # the page shows it folded (reference material, not results)


@dataclass
class ReportContext:
    title: str
    preset: str
    generated: str
    provenance: dict[str, str]
    versions: dict[str, str]
    corpus_table: Table | None
    result_tables: list[Table]
    published_table: Table | None
    diverged: pd.DataFrame
    figures: list[FigureView]
    timing: Table | None
    config_yaml: str
    backend_check: Table | None = None
    notes: list[str] = field(default_factory=list)
    sections: list[Any] = field(default_factory=list)
    scorecard: list[Any] = field(default_factory=list)  # scorecard.Row, one per claim


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit(cwd: Path = Path(".")) -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return sha + (" (with uncommitted changes)" if dirty else "")


def corpus_table(corpus_dirs: list[Path]) -> tuple[Table | None, list[str]]:
    """The corpus statistics of the folders that have a stats.json, and a warning per split that is mostly OOV."""
    stats = stats_table([Path(d) / "stats.json" for d in corpus_dirs if (Path(d) / "stats.json").exists()])
    if stats.empty:
        return None, []
    warnings = [w for r in stats.itertuples() if (w := oov_warning(r.corpus, r.split, r.oov_rate))]
    shown = stats.assign(oov_rate=(100 * stats["oov_rate"]).round(2), unk_rate=(100 * stats["unk_rate"]).round(2))
    shown = shown.rename(columns={"oov_rate": "OOV %", "unk_rate": "<unk> %", "vocab_size": "vocabulary"})
    return Table("Corpus statistics", shown, key="corpus-stats", note=
                 "Tokens of language-model corpora count one end-of-sentence token per line; OOV = not in the "
                 "training vocabulary (mapped to <unk>); <unk> % adds the <unk> tokens already in the source."), warnings


def _cell(value: Any, integer: bool) -> str:
    if pd.isna(value):
        return "—"
    return str(int(value)) if integer else f"{value:.2f}"


def splits_side_by_side(stats: pd.DataFrame, per_corpus: tuple[str, ...] = ("task", "vocabulary")) -> pd.DataFrame:
    """The corpus statistics with one row per corpus instead of one per split: every per-split column holds
    the values of all splits, "train / valid / test" ("—" where a corpus lacks that split)."""
    rank = {split: i for i, split in enumerate(SPLITS)}
    splits = sorted(set(stats["split"]), key=lambda x: (rank.get(x, len(rank)), x))
    by_split = stats.set_index(["corpus", "split"])
    corpora = list(dict.fromkeys(stats["corpus"]))
    out = pd.DataFrame({"corpus": corpora})
    for column in by_split.columns:
        if column in per_corpus:
            out[column] = by_split[column].groupby(level="corpus").first().reindex(corpora).to_numpy()
            continue
        integer = pd.api.types.is_integer_dtype(by_split[column])
        wide = by_split[column].unstack("split").reindex(index=corpora, columns=splits)
        out[f"{column} ({' / '.join(splits)})"] = [" / ".join(_cell(v, integer) for v in row)
                                                   for row in wide.itertuples(index=False)]
    return out


def result_tables(metrics: pd.DataFrame) -> list[Table]:
    tables = []
    # Only headline metrics: per-tag rows (tag_f1.<TAG>) and diagnostics never enter a results table.
    ok = metrics[metrics["metric"].isin(METRIC_LABELS)]
    tasks = sorted(ok["task"].unique(), key=lambda t: TASKS.index(t) if t in TASKS else len(TASKS))
    for task in tasks:
        task_rows = ok[ok["task"] == task]
        summary = summarize(task_rows, ["corpus", "model", "split", "metric"])
        summary["column"] = summary["split"] + " " + summary["metric"].map(METRIC_LABELS)
        wide = summary.pivot_table(index=["corpus", "model"], columns="column", values="text", aggfunc="first")
        split_rank = {"test": 0, "valid": 1, "train": 2}
        wide = wide[sorted(wide.columns, key=lambda col: (split_rank.get(col.split(" ")[0], 9), col))]
        seeds = summary.groupby(["corpus", "model"])["n"].max().rename("seeds")
        wide = wide.join(seeds).reset_index()
        wide = wide.sort_values(["corpus", "model"], key=lambda col: col.map(model_sort_key) if col.name == "model" else col)
        tables.append(Table(TASK_TITLES.get(task, task), wide, "Mean ± 95% confidence interval (Student's t) over "
                            "seeds; a single value where the model is deterministic (one run).", key=task))
    return tables


def published_table(published: list[dict[str, Any]], metrics: pd.DataFrame) -> Table | None:
    if not published:
        return None
    rows = []
    for p in published:
        ours = metrics[(metrics["corpus"] == p["corpus"]) & (metrics["split"] == p["split"])
                       & (metrics["metric"] == p["metric"]) & (metrics["model"] == p.get("ours", ""))]
        this_run = summarize(ours, ["model"])["text"].iloc[0] if not ours.empty else "not run"
        rows.append({"corpus": p["corpus"], "split": p["split"], "metric": p["metric"],
                     "model (published)": p["model"], "published": p["value"], "source": p["source"],
                     "our model": p.get("ours", "—"), "this run": this_run})
    return Table("Published reference numbers", pd.DataFrame(rows), key="published", note=
                 "Numbers from the literature, marked as published (not produced by this run), beside this run's "
                 "closest model where the config names one.", collapsed=True)


def timing_table(bench_dir: Path) -> Table | None:
    times = read_job_times(bench_dir)
    if times.empty:
        return None
    return Table("Wall time per step", per_step(times), "From Snakemake's benchmark files of this run.", collapsed=True)


def backend_check_table(timings_csv: Path, metrics: pd.DataFrame) -> Table | None:
    """The step times behind every ``backend: auto`` choice of the run (``rnnlab collect --timings``;
    results/timings.csv in the pipeline), with the backend each job trained with; None if none chose."""
    if not timings_csv.exists():
        return None
    times = pd.read_csv(timings_csv)
    run = ["task", "corpus", "model", "seed"]
    if not set(BACKEND_TIMINGS) <= set(times.columns) or times["torch_step_ms"].isna().all():
        return None
    from ..models.backend_choice import MAX_SLOWDOWN  # loads torch: only for a run that made such choices

    chosen = metrics[run + ["backend"]].drop_duplicates(run) if "backend" in metrics.columns else None
    frame = times.dropna(subset=["torch_step_ms"])[run + list(BACKEND_TIMINGS)].round(3)
    if chosen is not None:
        frame = frame.merge(chosen, on=run, how="left")
    return Table("Backend check (backend: auto)", frame.reset_index(drop=True),
                 f"Measured before each job's first step on its own shapes: the median time of a training step "
                 f"(forward and backward) with the Triton kernels and with torch (cuDNN), after outputs and "
                 f"gradients agreed; a job trains with triton unless the ratio exceeds {MAX_SLOWDOWN:g}.",
                 key="backend_check", collapsed=True)


def figure_views(fig_dir: Path) -> list[FigureView]:
    index = Path(fig_dir) / "index.json"
    if not index.exists():
        return []
    out = []
    for f in json.loads(index.read_text(encoding="utf-8")):
        png = Path(fig_dir) / f"{f['name']}.png"
        if not png.exists():
            continue
        data = png.read_bytes()
        # The width sits in the PNG header (IHDR, bytes 16-19, big-endian); the file is at style.PNG_DPI.
        inches = int.from_bytes(data[16:20], "big") / PNG_DPI
        out.append(FigureView(f["name"], f["title"], f["caption"], base64.b64encode(data).decode("ascii"),
                              str(png), f.get("section") or "results", inches > (ONE_COLUMN + TWO_COLUMN) / 2))
    return out


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
