"""The jobs' own wall times, read from Snakemake's benchmark files (``results/benchmarks``).

Each rule writes one TSV per job, ``<rule>/<wildcards...>.tsv`` (or ``<rule>.tsv`` for a rule
without wildcards), whose ``s`` column is the job's wall time in seconds. The report's provenance
table and its cost figure are both drawn from :func:`read_job_times`, so they agree.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .layout import match_run

COLUMNS = ["step", "item", "seed", "seconds"]
OTHER_STEP = "other"  # the row of per_item that sums the items beyond its top ones


def read_job_times(bench_dir: Path) -> pd.DataFrame:
    """One row per job: its rule (``step``), what it worked on (``item``: the wildcards without the
    seed, e.g. ``synthetic-lm/lstm``), its seed (-1 where it has none) and its wall time. A file that
    a killed job left empty or cut short is skipped."""
    rows = []
    root = Path(bench_dir)
    for tsv in sorted(root.rglob("*.tsv")):
        parts = list(tsv.relative_to(root).with_suffix("").parts)
        try:
            seconds = float(pd.read_csv(tsv, sep="\t")["s"].iloc[0])
        except (KeyError, IndexError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
            continue
        step, item, seed = parts[0], "/".join(parts[1:]), -1
        if (run := match_run(item)) is not None:  # a job of one run: <rule>/<corpus>/<model>/seed<n>
            item, seed = f"{run.corpus}/{run.model}", run.seed
        rows.append({"step": step, "item": item, "seed": seed, "seconds": seconds})
    return pd.DataFrame(rows, columns=COLUMNS)


def per_step(times: pd.DataFrame) -> pd.DataFrame:
    """Jobs, total and slowest wall time per rule."""
    frame = times.groupby("step")["seconds"].agg(["count", "sum", "max"]).reset_index()
    frame.columns = ["step", "jobs", "total s", "slowest job s"]
    return frame.round(2)


def per_item(times: pd.DataFrame, top: int) -> pd.DataFrame:
    """Total wall time of each (rule, item) over its seeds, largest first. The ``top`` largest are kept
    and the rest summed into one ``other`` row, so a figure of them stays readable."""
    groups = (times.groupby(["step", "item"])["seconds"].agg(["count", "sum"]).reset_index()
              .rename(columns={"count": "jobs", "sum": "seconds"}).sort_values("seconds", ascending=False))
    head, rest = groups.iloc[:top], groups.iloc[top:]
    if not rest.empty:
        other = pd.DataFrame([{"step": OTHER_STEP, "item": f"{len(rest)} more items", "jobs": int(rest["jobs"].sum()),
                               "seconds": float(rest["seconds"].sum())}])
        head = pd.concat([head, other], ignore_index=True)
    return head.reset_index(drop=True)
