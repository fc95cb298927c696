"""The n-gram fit against KenLM's lmplz across corpus sizes (``benchmarks/ngram.py --tokens 2M,8M,32M``).

For each size one corpus is generated (as in ngram.py), then the two fits run in turn, paired
(rnnlab, lmplz, rnnlab, lmplz, ...), so that both see the same load from other processes; the
ratio of each pair is taken and its median reported. Each fit is a child process: wall time and
peak RSS (``ru_maxrss`` from ``os.wait4``) are its own. lmplz runs as
``lmplz -o ORDER -S MEMORY --discount_fallback -T DIR``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from ngram import FIGURE, FIT_CHILD, ROOT, SCALING_RECORD, generate, machine, run_child, run_process
from rnnlab.io import atomic_path, write_json


def _fit_rnnlab(train: Path, arpa: Path, order: int, memory: str) -> dict:
    out, wall, rss = run_child(FIT_CHILD, str(train), str(arpa), str(order), memory)
    return {"wall_seconds": wall, "peak_rss_mb": rss, "runs": out["runs"], "temp_peak_mb": out["temp_peak_bytes"] / 2**20,
            "arpa_mb": arpa.stat().st_size / 2**20}


def _fit_kenlm(lmplz: Path, train: Path, arpa: Path, order: int, memory: str, tmp: Path) -> dict:
    argv = [str(lmplz), "-o", str(order), "-S", memory, "--discount_fallback", "-T", str(tmp)]
    _, wall, rss = run_process(argv, stdin=train, stdout=arpa)
    return {"wall_seconds": wall, "peak_rss_mb": rss, "arpa_mb": arpa.stat().st_size / 2**20}


def _summary(runs: list[dict]) -> dict:
    return {"wall_seconds": [round(r["wall_seconds"], 2) for r in runs],
            "median_wall_seconds": round(statistics.median(r["wall_seconds"] for r in runs), 2),
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1),
            **{k: v for k, v in runs[-1].items() if k not in ("wall_seconds", "peak_rss_mb")}}


def measure_size(tokens: int, args: argparse.Namespace, tmp: Path) -> dict:
    train = tmp / f"train-{tokens}.txt"
    generate(args.vocab, args.seed, (train, tokens))
    ours, theirs = [], []
    for _ in range(args.repeats):
        ours.append(_fit_rnnlab(train, tmp / "rnnlab.arpa", args.order, args.memory))
        print(f"{tokens:>11} rnnlab {ours[-1]['wall_seconds']:8.2f} s {ours[-1]['peak_rss_mb']:8.0f} MiB", flush=True)
        (tmp / "rnnlab.arpa").unlink()
        if args.kenlm:
            theirs.append(_fit_kenlm(args.kenlm, train, tmp / "kenlm.arpa", args.order, args.memory, tmp))
            print(f"{tokens:>11} lmplz  {theirs[-1]['wall_seconds']:8.2f} s {theirs[-1]['peak_rss_mb']:8.0f} MiB",
                  flush=True)
            (tmp / "kenlm.arpa").unlink()
    train.unlink()
    row = {"tokens": tokens, "rnnlab": _summary(ours)}
    if theirs:
        ratios = [a["wall_seconds"] / b["wall_seconds"] for a, b in zip(ours, theirs)]
        row |= {"lmplz": _summary(theirs), "time_ratios": [round(r, 3) for r in ratios],
                "median_time_ratio": round(statistics.median(ratios), 3)}
    return row


def draw(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    tokens = [r["tokens"] for r in rows]
    for tool in ("rnnlab", "lmplz"):
        if all(tool in r for r in rows):
            axes[0].plot(tokens, [r[tool]["median_wall_seconds"] for r in rows], "o-", label=tool)
            axes[1].plot(tokens, [r[tool]["peak_rss_mb"] for r in rows], "o-", label=tool)
    for ax, label in zip(axes, ("fit wall time (s, median)", "peak RSS (MiB)")):
        ax.set(xscale="log", yscale="log", xlabel="training tokens", ylabel=label)
        ax.legend()
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=80)
    plt.close(fig)


def sweep(args: argparse.Namespace) -> int:
    if args.kenlm and not shutil.which(str(args.kenlm)):
        raise SystemExit(f"--kenlm {args.kenlm}: not an executable; give the path of KenLM's lmplz")
    output, figure = args.output or SCALING_RECORD, args.figure or FIGURE
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="rnnlab-ngram-scaling-", dir=args.temp_dir) as tmp:
        for tokens in args.tokens:  # recorded after every size, so a long sweep keeps what it measured
            rows = sorted([*rows, measure_size(tokens, args, Path(tmp))], key=lambda row: row["tokens"])
            write_json(output, {
                "benchmark": "ngram fit scaling against KenLM lmplz (order-5 modified Kneser-Ney)",
                "machine": machine(),
                "command": " ".join(["python", "benchmarks/ngram.py", *sys.argv[1:]]),
                "settings": {"vocab": args.vocab, "order": args.order, "seed": args.seed, "memory": args.memory,
                             "repeats": args.repeats, "kenlm": str(args.kenlm) if args.kenlm else None},
                "sizes": rows,
            })
            draw(rows, figure)
    print(f"recorded in {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}; figure {figure}")
    return 0
