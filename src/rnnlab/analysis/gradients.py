"""Vanishing gradients: how much the loss at step t depends on the hidden state at an earlier step k.

For a language model J(t) is the cross-entropy at step t and h(k) the hidden state at step k ≤ t.
By the chain rule (Bengio et al. 1994; Pascanu et al. 2013)

    ∂J(t)/∂h(k) = ∂J(t)/∂h(t) · Π_{j=k+1..t} ∂h(j)/∂h(j−1),

a product of t − k Jacobians; for the tanh RNN ∂h(j)/∂h(j−1) = diag(1 − h(j)²) W_hh, so the norm
tends to shrink (or grow) geometrically with the distance t − k. The LSTM's additive cell path
lets it decay more slowly. The norms are measured with the ``loop`` backend, which keeps every
h(t) in the autograd graph, on the freshly initialised network (same seed and config as training)
and on the trained one.
"""

from __future__ import annotations

import random
from dataclasses import asdict
from pathlib import Path
from types import MappingProxyType
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ..data.batching import batchify, encode_lm_split
from ..data.vocab import Vocab
from ..errors import CorpusError, RnnlabError
from ..io import read_json
from ..layout import STEPS_FILE
from ..metrics import number
from ..models.neural import SPECS, load_trained
from ..models.registry import family_of
from ..models.rnn_lm import RNNLM
from .. import style
from ..plots import set_theme
from ..train import GROUP_PREFIX
from .common import AnalysisOutput, Request, RunId, model_meta, run_id
from .registry import ANALYSES, GradientSettings
from .stats import compare
from .stats import mean_ci

LAYER_COLUMNS = ["model", "seed", "group", "step", "grad_norm"]
STAGES = ("init", "trained")
# Which model's gradient decays more slowly, as established by the paired comparison (None: undecided).
VERDICTS = MappingProxyType({
    "lstm": "the LSTM's gradient decays more slowly than the RNN's",
    "rnn": "the RNN's gradient decays more slowly than the LSTM's (the lecture's claim is not seen here)",
    None: "no clear difference in decay between the LSTM and the RNN (the slower LSTM decay is not shown)",
})


def distance_norms(hidden: Sequence[torch.Tensor], losses: torch.Tensor,
                   steps: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Summed ||∂J(t)/∂h(k)|| and counts per distance t − k, over the loss steps ``steps`` and the batch.

    ``hidden[k]`` is h(k) (B, H), part of the graph of ``losses`` (T, B): J(t) of each sequence. Rows
    are independent sequences, so the gradient of the batch sum gives each row's own gradient.
    """
    sums = np.zeros(len(hidden))
    counts = np.zeros(len(hidden), dtype=np.int64)
    for t in steps:
        grads = torch.autograd.grad(losses[t].sum(), list(hidden[: t + 1]), retain_graph=True, allow_unused=True)
        for k, grad in enumerate(grads):
            norms = grad.norm(dim=1) if grad is not None else hidden[k].new_zeros(hidden[k].shape[0])  # (B,)
            sums[t - k] += float(norms.sum())
            counts[t - k] += norms.numel()
    return sums, counts


def measurement_windows(stream: torch.Tensor, settings: GradientSettings) -> list[torch.Tensor]:
    """``batches`` windows (warmup + window + 1, B) spread evenly over the batchified stream."""
    source = batchify(stream, settings.batch_size)  # (T, B)
    length = settings.warmup + settings.window + 1
    if source.size(0) < length:
        raise CorpusError(f"the split has {stream.numel()} tokens: too few for {settings.batch_size} columns of "
                          f"{length} steps; lower --batch-size, --window or --warmup")
    starts = np.linspace(0, source.size(0) - length, settings.batches).astype(int)
    return [source[s : s + length] for s in starts]


def measure(model: RNNLM, windows: list[torch.Tensor], settings: GradientSettings,
            device: torch.device) -> tuple[np.ndarray, dict[str, float]]:
    """Mean ||∂J(t)/∂h(k)|| per (layer, distance) and mean gradient norm per parameter of the window loss."""
    model.eval()
    model.rnn.backend = "loop"
    layers = model.cfg.layers
    sums, counts = np.zeros((layers, settings.window)), np.zeros((layers, settings.window))
    params = dict(model.named_parameters())
    param_norms = {name: 0.0 for name in params}
    steps = range(settings.window - settings.positions, settings.window)
    for chunk in windows:
        chunk = chunk.to(device)
        inputs, targets = chunk[:-1], chunk[1:]  # (W + L, B) each
        state = model.initial_state(inputs.size(1), device)
        with torch.no_grad():
            if settings.warmup:
                _, state = model(inputs[: settings.warmup], state)
        emb = model.encoder(inputs[settings.warmup :])  # (L, B, E)
        out, _, layer_steps = model.rnn(emb, model.cell.to_module(state), return_steps=True)  # (L, B, H)
        logits = model.decoder(out)  # (L, B, V)
        losses = F.cross_entropy(logits.flatten(0, 1), targets[settings.warmup :].flatten(),
                                 reduction="none").view(out.shape[:2])  # (L, B)
        for layer in range(layers):
            s, c = distance_norms(layer_steps[layer][0], losses, steps)
            sums[layer] += s
            counts[layer] += c
        grads = torch.autograd.grad(losses.mean(), list(params.values()), allow_unused=True)
        for name, grad in zip(params, grads):
            param_norms[name] += float(grad.norm()) / len(windows) if grad is not None else 0.0
    return sums / np.maximum(counts, 1), param_norms


def fresh_model(meta: dict, device: torch.device) -> RNNLM:
    """The network as training started: same config, same seed, same order of random draws."""
    spec = SPECS[(meta["name"], meta["task"])]
    random.seed(meta["seed"])
    np.random.seed(meta["seed"])
    torch.manual_seed(meta["seed"])
    return spec.build(spec.config(**meta["config"]), meta["vocab_size"], tuple(meta["labels"]), "loop").to(device)


def _check_run(run: RunId, meta: dict, vocab: Vocab) -> None:
    families = ANALYSES["gradients"].families
    if meta["task"] != "lm" or meta["family"] not in families:
        raise RnnlabError(f"{run.path}: a {meta['family']} {meta['task']} model; the gradient analysis needs "
                          f"RNN or LSTM language models ({', '.join(families)})")
    if meta["vocab_size"] != len(vocab):
        raise CorpusError(f"{run.path} was trained with {meta['vocab_size']} words but the corpus has {len(vocab)}; "
                          "analyse the model on the corpus it was trained on")


def decay_slope(norms: np.ndarray) -> float:
    """Least-squares slope of log10 ||∂J(t)/∂h(k)|| against t − k, over distances ≥ 1 (where the path goes
    through the recurrence only)."""
    d = np.arange(1, norms.size)
    y = np.log10(np.maximum(norms[1:], 1e-300))
    return float(np.polyfit(d, y, 1)[0]) if d.size >= 2 else float("nan")


def _training_trace(run: RunId) -> pd.DataFrame:
    with np.load(run.path / STEPS_FILE) as steps:
        norms = steps["grad_norm"]
    return pd.DataFrame({"model": run.model, "seed": run.seed, "step": np.arange(1, norms.size + 1),
                         "grad_norm": norms})


def _layer_trace(run: RunId) -> pd.DataFrame:
    """Per-group gradient norms during training (``grad_norm.<group>`` in steps.npz), long format."""
    frames = []
    with np.load(run.path / STEPS_FILE) as steps:
        for key in steps.files:
            if key.startswith(GROUP_PREFIX):
                norms = steps[key]
                frames.append(pd.DataFrame({"model": run.model, "seed": run.seed, "group": key[len(GROUP_PREFIX):],
                                            "step": np.arange(1, norms.size + 1), "grad_norm": norms}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=LAYER_COLUMNS)


def _recorded_norms(runs: list[RunId]) -> list[str]:
    with np.load(runs[0].path / STEPS_FILE) as steps:
        return sorted(k for k in steps.files if k.startswith("grad_norm"))


def _statements(slopes: pd.DataFrame, window: int) -> tuple[list[str], list[dict]]:
    lines, tests = [], []
    for stage in STAGES:
        staged = slopes[slopes["stage"] == stage]
        per_model = {m: dict(zip(g["seed"], g["slope"])) for m, g in staged.groupby("model")}
        for model, values in sorted(per_model.items()):
            ci = mean_ci(list(values.values()))
            lines.append(f"{stage}: {model} gradient norm changes by a factor {10 ** ci.mean:.3f} per step of "
                         f"distance (log10 slope {ci.format(4)}, {ci.n} seeds; 10^(slope*{window - 1}) = "
                         f"{10 ** (ci.mean * (window - 1)):.2e} over {window - 1} steps)")
        for lstm, rnn in _lstm_rnn_pairs(per_model):
            c = compare(per_model[lstm], per_model[rnn], names=(lstm, rnn), metric="log10 slope",
                        higher_is_better=True)
            tests.append({"stage": stage, **c.__dict__, "decided": c.decided})
            verdict = VERDICTS[family_of(c.winner) if c.winner else None]
            lines.append(f"{stage}: {verdict}: slope difference {lstm} − {rnn} = {number(c.diff, 4)} per step, "
                         f"95% CI [{number(c.low, 4)}, {number(c.high, 4)}], {c.n} seeds, {c.test}")
    return lines, tests


def _lstm_rnn_pairs(models: Sequence[str]) -> list[tuple[str, str]]:
    """Each LSTM with the RNN of the same variant: (lstm, rnn), (lstm-small, rnn-small), ..."""
    return [(m, "rnn" + m[len("lstm"):]) for m in sorted(models)
            if (m == "lstm" or m.startswith("lstm-")) and "rnn" + m[len("lstm"):] in models]


# Parameter groups are not model families: colours from the end of the Okabe-Ito list, apart from the families'.
GROUP_COLORS = tuple(style.OKABE_ITO[c] for c in ("black", "sky blue", "yellow", "reddish purple", "orange"))


def _smooth(values: pd.Series) -> pd.Series:
    return values.rolling(25, min_periods=1).median()


def draw(distance: pd.DataFrame, training: pd.DataFrame, layers: pd.DataFrame) -> plt.Figure:
    set_theme()
    fig, grid = plt.subplots(2, 2, figsize=(style.TWO_COLUMN, 4.8))
    colors = style.palette(distance["model"].unique())
    axes = grid.ravel()
    top = distance[distance["layer"] == distance.groupby("model")["layer"].transform("max")]
    for ax, stage in zip(axes[:2], STAGES):
        for i, (model, group) in enumerate(top[top["stage"] == stage].groupby("model", sort=True)):
            band = [(d, mean_ci(np.log10(g["grad_norm"].clip(lower=1e-300)).tolist()))
                    for d, g in group.groupby("distance", sort=True)]
            d = np.array([x for x, _ in band])
            color = colors[model]
            ax.plot(d, [10 ** ci.mean for _, ci in band], color=color, marker=style.marker(model), markevery=5,
                    label=model)
            ax.fill_between(d, [10 ** ci.low for _, ci in band], [10 ** ci.high for _, ci in band],
                            color=color, alpha=0.25, lw=0)
        ax.set(yscale="log", xlabel="distance t − k (steps)", ylabel="‖∂J(t)/∂h(k)‖",
               title="at initialisation" if stage == "init" else "after training")
        ax.legend()
    for i, (model, group) in enumerate(training.groupby("model", sort=True)):
        for j, (_, run) in enumerate(group.groupby("seed")):
            axes[2].plot(run["step"], _smooth(run["grad_norm"]), color=colors.get(model, style.OTHER_COLOR), lw=0.8,
                         label=model if j == 0 else None)
    axes[2].set(yscale="log", xlabel="training step", ylabel="global gradient norm (before clipping)",
                title="during training (median of 25 steps)")
    axes[2].legend()
    _draw_layers(axes[3], layers)
    fig.tight_layout()
    return fig


def _draw_layers(ax: plt.Axes, layers: pd.DataFrame) -> None:
    """Per parameter group and model: the median over seeds of the smoothed norm (colour: group, style: model)."""
    if layers.empty:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "per-layer norms not recorded", ha="center", va="center", transform=ax.transAxes)
        return
    groups = list(dict.fromkeys(layers["group"]))
    styles = ["-", "--", ":", "-."]
    for m, (model, by_model) in enumerate(layers.groupby("model", sort=True)):
        for group, runs in by_model.groupby("group", sort=False):
            smooth = runs.groupby("seed", group_keys=False)["grad_norm"].apply(_smooth)
            line = smooth.groupby(runs["step"]).median()
            ax.plot(line.index, line.to_numpy(), color=GROUP_COLORS[groups.index(group) % len(GROUP_COLORS)],
                    ls=styles[m % len(styles)],
                    lw=0.9, label=f"{model} {group}")
    ax.set(yscale="log", xlabel="training step", ylabel="gradient norm per parameter group",
           title="per layer during training (median over seeds)")
    ax.legend(ncol=2)


def redraw(folder: Path) -> list[tuple[str, plt.Figure | None, str]]:
    """The figure of a gradients folder, drawn from its CSVs and summary.json alone."""
    summary = read_json(folder / "summary.json")
    layers_csv = folder / "layers.csv"
    layers = pd.read_csv(layers_csv) if layers_csv.exists() else pd.DataFrame(columns=LAYER_COLUMNS)
    figure = draw(pd.read_csv(folder / "distance.csv"), pd.read_csv(folder / "training.csv"), layers)
    return [("gradients", figure, summary["captions"]["gradients"])]


def gradients(corpus_dir: Path, model_dirs: Sequence[str | Path], settings: GradientSettings,
              device: torch.device) -> AnalysisOutput:
    vocab = Vocab.for_corpus(corpus_dir)
    windows = measurement_windows(encode_lm_split(corpus_dir, settings.split, vocab), settings)
    runs = [run_id(d) for d in model_dirs]
    distance_rows, param_rows, slope_rows = [], [], []
    for run in runs:
        meta = model_meta(run)
        _check_run(run, meta, vocab)
        trained = load_trained(run.path, device)[1]
        for stage, model in (("init", fresh_model(meta, device)), ("trained", trained)):
            norms, param_norms = measure(model, windows, settings, device)
            for layer, row in enumerate(norms):
                distance_rows += [{"model": run.model, "family": meta["family"], "seed": run.seed, "stage": stage,
                                   "layer": layer, "distance": d, "grad_norm": float(v)} for d, v in enumerate(row)]
            slope_rows.append({"model": run.model, "seed": run.seed, "stage": stage, "slope": decay_slope(norms[-1])})
            param_rows += [{"model": run.model, "seed": run.seed, "stage": stage, "parameter": name, "grad_norm": v}
                           for name, v in param_norms.items()]
    distance = pd.DataFrame(distance_rows)
    slopes = pd.DataFrame(slope_rows)
    training = pd.concat([_training_trace(run) for run in runs], ignore_index=True)
    layers = pd.concat([_layer_trace(run) for run in runs], ignore_index=True)
    statements, tests = _statements(slopes, settings.window)
    recorded = _recorded_norms(runs)
    summary = {
        "settings": asdict(settings),
        "slope_layer": "top recurrent layer of each model",
        "slopes": slopes.to_dict(orient="records"),
        "lstm_vs_rnn": tests,
        "statements": statements,
        "training_norms_recorded": recorded,
        "per_layer_during_training": (
            "not recorded: steps.npz of these runs holds only the global gradient norm per step; retrain them "
            "to record grad_norm.<group>" if recorded == ["grad_norm"] else f"recorded in steps.npz: "
                                                                             f"{', '.join(recorded)}"),
    }
    caption = (f"Norm of the gradient of the loss at step t with respect to the hidden state at step k, against "
               f"the distance t − k (log scale), for RNN and LSTM language models on the {settings.split} split "
               f"(mean over {settings.positions} loss steps × {settings.batch_size} sequences × {settings.batches} "
               f"batches; line: geometric mean over seeds, band: its 95% CI over seeds, Student's t), at initialisation and after "
               f"training (top); bottom: the global gradient norm during training and the norm of each parameter "
               f"group (embedding, recurrent layer l0, l1, ..., output), before clipping, median of 25 steps.")
    summary["captions"] = {"gradients": caption}
    return AnalysisOutput({"distance": distance, "parameters": pd.DataFrame(param_rows), "training": training,
                           "layers": layers}, summary)


def run(request: Request, settings: GradientSettings) -> AnalysisOutput:
    return gradients(request.corpus_dir, request.models, settings, request.torch_device())
