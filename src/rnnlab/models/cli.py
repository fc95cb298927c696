"""``rnnlab train`` and ``rnnlab models``: train any registered model by name."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import ConfigError
from .registry import TASKS, EvalRequest, TrainRequest, build_registry, get_model


def _params(text: str | None) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--params-json is not valid JSON ({exc.msg}); pass an object like '{{\"lr\": 0.1}}'") from None
    if not isinstance(value, dict):
        raise ConfigError("--params-json must be a JSON object of hyperparameters")
    return value


def _runs(args: argparse.Namespace) -> list[tuple[int, str, str | None, str | None]]:
    """(seed, --out, --checkpoint-dir, --metrics-out) of each run, paired by position."""
    seeds = args.seed
    lists = {"--out": args.out, "--checkpoint-dir": args.checkpoint_dir, "--metrics-out": args.metrics_out}
    for option, values in lists.items():
        if values is not None and len(values) != len(seeds):
            raise ConfigError(f"{option} names {len(values)} path(s) but --seed names {len(seeds)} seed(s); "
                              f"give one {option} per seed, in the order of --seed")
    if len(set(args.out)) != len(args.out):
        raise ConfigError("--out names the same folder twice; give each seed its own folder")
    return [(seed, args.out[i], args.checkpoint_dir[i] if args.checkpoint_dir else None,
             args.metrics_out[i] if args.metrics_out else None) for i, seed in enumerate(seeds)]


def _cmd_train(args: argparse.Namespace) -> int:
    entry = get_model(args.model, args.task)
    params = _params(args.params_json)
    if args.metrics_out:
        # Scored in the same process: a second `rnnlab evaluate` job would start Python, torch and the
        # model again for every run.
        from ..evaluate import evaluate_to_csv
    # Several seeds run one after another in this process: each run seeds every generator itself, so
    # it trains exactly as it would in a process of its own, without paying Python's and torch's
    # start-up again. Each finished seed keeps its checkpoint until every seed is done: if a later
    # one fails, the rerun (Snakemake deletes all the job's outputs) restores it instead of retraining.
    runs = _runs(args)
    keep = len(runs) > 1
    for seed, out, checkpoints, metrics_out in runs:
        entry.train(TrainRequest(
            corpus=args.corpus, corpus_dir=Path(args.corpus_dir), out_dir=Path(out), task=args.task,
            seed=seed, params=params, device=args.device, backend=args.backend,
            checkpoint_dir=Path(checkpoints) if checkpoints else None, keep_checkpoint=keep, threads=args.threads,
            memory=args.memory,
        ))
        print(f"trained {args.model} on {args.corpus} (seed {seed}) -> {out}", flush=True)
        if metrics_out:
            req = EvalRequest(corpus=args.corpus, corpus_dir=Path(args.corpus_dir), model_dir=Path(out),
                              task=args.task, seed=seed, device=args.device, backend=args.backend)
            evaluate_to_csv(req, args.model, Path(metrics_out))
            print(f"scored {args.model} on the valid and test splits -> {metrics_out}", flush=True)
    if keep:
        from ..train import discard_checkpoint  # loads torch: only where several seeds ran

        for _, out, checkpoints, _ in runs:
            discard_checkpoint(Path(checkpoints or out), Path(out))
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    for name, e in sorted(build_registry().items()):
        print(f"{name:14s} {e.family:7s} {','.join(e.tasks):22s} {e.description}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="Train one model on one processed corpus.",
                       description="Train a registered model (see `rnnlab models`) and write it to --out.")
    p.add_argument("--model", required=True, help="Model name, e.g. ngram-kn3, ngram-nb, lstm.")
    p.add_argument("--task", required=True, choices=TASKS, help="Task the model is trained for.")
    p.add_argument("--corpus", required=True, help="Corpus name (recorded in the metrics).")
    p.add_argument("--corpus-dir", required=True, help="Processed corpus folder (from `rnnlab prepare`).")
    p.add_argument("--out", required=True, nargs="+",
                   help="Output folder of the trained model; one per seed, in the order of --seed.")
    p.add_argument("--seed", type=int, nargs="+", default=[0],
                   help="Random seed (default 0); several seeds train one after another in this process.")
    p.add_argument("--params-json", help="Hyperparameters as a JSON object; unknown keys are refused.")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (neural models only).")
    p.add_argument("--backend", default=None,
                   help="Recurrent backend: auto or one of the registered ones (loop, torch, cpu, triton "
                        "where installed); default: auto on CUDA (triton checked against torch and timed "
                        "before the first step), cpu on the CPU.")
    p.add_argument("--checkpoint-dir", nargs="+",
                   help="Folder for resumable checkpoints (neural models); one per seed.")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for this job (default 1).")
    p.add_argument("--memory", help="Memory budget of n-gram LM counting, e.g. 2G (config ngram.memory); "
                   "other models ignore it.")
    p.add_argument("--metrics-out", nargs="+", help="Also score the trained model on the valid and test splits "
                   "and write its tidy metric rows here (CSV), as `rnnlab evaluate` does; one per seed.")
    p.set_defaults(func=_cmd_train)
    m = sub.add_parser("models", help="List the registered models.", description="List every registered model.")
    m.set_defaults(func=_cmd_models)
