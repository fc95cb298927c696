"""Exploding gradients: the same RNN LM trained with and without gradient-norm clipping.

Clipping rescales the gradient g to ``clip · g / ‖g‖`` whenever ‖g‖ > clip (Pascanu et al. 2013),
so one huge gradient cannot throw the weights far away. Each seed trains twice through the
shared training loop with plain SGD at a learning rate where unclipped training is unstable;
``steps.npz`` of each run holds the loss and the gradient norm before clipping at every step, and
``status.json`` says whether the loss became non-finite (``diverged``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..errors import RnnlabError
from ..io import read_json
from ..layout import STATUS_FILE, STEPS_FILE, seed_name
from ..models import neural
from ..models.registry import TrainRequest
from .. import style
from ..plots import set_theme
from .common import AnalysisOutput, Request
from .registry import ClippingSettings
from .stats import compare, phrase
from .stats import mean_ci

SETTINGS = ("unclipped", "clipped")
TAIL = 0.1  # the final loss is the mean over the last 10% of the steps


def train_runs(corpus: str, corpus_dir: Path, runs_dir: Path, settings: ClippingSettings,
               device: str = "cpu", threads: int = 1) -> list[tuple[str, int, Path]]:
    """Train every (setting, seed) into ``runs_dir/<setting>/seed<n>``; returns (setting, seed, folder)."""
    runs = []
    for setting in SETTINGS:
        for seed in settings.seeds:
            out = Path(runs_dir) / setting / seed_name(seed)
            neural.train_model(settings.model, TrainRequest(corpus, Path(corpus_dir), out, "lm", seed,
                                                            settings.run_params(setting), device=device,
                                                            threads=threads))
            runs.append((setting, seed, out))
    return runs


def read_run(setting: str, seed: int, folder: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-step trace and a one-row summary of one run from its steps.npz and status.json."""
    if not (folder / STATUS_FILE).exists():
        raise RnnlabError(f"{folder}/status.json is missing: the run did not finish; rerun the analysis")
    status = read_json(folder / STATUS_FILE)
    with np.load(folder / STEPS_FILE) as steps:
        loss, norm = steps["loss"], steps["grad_norm"]
    trace = pd.DataFrame({"setting": setting, "seed": seed, "step": np.arange(1, loss.size + 1),
                          "loss": loss, "grad_norm": norm})
    tail = loss[-max(1, int(TAIL * loss.size)):] if loss.size else loss
    final = float(tail.mean()) if tail.size else math.nan
    diverged = status["status"] == "diverged"
    row = {"setting": setting, "seed": seed, "status": status["status"], "diverged": diverged,
           "steps": int(loss.size), "first_loss": float(loss[0]) if loss.size else math.nan, "final_loss": final,
           "max_grad_norm": float(norm.max()) if norm.size else math.nan,
           "median_grad_norm": float(np.median(norm)) if norm.size else math.nan}
    # Unstable: the loss became non-finite, or training ended worse than it started.
    row["unstable"] = diverged or not final < row["first_loss"]
    return trace, row


def _statements(runs: pd.DataFrame, settings: ClippingSettings) -> tuple[list[str], dict[str, Any]]:
    lines, counts = [], {}
    for setting in SETTINGS:
        group = runs[runs["setting"] == setting]
        n, diverged, unstable = len(group), int(group["diverged"].sum()), int(group["unstable"].sum())
        counts[setting] = {"runs": n, "diverged": diverged, "unstable": unstable}
        how = f"clipped at {settings.clip}" if setting == "clipped" else "unclipped"
        final = mean_ci(group["final_loss"].tolist())
        lines.append(f"{settings.model} SGD lr {settings.lr:g}, {how}: {diverged}/{n} diverged (non-finite loss), "
                     f"{unstable}/{n} unstable (diverged or final loss not below the first); final loss "
                     f"{final.format(2)}; largest pre-clip gradient norm {group['max_grad_norm'].max():.3g}")
    # Losses of unstable runs span orders of magnitude: compare them on a log scale.
    finals = {s: dict(zip(g["seed"], np.log10(g["final_loss"]))) for s, g in runs.groupby("setting")}
    c = compare(finals["clipped"], finals["unclipped"], names=("clipped", "unclipped"),
                metric="log10 final training loss", higher_is_better=False)
    lines.append(phrase(c))
    return lines, {"counts": counts, "final_loss_test": {**c.__dict__, "decided": c.decided}}


def draw(traces: pd.DataFrame, clip: float) -> plt.Figure:
    set_theme()
    fig, axes = plt.subplots(1, 2, figsize=(style.TWO_COLUMN, 2.4))
    for i, setting in enumerate(SETTINGS):
        label = f"clipped at {clip:g}" if setting == "clipped" else "unclipped"
        for j, (_, run) in enumerate(traces[traces["setting"] == setting].groupby("seed")):
            for ax, column in zip(axes, ("loss", "grad_norm")):
                ax.plot(run["step"], run[column], color=style.CONTRAST[i], lw=0.7, alpha=0.8, label=label if j == 0 else None)
    axes[0].set(yscale="log", xlabel="training step", ylabel="training loss (nats)")
    axes[1].set(yscale="log", xlabel="training step", ylabel="gradient norm before clipping")
    axes[1].axhline(clip, color="black", ls=":", lw=1, label=f"clip = {clip:g}")
    for ax in axes:
        ax.legend()
    fig.tight_layout()
    return fig


def redraw(folder: Path) -> list[tuple[str, plt.Figure | None, str]]:
    """The figure of a clipping folder, drawn from traces.csv and summary.json alone."""
    summary = read_json(folder / "summary.json")
    return [("clipping", draw(pd.read_csv(folder / "traces.csv"), summary["clip"]), summary["captions"]["clipping"])]


def clipping(corpus: str, corpus_dir: Path, runs_dir: Path, settings: ClippingSettings,
             device: str = "cpu", threads: int = 1) -> AnalysisOutput:
    """Train the runs into ``runs_dir``, then tabulate, summarise and draw them."""
    read = [read_run(*run) for run in train_runs(corpus, corpus_dir, runs_dir, settings, device, threads)]
    traces = pd.concat([trace for trace, _ in read], ignore_index=True)
    runs = pd.DataFrame([row for _, row in read])
    statements, tests = _statements(runs, settings)
    summary = {"model": settings.model, "lr": settings.lr, "clip": settings.clip, "seeds": list(settings.seeds),
               "max_batches": settings.max_batches, "params": settings.run_params("clipped"), **tests,
               "statements": statements}
    caption = (f"Training loss and gradient norm before clipping at every SGD step (learning rate {settings.lr:g}) "
               f"of the {settings.model.upper()} language model on {corpus}, without clipping and with the global "
               f"gradient norm clipped at {settings.clip:g}; one line per seed ({len(settings.seeds)} seeds), "
               "log scales.")
    summary["captions"] = {"clipping": caption}
    return AnalysisOutput({"traces": traces, "runs": runs}, summary)


def run(request: Request, settings: ClippingSettings) -> AnalysisOutput:
    """Train into ``<out>/runs`` (kept with the tables), recording the corpus by --corpus or the folder's name."""
    return clipping(request.corpus or request.corpus_dir.name, request.corpus_dir, request.out / "runs", settings,
                    device=request.device, threads=request.threads)
