"""The n-gram fit against KenLM's lmplz across corpus sizes (``benchmarks/ngram.py --tokens 2M,8M,32M``).

For each size one corpus is generated (as in ngram.py), then the two fits run in turn, paired
(rnnlab, lmplz, rnnlab, lmplz, ...), so that both see the same load from other processes; the
ratio of each pair is taken and its median reported. Each fit is a child process: wall time, CPU
time (user + system, its threads and processes included) and peak RSS (``ru_maxrss`` from
``os.wait4``) are its own. The 1-minute load average is recorded before and after each fit: other
work on the machine slows both tools, the one with more threads waiting the more. lmplz runs as
``lmplz -o ORDER -S MEMORY --discount_fallback -T DIR``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from ngram import FIGURE, FIT_CHILD, ROOT, SCALING_RECORD, generate, machine, run_process
from rnnlab.io import atomic_path, write_json


def _timed(argv: list[str], stdin: Path | None = None, stdout: Path | None = None) -> tuple[bytes, dict]:
    load = os.getloadavg()[0]
    out, wall, rss, cpu = run_process(argv, stdin=stdin, stdout=stdout, cpu=True)
    return out, {"wall_seconds": wall, "cpu_seconds": cpu, "peak_rss_mb": rss,
                 "load_1min": [round(load, 2), round(os.getloadavg()[0], 2)]}


def _fit_rnnlab(train: Path, arpa: Path, order: int, memory: str) -> dict:
    out, timing = _timed([sys.executable, "-c", FIT_CHILD, str(train), str(arpa), str(order), memory])
    fit = json.loads(out)
    return {**timing, "runs": fit["runs"], "temp_peak_mb": fit["temp_peak_bytes"] / 2**20,
            "arpa_mb": arpa.stat().st_size / 2**20}


def _fit_kenlm(lmplz: Path, train: Path, arpa: Path, order: int, memory: str, tmp: Path) -> dict:
    argv = [str(lmplz), "-o", str(order), "-S", memory, "--discount_fallback", "-T", str(tmp)]
    _, timing = _timed(argv, stdin=train, stdout=arpa)
    return {**timing, "arpa_mb": arpa.stat().st_size / 2**20}


def _summary(runs: list[dict]) -> dict:
    return {"wall_seconds": [round(r["wall_seconds"], 2) for r in runs],
            "median_wall_seconds": round(statistics.median(r["wall_seconds"] for r in runs), 2),
            "cpu_seconds": [round(r["cpu_seconds"], 2) for r in runs],
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1),
            "load_1min": [r["load_1min"] for r in runs],
            **{k: v for k, v in runs[-1].items() if k not in ("wall_seconds", "cpu_seconds", "peak_rss_mb", "load_1min")}}


def measure_size(tokens: int, args: argparse.Namespace, tmp: Path) -> dict:
    train = tmp / f"train-{tokens}.txt"
    generate(args.vocab, args.seed, (train, tokens))
    ours, theirs = [], []
    for _ in range(args.repeats):
        ours.append(_fit_rnnlab(train, tmp / "rnnlab.arpa", args.order, args.memory))
        print(f"{tokens:>11} rnnlab {ours[-1]['wall_seconds']:8.2f} s {ours[-1]['peak_rss_mb']:8.0f} MiB "
              f"load {ours[-1]['load_1min']}", flush=True)
        (tmp / "rnnlab.arpa").unlink()
        if args.kenlm:
            theirs.append(_fit_kenlm(args.kenlm, train, tmp / "kenlm.arpa", args.order, args.memory, tmp))
            print(f"{tokens:>11} lmplz  {theirs[-1]['wall_seconds']:8.2f} s {theirs[-1]['peak_rss_mb']:8.0f} MiB "
                  f"load {theirs[-1]['load_1min']}", flush=True)
            (tmp / "kenlm.arpa").unlink()
    train.unlink()
    row = {"tokens": tokens, "rnnlab": _summary(ours)}
    if theirs:
        ratios = [a["wall_seconds"] / b["wall_seconds"] for a, b in zip(ours, theirs)]
        cpu_ratios = [a["cpu_seconds"] / b["cpu_seconds"] for a, b in zip(ours, theirs)]
        row |= {"lmplz": _summary(theirs), "time_ratios": [round(r, 3) for r in ratios],
                "median_time_ratio": round(statistics.median(ratios), 3),
                "median_cpu_ratio": round(statistics.median(cpu_ratios), 3)}
    return row


def _size(tokens: int) -> str:
    return f"{tokens / 1e6:g}M" if tokens >= 10**6 else f"{tokens / 1e3:g}k"


def draw(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from matplotlib.ticker import FixedLocator, LogFormatter, NullLocator

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    tokens = [r["tokens"] for r in rows]
    for tool in ("rnnlab", "lmplz"):
        if all(tool in r for r in rows):
            axes[0].plot(tokens, [r[tool]["median_wall_seconds"] for r in rows], "o-", label=tool)
            axes[1].plot(tokens, [r[tool]["peak_rss_mb"] for r in rows], "o-", label=tool)
    for ax, label in zip(axes, ("fit wall time (s, median)", "peak RSS (MiB)")):
        ax.set(xscale="log", yscale="log", xlabel="training tokens", ylabel=label)
        # One labelled tick per measured size (log axes otherwise label minor ticks that overlap).
        ax.xaxis.set_major_locator(FixedLocator(tokens))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([_size(t) for t in tokens])
        ax.yaxis.set_major_formatter(LogFormatter())  # 300, not 3 x 10^2; minor ticks thinned out
        ax.yaxis.set_minor_formatter(LogFormatter(minor_thresholds=(1, 0.4)))
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
