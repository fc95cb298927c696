"""``rnnlab analyze``: the lecture's claims measured on trained models, one sub-action per analysis.

Every analysis returns an :class:`AnalysisOutput` (tidy tables and a JSON summary holding the
figure captions) that :func:`write_output` puts into one folder atomically::

    <out>/<table>.csv  summary.json  [<figure>.{png,pdf,svg}  <figure>.txt  index.json]

Each analysis module has ``redraw(folder)``, which draws its figures from those cached files
alone; ``rnnlab figures --analysis`` calls it for every folder, and ``rnnlab analyze`` draws them
into --out too unless --no-figures is given. The modules are imported only when needed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping

from ..errors import ConfigError, RnnlabError
from ..io import atomic_dir, read_json, write_json, write_text


@dataclass
class AnalysisOutput:
    """Tables by name and a JSON-serialisable summary (with ``captions``: figure name -> caption)."""

    tables: dict[str, Any]
    summary: dict[str, Any]


@dataclass(frozen=True)
class RunId:
    """A trained model folder ``.../<model>/seed<n>``: the model's name in the config and the seed."""

    path: Path
    model: str
    seed: int


def run_id(model_dir: str | Path) -> RunId:
    path = Path(model_dir)
    if not path.is_dir():
        raise RnnlabError(f"{path}: model folder not found; train the model first (rnnlab train ... --out {path})")
    match = re.fullmatch(r"seed(\d+)", path.name)
    if match is None:
        raise RnnlabError(f"{path}: a model folder must be named seed<N> inside its model's folder, "
                          "e.g. results/models/<corpus>/<model>/seed1")
    return RunId(path, path.parent.name, int(match.group(1)))


def model_meta(run: RunId) -> dict[str, Any]:
    path = run.path / "model.json"
    if not path.exists():
        raise RnnlabError(f"{path} is missing: {run.path} is not a finished neural model; train it first")
    return read_json(path)


Figures = list[tuple[str, Any, str]]  # (name, matplotlib figure or None, caption)


def redraw(action: str, folder: str | Path) -> Figures:
    """The figures of ``action`` drawn from the CSVs and summary.json in ``folder`` (no recomputation)."""
    folder = Path(folder)
    if not (folder / "summary.json").exists():
        raise RnnlabError(f"{folder}/summary.json is missing: run `rnnlab analyze {action} --out {folder}` first")
    return importlib.import_module(ACTIONS[action].module).redraw(folder)


def save_figures(folder: Path, figures: Figures, suffix: str = "") -> list[dict[str, str]]:
    """Save each figure as ``<name><suffix>.{png,pdf,svg}`` + ``.txt`` caption; returns the index."""
    import matplotlib.pyplot as plt

    from ..plots import FORMATS

    made = []
    for name, fig, caption in figures:
        if fig is None:
            continue
        stem = f"{name}{suffix}"
        for fmt in FORMATS:
            fig.savefig(folder / f"{stem}.{fmt}", dpi=150 if fmt == "png" else None, bbox_inches="tight")
        plt.close(fig)
        write_text(folder / f"{stem}.txt", caption + "\n")
        made.append({"name": stem, "caption": caption})
    return made


def write_into(folder: Path, output: AnalysisOutput, action: str | None = None) -> list[dict[str, str]]:
    """Write ``output`` into an existing folder, then (when ``action`` is given) its figures and
    index.json, redrawn from the files just written; returns the figure index."""
    for name, table in output.tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    write_json(folder / "summary.json", _finite(json.loads(json.dumps(output.summary, default=_plain))))
    if action is None:
        return []
    made = save_figures(folder, redraw(action, folder))
    write_json(folder / "index.json", made)
    return made


def write_output(out_dir: str | Path, output: AnalysisOutput, action: str | None = None) -> None:
    with atomic_dir(out_dir) as tmp:
        write_into(tmp, output, action)


def _plain(value: Any) -> Any:
    """JSON fallback for numpy scalars and arrays."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _finite(value: Any) -> Any:
    """NaN and infinities become null, so that summary.json is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _setup_torch(args: argparse.Namespace) -> Any:
    import torch

    from ..models.neural import resolve_device

    torch.set_num_threads(args.threads)
    return resolve_device(args.device)


def _report(args: argparse.Namespace, output: AnalysisOutput, lines: list[str]) -> int:
    for line in lines:
        print(line)
    figures = "no figures" if args.no_figures else "figures"
    print(f"wrote {args.out}/ ({', '.join(f'{n}.csv' for n in output.tables)}, summary.json, {figures})")
    return 0


def _drawn(args: argparse.Namespace) -> str | None:
    """The action whose figures go into --out, or None with --no-figures."""
    return None if args.no_figures else args.analysis


def _cmd_gradients(args: argparse.Namespace) -> int:
    gradients = importlib.import_module("rnnlab.analysis.gradients")
    settings = gradients.GradientSettings(split=args.split, window=args.window, positions=args.positions,
                                          batch_size=args.batch_size, batches=args.batches, warmup=args.warmup)
    output = gradients.gradients(Path(args.corpus_dir), args.models, settings, _setup_torch(args))
    write_output(args.out, output, _drawn(args))
    return _report(args, output, output.summary["statements"])


def _cmd_clipping(args: argparse.Namespace) -> int:
    clipping = importlib.import_module("rnnlab.analysis.clipping")
    try:
        extra = json.loads(args.params_json) if args.params_json else {}
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--params-json is not valid JSON ({exc.msg}); pass an object like '{{\"hidden\": 64}}'") \
            from None
    settings = clipping.ClippingSettings(model=args.model, lr=args.lr, clip=args.clip, seeds=tuple(args.seeds),
                                         max_batches=args.max_batches, params=extra)
    corpus_dir = Path(args.corpus_dir)
    with atomic_dir(args.out) as tmp:
        output = clipping.clipping(args.corpus or corpus_dir.name, corpus_dir, tmp / "runs", settings,
                                   device=args.device, threads=args.threads)
        write_into(tmp, output, _drawn(args))
    return _report(args, output, output.summary["statements"])


def _cmd_long_distance(args: argparse.Namespace) -> int:
    long_distance = importlib.import_module("rnnlab.analysis.long_distance")
    output = long_distance.long_distance(Path(args.corpus_dir), args.models, args.split, _setup_torch(args))
    write_output(args.out, output, _drawn(args))
    return _report(args, output, output.summary["statements"])


def _cmd_bidirectional(args: argparse.Namespace) -> int:
    bidirectional = importlib.import_module("rnnlab.analysis.bidirectional")
    output = bidirectional.bidirectional(Path(args.corpus_dir), args.models, args.split, args.length_buckets,
                                         _setup_torch(args))
    write_output(args.out, output, _drawn(args))
    return _report(args, output, output.summary["statements"])


def _cmd_significance(args: argparse.Namespace) -> int:
    significance = importlib.import_module("rnnlab.analysis.significance")
    output = significance.significance(args.metrics)
    write_output(args.out, output, _drawn(args))
    return _report(args, output, output.summary["sentences"])


def _out(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="Output folder (replaced as a whole).")
    p.add_argument("--no-figures", action="store_true",
                   help="Write only the tables and summary.json; `rnnlab figures --analysis` draws the figures "
                        "from them (the pipeline does so).")


def _common(p: argparse.ArgumentParser, models: bool = True) -> None:
    p.add_argument("--corpus-dir", required=True, help="Processed corpus folder (from `rnnlab prepare`).")
    _out(p)
    if models:
        p.add_argument("models", nargs="+", metavar="MODEL_DIR",
                       help="Trained model folders results/models/<corpus>/<model>/seed<N>.")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu).")
    p.add_argument("--threads", type=int, default=1, help="CPU threads (default 1).")


def _gradients_args(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--split", default="valid", help="Split the gradients are measured on (default valid).")
    p.add_argument("--window", type=int, default=50,
                   help="Unrolled steps per sequence: largest distance + 1 (default 50).")
    p.add_argument("--positions", type=int, default=8, help="Loss steps t per sequence, the last ones (default 8).")
    p.add_argument("--batch-size", type=int, default=16, help="Sequences per batch (default 16).")
    p.add_argument("--batches", type=int, default=4, help="Batches averaged over (default 4).")
    p.add_argument("--warmup", type=int, default=50, help="Steps run first to warm up the state (default 50).")


def _clipping_args(p: argparse.ArgumentParser) -> None:
    _common(p, models=False)
    p.add_argument("--corpus", help="Corpus name recorded with the runs (default: the folder's name).")
    p.add_argument("--model", default="rnn", choices=("rnn", "lstm"), help="Recurrent LM to train (default rnn).")
    p.add_argument("--lr", type=float, default=5.0, help="SGD learning rate (default 5.0).")
    p.add_argument("--clip", type=float, default=0.25, help="Max gradient norm of the clipped runs (default 0.25).")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="Seeds (default 1 2 3).")
    p.add_argument("--max-batches", type=int, default=150, help="Training steps per run (default 150).")
    p.add_argument("--params-json", help="Model hyperparameters as a JSON object (emb, hidden, bptt, ...).")


def _long_distance_args(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--split", default="test", help="Split to read (default test).")


def _bidirectional_args(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--split", default=None, help="Split to read (default test, else valid).")
    p.add_argument("--length-buckets", type=int, default=4, help="Sentence-length buckets (quantiles, default 4).")


def _significance_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--metrics", default="results/metrics.csv", help="Tidy metrics table (rnnlab collect).")
    _out(p)


@dataclass(frozen=True)
class Action:
    help: str
    description: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    module: str  # has redraw(folder) -> figures
    title: str  # of its section in the figure index and the report


ACTIONS: Mapping[str, Action] = MappingProxyType({
    "gradients": Action(
        "Vanishing gradients: ||dJ(t)/dh(k)|| against t-k, RNN vs LSTM, at init and trained.",
        "For each RNN/LSTM language model, the norm of the gradient of the loss at step t with respect to the "
        "hidden state at step k, averaged over positions and batches, against the distance t-k; for the freshly "
        "initialised network (same seed and config) and the trained one. Writes distance.csv, parameters.csv, "
        "summary.json and the figure.",
        _gradients_args, _cmd_gradients, "rnnlab.analysis.gradients", "Vanishing gradients"),
    "clipping": Action(
        "Exploding gradients: train an RNN LM with and without gradient-norm clipping.",
        "Trains the model once per seed with SGD at --lr without clipping and with clipping at --clip (runs kept "
        "under <out>/runs), then reads each run's per-step loss and pre-clip gradient norm (steps.npz) and its "
        "status (diverged or not). Writes traces.csv, runs.csv, summary.json and the figure.",
        _clipping_args, _cmd_clipping, "rnnlab.analysis.clipping", "Exploding gradients and clipping"),
    "long-distance": Action(
        "Long-distance dependencies: recall of a cue word against distance, per model.",
        "On a corpus with {split}.probes.tsv: the probability of the probed word, whether it is the argmax over "
        "the vocabulary, and whether it is the argmax among the cue nouns, against the distance to its cue, for "
        "n-gram, window, RNN and LSTM LMs. On any corpus: the loss of a word against the distance to its previous "
        "occurrence in the line. Writes probes.csv (when probes exist), recurrence.csv, summary.json, figures.",
        _long_distance_args, _cmd_long_distance, "rnnlab.analysis.long_distance", "Long-distance dependencies"),
    "bidirectional": Action(
        "Bidirectionality: classifier accuracy by evidence position, construction and length.",
        "Accuracy of each trained classifier (RNN, LSTM, BiLSTM and variants <model>-<variant>) broken down by "
        "every extra column of the split (e.g. position, construction) and by sentence-length bucket. Writes "
        "breakdown.csv, summary.json and the figure.",
        _bidirectional_args, _cmd_bidirectional, "rnnlab.analysis.bidirectional", "Bidirectionality and depth"),
    "significance": Action(
        "Mean ± 95%% CI over seeds and paired tests between models, with sentences.",
        "Headline numbers (mean and 95% CI over seeds) and every pairwise comparison of models (paired t-test "
        "over shared seeds; one-sample test against a deterministic model's single run), each phrased as a "
        "sentence that says 'better' only when the CI of the difference excludes 0. Writes headline.csv, "
        "comparisons.csv, summary.json and the figure.",
        _significance_args, _cmd_significance, "rnnlab.analysis.significance", "Significance of the differences"),
})


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="Analyses of trained models: gradients, clipping, long distance, ...",
                       description="Measure the lecture's claims on trained models; each action writes tidy CSVs, "
                                   "a JSON summary and a figure (PNG, PDF, SVG + caption) into --out.")
    actions = p.add_subparsers(dest="analysis", metavar="ANALYSIS", required=True)
    for name, action in ACTIONS.items():
        parser = actions.add_parser(name, help=action.help, description=action.description)
        action.arguments(parser)
        parser.set_defaults(func=action.run)
