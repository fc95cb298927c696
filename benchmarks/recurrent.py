"""Forward and forward+backward time of the recurrent backends: triton vs torch (cuDNN) vs loop.

One layer, one direction, input size = hidden size, dense (T, B, H) input. "forward" runs under
torch.no_grad (inference); "forward+backward" runs the forward with autograd and backpropagates a
fixed upstream gradient of the output. Medians of repeated timings (CUDA events) after warm-up.

    python benchmarks/recurrent.py                  # full grid on the GPU
    python benchmarks/recurrent.py --quick          # a subset
    python benchmarks/recurrent.py --device cpu --quick --hidden 32 --batch 4 --steps 8
Writes JSON and a seaborn figure (default benchmarks/results/recurrent.json and .png).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import itertools
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import torch

import rnnlab.nn as rnn_nn
from rnnlab.io import atomic_path, write_json

RESULTS = Path(__file__).resolve().parent / "results"
GATES = {"rnn": 1, "lstm": 4}
MODULES = {"rnn": rnn_nn.RNN, "lstm": rnn_nn.LSTM}
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
# Dense peaks: bf16 tensor-core FLOP/s, fp32 CUDA-core FLOP/s (TF32 off), tf32 tensor-core FLOP/s,
# and memory bytes/s. Matched on the upper-cased device name with "-" as spaces: the first entry whose
# words all occur wins. Sources: NVIDIA's data sheets, whose tensor-core figures are "with sparsity",
# halved here for dense.
PEAKS = [
    # NVIDIA H200 Tensor Core GPU data sheet (SXM): BF16 1,979 TFLOPS sparse, FP32 67, TF32 989 sparse, 4.8 TB/s.
    (("H200",), {"bfloat16": 989e12, "float32": 67e12, "tf32": 494e12, "bytes": 4.8e12}),
    # NVIDIA H100 NVL data sheet (94 GB): BF16 1,671 TFLOPS sparse, FP32 60, TF32 835 sparse, 3.9 TB/s.
    (("H100", "NVL"), {"bfloat16": 835e12, "float32": 60e12, "tf32": 418e12, "bytes": 3.9e12}),
    # NVIDIA H100 Tensor Core GPU data sheet, PCIe: BF16 1,513 TFLOPS sparse, FP32 51, TF32 756 sparse, 2.0 TB/s.
    (("H100", "PCIE"), {"bfloat16": 756e12, "float32": 51e12, "tf32": 378e12, "bytes": 2.0e12}),
    # NVIDIA H100 Tensor Core GPU data sheet, SXM: BF16 1,979 TFLOPS sparse, FP32 67, TF32 989 sparse, 3.35 TB/s.
    (("H100",), {"bfloat16": 989e12, "float32": 67e12, "tf32": 494e12, "bytes": 3.35e12}),
    # NVIDIA A100 Tensor Core GPU data sheet: BF16 312 TFLOPS dense, FP32 19.5, TF32 156 dense; memory
    # 1,935 GB/s (80 GB PCIe), 1,555 GB/s (40 GB), 2,039 GB/s (80 GB SXM).
    (("A100", "80GB", "PCIE"), {"bfloat16": 312e12, "float32": 19.5e12, "tf32": 156e12, "bytes": 1.935e12}),
    (("A100", "PCIE"), {"bfloat16": 312e12, "float32": 19.5e12, "tf32": 156e12, "bytes": 1.555e12}),
    (("A100", "80GB"), {"bfloat16": 312e12, "float32": 19.5e12, "tf32": 156e12, "bytes": 2.039e12}),
    (("A100",), {"bfloat16": 312e12, "float32": 19.5e12, "tf32": 156e12, "bytes": 1.555e12}),
]
# cuDNN's published anchor (FlashRNN, Pöppel et al. 2024): LSTM, B = 16, T = 1024, H = 768, bfloat16,
# H100; timed first, so a run cut short by its time budget still compares with it.
ANCHOR = {"cell": "lstm", "dtype": "bfloat16", "hidden": 768, "batch": 16, "steps": 1024,
          "forward_ms": 2.01, "forward+backward_ms": 5.19}
GRID = {"hidden": (128, 256, 512, 1024), "batch": (16, 64, 256), "steps": (64, 1024)}
QUICK_GRID = {"hidden": (128, 1024), "batch": (16, 256), "steps": (64,)}
MODES = ("forward", "forward+backward")


@dataclass(frozen=True)
class Config:
    cell: str
    dtype: str
    steps: int
    hidden: int
    batch: int

    def flops(self, mode: str) -> float:
        """Matmul FLOPs: 2·T·B·G·H·(I + H) forward (I = H); backward twice that."""
        forward = 2.0 * self.steps * self.batch * GATES[self.cell] * self.hidden * 2 * self.hidden
        return forward if mode == "forward" else 3 * forward

    @property
    def is_anchor(self) -> bool:
        return all(getattr(self, key) == ANCHOR[key] for key in ("cell", "dtype", "hidden", "batch", "steps"))

    def bytes(self, mode: str) -> float:
        """Least traffic: input, weights and output once each (forward); three times that with backward."""
        size = torch.finfo(DTYPES[self.dtype]).bits // 8
        weights = GATES[self.cell] * self.hidden * 2 * self.hidden
        forward = size * (2 * self.steps * self.batch * self.hidden + weights)
        return forward if mode == "forward" else 3 * forward


def device_peaks(name: str) -> dict[str, float] | None:
    words = name.upper().replace("-", " ")
    for needles, peaks in PEAKS:
        if all(needle in words for needle in needles):
            return peaks
    return None


def timer(device: torch.device) -> Callable[[Callable[[], None]], float]:
    """Milliseconds of one call: CUDA events on the GPU, perf_counter on the CPU."""
    if device.type == "cuda":
        def cuda_time(fn: Callable[[], None]) -> float:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end)

        return cuda_time

    def cpu_time(fn: Callable[[], None]) -> float:
        start = time.perf_counter()
        fn()
        return 1e3 * (time.perf_counter() - start)

    return cpu_time


def measure(fn: Callable[[], None], time_ms: Callable, warmup: int, repeats: int, max_s: float) -> list[float]:
    """Times of up to ``repeats`` calls after ``warmup`` untimed ones; stops past ``max_s`` seconds (>= 3 calls)."""
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    while len(samples) < repeats and (len(samples) < min(3, repeats) or sum(samples) < 1e3 * max_s):
        samples.append(time_ms(fn))
    return samples


def workloads(config: Config, backend: str, device: torch.device) -> dict[str, Callable[[], None]]:
    """The forward and forward+backward calls of one configuration."""
    dtype = DTYPES[config.dtype]
    module = MODULES[config.cell](config.hidden, config.hidden, backend=backend, device=device, dtype=dtype)
    x = torch.randn(config.steps, config.batch, config.hidden, device=device, dtype=dtype, requires_grad=True)
    upstream = torch.randn(config.steps, config.batch, config.hidden, device=device, dtype=dtype)

    def forward() -> None:
        with torch.no_grad():
            module(x)

    def forward_backward() -> None:
        module(x)[0].backward(upstream)

    return {"forward": forward, "forward+backward": forward_backward}


def unavailable(backend: str, device: torch.device) -> str | None:
    """Why ``backend`` cannot be timed on ``device``, or None."""
    if backend != "triton":
        return None
    if device.type != "cuda":
        return "triton needs CUDA (the CPU interpreter is for tests, not timing)"
    if importlib.util.find_spec("triton") is None:
        return "triton is not installed"
    return None


def machine(device: torch.device) -> dict:
    info = {"python": platform.python_version(), "torch": torch.__version__, "platform": platform.platform(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "device": str(device)}
    if importlib.util.find_spec("triton") is not None:
        import triton

        info["triton"] = triton.__version__
    if device.type == "cuda":
        info.update(device_name=torch.cuda.get_device_name(device), cuda=torch.version.cuda,
                    cudnn=torch.backends.cudnn.version(), driver=driver_version(),
                    capability=".".join(map(str, torch.cuda.get_device_capability(device))),
                    sms=torch.cuda.get_device_properties(device).multi_processor_count)
    return info


def driver_version() -> str | None:
    """The NVIDIA driver's version, as nvidia-smi reports it (None without nvidia-smi)."""
    try:
        run = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return run.stdout.strip().splitlines()[0] if run.returncode == 0 and run.stdout.strip() else None


def device_slug(device: torch.device) -> str:
    """The device's name for file names: ``NVIDIA H100 80GB HBM3`` -> ``nvidia-h100-80gb-hbm3``."""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def make_figure(rows: list[dict], path: Path) -> None:
    """Median time against hidden size, per backend (colour) and batch (marker); a panel per setting and mode."""
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd
    import seaborn as sns
    from matplotlib.ticker import NullLocator

    frame = pd.DataFrame([row for row in rows if row["status"] == "ok"])
    if frame.empty:
        return
    frame["panel"] = (frame["cell"] + " " + frame["dtype"] + " T=" + frame["steps"].astype(str) + "\n"
                      + frame["mode"])
    backends = [name for name in ("triton", "torch", "loop") if name in set(frame["backend"])]
    backends += sorted(set(frame["backend"]) - set(backends))
    grid = sns.relplot(data=frame, x="hidden", y="median_ms", hue="backend", hue_order=backends, style="batch",
                       col="panel", col_wrap=min(4, frame["panel"].nunique()), kind="line", markers=True,
                       height=2.8, aspect=1.15, facet_kws={"sharey": False})
    hidden_sizes = sorted(set(frame["hidden"]))
    for ax in grid.axes.flat:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(hidden_sizes, [str(size) for size in hidden_sizes])
        ax.xaxis.set_minor_locator(NullLocator())
    grid.set_axis_labels("hidden size H", "median time (ms)")
    grid.set_titles("{col_name}")
    with atomic_path(path) as tmp:
        grid.savefig(tmp, dpi=110, format=path.suffix.lstrip(".") or "png")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu (output format only)")
    parser.add_argument("--quick", action="store_true", help=f"the subset {QUICK_GRID}")
    parser.add_argument("--cells", nargs="+", choices=sorted(GATES), default=["lstm", "rnn"])
    parser.add_argument("--backends", nargs="+", default=["triton", "torch", "loop"],
                        help="registered backends to time (default: triton torch loop)")
    parser.add_argument("--dtypes", nargs="+", choices=sorted(DTYPES), default=["float32", "bfloat16"])
    parser.add_argument("--hidden", nargs="+", type=int, help=f"hidden sizes (default {GRID['hidden']})")
    parser.add_argument("--batch", nargs="+", type=int, help=f"batch sizes (default {GRID['batch']})")
    parser.add_argument("--steps", nargs="+", type=int, help=f"sequence lengths (default {GRID['steps']})")
    parser.add_argument("--warmup", type=int, default=2, help="untimed calls before timing (default 2)")
    parser.add_argument("--repeats", type=int, help="timed calls per measurement (default 10, quick 3)")
    parser.add_argument("--max-seconds", type=float, default=2.0,
                        help="stop repeating a measurement once its timed calls took this long (default 2)")
    parser.add_argument("--budget-s", type=float,
                        help="skip the remaining (most expensive) configurations after this many seconds")
    parser.add_argument("--tf32", action="store_true",
                        help="allow TF32 in float32 matmuls and cuDNN (default: off, exact float32 everywhere)")
    parser.add_argument("--json", type=Path, default=RESULTS / "recurrent.json",
                        help="where to write the results, rewritten after every configuration; 'device' in the "
                             "name becomes the device's, e.g. benchmarks/results/recurrent-device.json")
    parser.add_argument("--figure", type=Path, default=RESULTS / "recurrent.png", help="where to write the figure")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("error: no CUDA device; run with --device cpu to check the output format", file=sys.stderr)
        return 2
    unknown = [name for name in args.backends if name not in rnn_nn.available_backends()]
    if unknown:
        print(f"error: unknown backend(s) {unknown}; registered: {rnn_nn.available_backends()}", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = args.tf32
    grid = QUICK_GRID if args.quick else GRID
    sizes = {key: getattr(args, key) or grid[key] for key in GRID}
    repeats = args.repeats or (3 if args.quick else 10)
    configs = [Config(cell, dtype, steps, hidden, batch) for cell, dtype, steps, hidden, batch in itertools.product(
        args.cells, args.dtypes, sizes["steps"], sizes["hidden"], sizes["batch"])]
    # cuDNN's anchor first, then the cheapest: a budget cut drops the most expensive.
    configs.sort(key=lambda config: (not config.is_anchor, config.flops("forward")))
    if "device" in args.json.name:
        args.json = args.json.with_name(args.json.name.replace("device", device_slug(device)))
    peaks = device_peaks(torch.cuda.get_device_name(device)) if device.type == "cuda" else None
    notes = [f"{name}: skipped: {why}" for name in args.backends if (why := unavailable(name, device))]
    for note in notes:
        print(note, file=sys.stderr)
    time_ms = timer(device)
    started = time.monotonic()
    rows: list[dict] = []
    info = machine(device)  # once: it runs nvidia-smi

    def save() -> None:
        """Write what has been measured so far, so a run stopped by a time-out keeps it."""
        result = {
            "benchmark": "recurrent layer: triton vs torch vs loop, forward and forward+backward",
            "machine": info,
            "settings": {"sizes": sizes, "cells": args.cells, "dtypes": args.dtypes, "backends": args.backends,
                         "warmup": args.warmup, "repeats": repeats, "max_seconds": args.max_seconds,
                         "budget_s": args.budget_s, "tf32": args.tf32, "quick": args.quick,
                         "layers": 1, "bidirectional": False, "input_size": "= hidden"},
            "model": {"flops": "matmul FLOPs 2*T*B*G*H*(I+H) forward (G gates, I = H), 3x that with backward",
                      "bytes": "input, weights and output once each in the dtype (forward), 3x with backward",
                      "peaks": "dense data-sheet peaks by device name; omitted for unknown devices"},
            "peaks": peaks,
            "cudnn_anchor": {**ANCHOR, "source": "FlashRNN (Pöppel et al. 2024), H100, published"},
            "notes": notes,
            "results": rows,
            "seconds": time.monotonic() - started,
        }
        write_json(args.json, result)

    for config in configs:
        for backend in args.backends:
            why = unavailable(backend, device)
            over = args.budget_s is not None and time.monotonic() - started > args.budget_s
            if why is None and over:
                why = f"time budget of {args.budget_s:.0f} s spent"
            runs = workloads(config, backend, device) if why is None else {}
            for mode in MODES:
                row = {**asdict(config), "backend": backend, "mode": mode, "status": "skipped", "reason": why}
                if why is None:
                    samples = measure(runs[mode], time_ms, args.warmup, repeats, args.max_seconds)
                    row.update(status="ok", reason=None, samples_ms=samples, median_ms=statistics.median(samples))
                    seconds = row["median_ms"] / 1e3
                    row.update(flops=config.flops(mode), bytes=config.bytes(mode),
                               flop_per_s=config.flops(mode) / seconds, bytes_per_s=config.bytes(mode) / seconds)
                    if peaks is not None:
                        flop_peak = peaks["tf32" if args.tf32 and config.dtype == "float32" else config.dtype]
                        row.update(fraction_of_peak_flops=row["flop_per_s"] / flop_peak,
                                   fraction_of_peak_bytes=row["bytes_per_s"] / peaks["bytes"])
                    print(f"{config.cell:4} {config.dtype:8} T={config.steps:<5} H={config.hidden:<5} "
                          f"B={config.batch:<4} {backend:6} {mode:16} {row['median_ms']:10.3f} ms "
                          f"{row['flop_per_s'] / 1e12:8.3f} TFLOP/s", flush=True)
                rows.append(row)
            if device.type == "cuda":
                torch.cuda.empty_cache()
        save()
    save()
    make_figure(rows, args.figure)
    done = sum(row["status"] == "ok" for row in rows)
    print(f"{done} of {len(rows)} measurements -> {args.json}, {args.figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
