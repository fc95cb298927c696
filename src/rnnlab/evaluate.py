"""``rnnlab evaluate`` (one model → tidy rows) and ``rnnlab collect`` (all rows → one table).

``results/metrics.csv`` is tidy: one row per (task, corpus, model, seed, split, metric) with the
value, plus provenance columns (params, backend, device, status). It holds nothing that changes
from run to run, so the same config and seeds give the same bytes on CPU; the training times
(train_seconds, tokens_per_s, and with ``backend: auto`` the step times of triton and torch and their
ratio) go to ``results/timings.csv``, one row per trained model.
``results/metrics.json`` holds the headline numbers (mean over seeds, test split where present)
for ``dvc metrics show``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from . import layout
from .errors import RnnlabError
from .io import atomic_dir, atomic_path, write_json
from .metrics import BACKEND_TIMINGS, TIDY_COLUMNS, headline_split
from .models.registry import TASKS, EvalRequest, get_model

HEADLINE_METRICS = ("perplexity", "accuracy", "macro_f1")
# Columns of the per-model rows that differ between two runs of the same job: they go to timings.csv.
TIMING_COLUMNS = ("train_seconds", "tokens_per_s", *BACKEND_TIMINGS)
RUN_COLUMNS = ["task", "corpus", "model", "seed"]


def evaluate_to_csv(req: EvalRequest, model: str, out: Path) -> pd.DataFrame:
    rows = get_model(model, req.task).evaluate(req)
    # A variant (``lstm-medium``) is evaluated by its base model but reported under its own name.
    frame = pd.DataFrame(rows).assign(model=model)
    missing = [c for c in TIDY_COLUMNS if c not in frame.columns]
    if frame.empty or missing:
        raise RnnlabError(f"evaluation of {model} on {req.corpus} produced no usable rows (missing {missing})")
    with atomic_path(out, suffix=".csv") as tmp:
        frame.to_csv(tmp, index=False)
    return frame


def collect(inputs: list[Path]) -> pd.DataFrame:
    frames = [pd.read_csv(p) for p in inputs]
    if not frames:
        raise RnnlabError("no per-model metrics files to collect; check the experiments section of the config")
    table = pd.concat(frames, ignore_index=True)
    order = list(TIDY_COLUMNS) + [c for c in table.columns if c not in TIDY_COLUMNS]
    return table[order].sort_values(list(TIDY_COLUMNS[:6])).reset_index(drop=True)


def split_timings(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the metrics without the timing columns, one row of timings per trained model)."""
    present = [c for c in TIMING_COLUMNS if c in table.columns]
    timings = table[RUN_COLUMNS + present].drop_duplicates(RUN_COLUMNS).reset_index(drop=True)
    return table.drop(columns=present), timings


def headline(table: pd.DataFrame) -> dict:
    """Nested {task: {corpus: {model: {split: {metric: mean over seeds}}}}} for DVC."""
    sub = table[table["metric"].isin(HEADLINE_METRICS)]
    means = sub.groupby(["task", "corpus", "model", "split", "metric"])["value"].mean()
    out: dict = {}
    for (task, corpus, model, split, metric), value in means.items():
        v = None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 4)
        out.setdefault(task, {}).setdefault(corpus, {}).setdefault(model, {}).setdefault(split, {})[metric] = v
    return out


def plot_tables(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Small CSVs for ``dvc plots``: one per (task, metric), mean over seeds on the headline split."""
    out = {}
    for (task, metric), g in table[table["metric"].isin(HEADLINE_METRICS)].groupby(["task", "metric"]):
        means = headline_split(g).groupby(["corpus", "model", "split"], as_index=False)["value"].mean()
        out[f"{task}_{metric}"] = means.rename(columns={"value": metric})
    return out


CURVE_COLUMNS = ("corpus", "model", "seed", "epoch", "metric", "value")


def learning_curves(model_dirs: list[Path]) -> pd.DataFrame:
    """Per-epoch history of every neural run, long format: corpus, model, seed, epoch, metric, value."""
    frames = []
    for d in model_dirs:
        run = layout.parse_run_dir(d)
        history = run.path / layout.HISTORY_CSV
        if not history.exists():
            continue
        h = pd.read_csv(history)
        metrics = [c for c in h.columns if c.startswith(("train_", "valid_"))]
        long = h.melt(id_vars=["epoch"], value_vars=metrics, var_name="metric", value_name="value")
        frames.append(long.assign(corpus=run.corpus, model=run.model, seed=run.seed))
    if not frames:
        return pd.DataFrame(columns=list(CURVE_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(CURVE_COLUMNS)]


def read_curves(path: Path | None) -> pd.DataFrame:
    """The learning curves written by ``rnnlab curves``; an empty table when there is no such file."""
    if path is None or not Path(path).exists():
        return pd.DataFrame(columns=list(CURVE_COLUMNS))
    return pd.read_csv(path)


def _cmd_curves(args: argparse.Namespace) -> int:
    curves = learning_curves([Path(p) for p in args.model_dirs])
    with atomic_path(args.out, suffix=".csv") as tmp:
        curves.to_csv(tmp, index=False)
    print(f"{len(curves)} rows -> {args.out}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    req = EvalRequest(corpus=args.corpus, corpus_dir=Path(args.corpus_dir), model_dir=Path(args.model_dir),
                      task=args.task, seed=args.seed, device=args.device, backend=args.backend)
    frame = evaluate_to_csv(req, args.model, Path(args.out))
    print(frame[list(TIDY_COLUMNS)].to_string(index=False))
    return 0


def _cmd_collect(args: argparse.Namespace) -> int:
    table, timings = split_timings(collect([Path(p) for p in args.inputs]))
    with atomic_path(args.out, suffix=".csv") as tmp:
        table.to_csv(tmp, index=False)
    if args.timings:
        with atomic_path(args.timings, suffix=".csv") as tmp:
            timings.to_csv(tmp, index=False)
    if args.json:
        write_json(args.json, headline(table))
    if args.plots_dir:
        with atomic_dir(args.plots_dir) as tmp:
            for name, frame in plot_tables(table).items():
                frame.to_csv(tmp / f"{name}.csv", index=False)
    print(f"{len(table)} rows -> {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="Evaluate one trained model; write tidy metric rows (CSV).",
                       description="Evaluate a trained model on the valid and test splits of its corpus.")
    p.add_argument("--model", required=True, help="Model name, as trained.")
    p.add_argument("--task", required=True, choices=TASKS)
    p.add_argument("--corpus", required=True, help="Corpus name (recorded in the rows).")
    p.add_argument("--corpus-dir", required=True, help="Processed corpus folder.")
    p.add_argument("--model-dir", required=True, help="Folder written by `rnnlab train`.")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--backend", default=None,
                   help="Recurrent backend (default: the one training recorded, if it runs on --device).")
    p.add_argument("--out", required=True, help="CSV file for the rows.")
    p.set_defaults(func=_cmd_evaluate)
    c = sub.add_parser("collect", help=f"Concatenate per-model rows into {layout.METRICS_CSV} (+ JSON headline).",
                       description="Concatenate per-model metric CSVs into one tidy table.")
    c.add_argument("inputs", nargs="+", help="Per-model CSV files.")
    c.add_argument("--out", required=True, help=f"Tidy table to write, e.g. {layout.METRICS_CSV}.")
    c.add_argument("--timings", help=f"Training times per model to write, e.g. {layout.TIMINGS_CSV}.")
    c.add_argument("--json", help=f"Headline metrics JSON for DVC, e.g. {layout.METRICS_JSON}.")
    c.add_argument("--plots-dir", help="Folder for per-metric CSVs that `dvc plots show` draws.")
    c.set_defaults(func=_cmd_collect)
    k = sub.add_parser("curves", help="Gather the per-epoch histories of trained models into one CSV.",
                       description="Gather history.csv of each model folder "
                                   f"({layout.model_dir('<corpus>', '<model>', '<N>')}).")
    k.add_argument("model_dirs", nargs="*", help="Model folders written by `rnnlab train`.")
    k.add_argument("--out", required=True, help=f"CSV to write, e.g. {layout.CURVES_CSV}.")
    k.set_defaults(func=_cmd_curves)
