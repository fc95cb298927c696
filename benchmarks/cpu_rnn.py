"""The tanh RNN on the CPU: the ``cpu`` backend (one autograd node per layer) against ``torch``.

Times a training step of one ``rnnlab.nn.RNN`` (forward, then backward from every output) on each
backend at several shapes, on one thread, the two interleaved in each repeat; compares medians. The
first shape is the default preset's RNN language model (bptt 100, batch 4, embeddings 64, 128 units).

    python benchmarks/cpu_rnn.py              # full run: record benchmarks/results/cpu-rnn.json
    python benchmarks/cpu_rnn.py --quick      # a short run
    python benchmarks/cpu_rnn.py --compare    # full run, printed beside the record, nothing written
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

from host import machine
from rnnlab.nn import RNN

RESULTS = Path(__file__).resolve().parent / "results" / "cpu-rnn.json"
# (T, B, input size, hidden size, layers, bidirectional)
SHAPES = [(100, 4, 64, 128, 1, False), (100, 32, 64, 128, 1, False), (35, 20, 200, 200, 2, False),
          (60, 32, 100, 128, 1, True), (100, 64, 512, 512, 1, False)]
BACKENDS = ("torch", "cpu")
TARGET = 1.0  # torch's step time over cpu's, at every shape


def step_ms(model: RNN, x: torch.Tensor, calls: int) -> float:
    """Mean milliseconds of forward + backward over ``calls`` calls."""
    start = time.perf_counter()
    for _ in range(calls):
        output, _ = model(x)
        output.sum().backward()
    return (time.perf_counter() - start) / calls * 1e3


def measure(shape: tuple, repeats: int, calls: int) -> dict[str, list[float]]:
    steps, batch, inputs, hidden, layers, bidirectional = shape
    torch.manual_seed(0)
    model = RNN(inputs, hidden, num_layers=layers, bidirectional=bidirectional)
    x = torch.randn(steps, batch, inputs, requires_grad=True)
    times: dict[str, list[float]] = {name: [] for name in BACKENDS}
    for name in BACKENDS:  # warm-up, not measured
        model.backend = name
        step_ms(model, x, 3)
    for repeat in range(repeats):
        for name in BACKENDS if repeat % 2 == 0 else BACKENDS[::-1]:
            model.backend = name
            times[name].append(step_ms(model, x, calls))
    return times


def label(shape: tuple) -> str:
    steps, batch, inputs, hidden, layers, bidirectional = shape
    return f"T={steps} B={batch} I={inputs} H={hidden} L={layers}" + (" bi" if bidirectional else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats (a smoke run)")
    parser.add_argument("--repeats", type=int, help="interleaved repeats (default 9, quick 2)")
    parser.add_argument("--calls", type=int, help="steps per measurement (default 20, quick 3)")
    parser.add_argument("--compare", action="store_true", help="print beside the record; write nothing")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 9)
    calls = args.calls or (3 if args.quick else 20)
    torch.set_num_threads(1)
    record = json.loads(args.out.read_text()) if args.compare and args.out.exists() else None
    rows = []
    for shape in SHAPES:
        times = measure(shape, repeats, calls)
        medians = {name: statistics.median(values) for name, values in times.items()}
        ratio = medians["torch"] / medians["cpu"]
        rows.append({"shape": label(shape), "ms": times, "median_ms": medians, "ratio_torch_over_cpu": ratio})
        before = ""
        if record:
            old = {row["shape"]: row for row in record["results"]}.get(label(shape))
            before = f"  (record: {old['ratio_torch_over_cpu']:.2f}x)" if old else "  (not in the record)"
        print(f"{label(shape):>30}: torch {medians['torch']:7.2f} ms, cpu {medians['cpu']:7.2f} ms, "
              f"{ratio:.2f}x{before}", file=sys.stderr)
    passed = all(row["ratio_torch_over_cpu"] >= TARGET for row in rows)
    result = {
        "benchmark": "tanh RNN training step (forward + backward), CPU, backend cpu against torch",
        "machine": {**machine(torch=torch.__version__), "threads": 1, "load_average_at_end": os.getloadavg()},
        "settings": {"repeats": repeats, "calls": calls, "quick": args.quick},
        "results": rows,
        "target": f"torch / cpu >= {TARGET} at every shape",
        "passed": passed,
    }
    print(f"target torch/cpu >= {TARGET} at every shape: {'pass' if passed else 'FAIL'}")
    if not args.compare:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"-> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
