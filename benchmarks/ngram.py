"""Benchmark: fit an order-5 Kneser-Ney model on a synthetic ~2M-token corpus, or sweep sizes.

The corpus (Zipfian vocabulary, seeded, lines of varying length) is generated in a temporary
folder. The fit runs in a child process so that its wall time and peak resident memory
(``ru_maxrss`` from ``os.wait4``) are its own; a second child loads the model (from the binary
copy written beside the ARPA file) and scores a held-out text an eighth the size, and a third
parses the ARPA text itself, as loading did before the binary copy. Results go to ``benchmarks/results/ngram.json`` (full-size runs only, unless
``--output`` is given); ``--compare`` prints the change against that recorded file instead.

    python benchmarks/ngram.py                 # full size, records the results
    python benchmarks/ngram.py --tokens 200000 # quick run, records nothing
    python benchmarks/ngram.py --compare       # full size, compared with the record

Given several sizes (``--tokens 2M,8M,32M``) or ``--kenlm PATH/lmplz``, it sweeps instead (see
ngram_scaling.py): fit time and peak RSS at each size within ``--memory``, lmplz side by side,
recorded in ``benchmarks/results/ngram-scaling.json`` with a log-log figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import host
from rnnlab.io import write_json
from rnnlab.ngram.budget import DEFAULT_MEMORY

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "benchmarks" / "results" / "ngram.json"
FULL_TOKENS = 2_000_000
TARGETS = {"fit_wall_seconds": 60.0, "fit_peak_rss_mb": 2048.0}
SCALING_RECORD = ROOT / "benchmarks" / "results" / "ngram-scaling.json"
FIGURE = ROOT / "benchmarks" / "results" / "ngram-scaling.png"
_SIZE_SUFFIX = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9}


def token_counts(text: str) -> list[int]:
    """``2M,8M,32M`` -> [2000000, 8000000, 32000000] (decimal suffixes K, M, G)."""
    sizes = []
    for part in text.split(","):
        part = part.strip().upper()
        suffix = part[-1] if part and part[-1] in _SIZE_SUFFIX else ""
        try:
            sizes.append(int(float(part[: len(part) - len(suffix)]) * _SIZE_SUFFIX[suffix]))
        except ValueError:
            raise argparse.ArgumentTypeError(f"cannot read the token count {part!r}; write e.g. 2M,8M,32M") from None
    return sizes

FIT_CHILD = """
import json, sys
from rnnlab.ngram import fit_arpa
stats = fit_arpa(sys.argv[1], int(sys.argv[3]), sys.argv[2], memory=sys.argv[4])
print(json.dumps({"fit_seconds": stats.seconds, "ngram_counts": stats.counts, "types": stats.types,
                  "runs": stats.runs, "temp_peak_bytes": stats.temp_peak_bytes}))
"""

SCORE_CHILD = """
import json, sys, time
from rnnlab.ngram import ArpaModel
start = time.perf_counter()
model = ArpaModel.load(sys.argv[1])
loaded = time.perf_counter()
summary = model.score_file(sys.argv[2])
done = time.perf_counter()
print(json.dumps({"load_seconds": loaded - start, "score_seconds": done - loaded,
                  "test_tokens": summary.tokens, "test_perplexity": summary.perplexity}))
"""

PARSE_CHILD = """
import json, sys, time
from rnnlab.ngram.arpa import read_arpa
start = time.perf_counter()
read_arpa(sys.argv[1])
print(json.dumps({"arpa_parse_seconds": time.perf_counter() - start}))
"""


GENERATE_CHILD = """
import sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from ngram import write_corpus
rng = np.random.default_rng(int(sys.argv[3]))
for path, tokens in zip(sys.argv[4::2], sys.argv[5::2]):
    write_corpus(path, int(tokens), int(sys.argv[2]), rng)
"""


def generate(vocab: int, seed: int, *files: tuple[Path, int]) -> None:
    """Write the corpora (path, tokens) in turn from one seeded generator, in a child process: a
    child's ru_maxrss includes what its parent held when it started, so the parent stays small."""
    args = [str(x) for path, tokens in files for x in (path, tokens)]
    run_process([sys.executable, "-c", GENERATE_CHILD, str(Path(__file__).parent), str(vocab), str(seed), *args])


def write_corpus(path: Path, tokens: int, vocab: int, rng: np.random.Generator) -> None:
    """Zipf-distributed words (p(rank r) ~ 1/(r + 2.7)), lines of 1 to ~80 tokens."""
    ranks = np.arange(1, vocab + 1)
    prob = 1.0 / (ranks + 2.7)
    prob /= prob.sum()
    # The spelling of each rank is fixed (its own seed), so train and test share one vocabulary.
    stems = np.random.default_rng(vocab).integers(0, 26, size=(vocab, 6))
    words = np.array([f"{''.join(chr(97 + c) for c in s[: 1 + r % 6])}{r}" for r, s in enumerate(stems)])
    ids = rng.choice(vocab, size=tokens, p=prob)
    lengths = np.clip(rng.lognormal(mean=2.8, sigma=0.6, size=tokens // 4 + 1).astype(np.int64), 1, 80)
    ends = np.cumsum(lengths)
    ends = np.append(ends[ends < tokens], tokens)
    with open(path, "w", encoding="utf-8") as out:
        start = 0
        for piece in np.array_split(ends, max(1, tokens // 1_000_000)):  # words as text a million at a time
            if not piece.size:
                continue
            text = words[ids[start : piece[-1]]].tolist()
            out.write("".join(" ".join(text[a - start : b - start]) + "\n"
                              for a, b in zip(np.append(start, piece[:-1]).tolist(), piece.tolist())))
            start = int(piece[-1])


def machine() -> dict:
    # The load average is read after the run, which itself counts in it.
    return {**host.machine(numpy=np.__version__), "load_average_1min": round(os.getloadavg()[0], 2)}


def run_process(argv: list[str], stdin: Path | None = None, stdout: Path | None = None,
                cpu: bool = False) -> tuple:
    """Run ``argv``: its standard output (unless sent to ``stdout``), wall seconds and peak RSS in MiB,
    and with ``cpu`` its CPU seconds (user and system, of its threads and waited-for processes)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with open(stdin or os.devnull, "rb") as source, open(stdout or os.devnull, "wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=source, stdout=sink if stdout else subprocess.PIPE,
                                stderr=subprocess.DEVNULL if stdout else None, env=env)
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"the benchmark child {argv[0]} failed (exit status {proc.returncode})")
    rss = usage.ru_maxrss / 1024.0  # Linux reports ru_maxrss in KiB
    return (out, wall, rss, usage.ru_utime + usage.ru_stime) if cpu else (out, wall, rss)


def run_child(code: str, *args: str) -> tuple[dict, float, float]:
    """Run ``code`` in a fresh interpreter: its JSON output, wall seconds and peak RSS in MiB."""
    out, wall, rss = run_process([sys.executable, "-c", code, *args])
    return json.loads(out), wall, rss


def measure(train: Path, test: Path, arpa: Path, order: int, memory: str) -> dict:
    fit, fit_wall, fit_rss = run_child(FIT_CHILD, str(train), str(arpa), str(order), memory)
    score, score_wall, score_rss = run_child(SCORE_CHILD, str(arpa), str(test))  # loads the binary copy
    parse, _, parse_rss = run_child(PARSE_CHILD, str(arpa))  # what loading took without it
    return {
        "fit_wall_seconds": fit_wall,
        "fit_peak_rss_mb": fit_rss,
        **fit,
        "arpa_mb": arpa.stat().st_size / 2**20,
        "score_wall_seconds": score_wall,
        "score_peak_rss_mb": score_rss,
        **score,
        **parse,
        "arpa_parse_peak_rss_mb": parse_rss,
    }


def evaluate(results: dict) -> dict:
    return {k: {"limit": limit, "value": round(results[k], 3), "pass": bool(results[k] < limit)}
            for k, limit in TARGETS.items()}


def print_table(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>14}  {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=token_counts, default=[FULL_TOKENS],
                        help="Training tokens, or sizes to sweep, e.g. 2M,8M,32M (default %(default)s).")
    parser.add_argument("--memory", default=DEFAULT_MEMORY, help="Memory budget of the fit (default %(default)s).")
    parser.add_argument("--kenlm", type=Path, metavar="PATH", help="KenLM's lmplz, run side by side (sweep).")
    parser.add_argument("--repeats", type=int, default=3, help="Paired runs per size in a sweep (default %(default)s).")
    parser.add_argument("--figure", type=Path, help=f"Figure of a sweep (default {FIGURE.relative_to(ROOT)}).")
    parser.add_argument("--temp-dir", type=Path, help="Where the sweep's corpora and models go (default: /tmp).")
    parser.add_argument("--vocab", type=int, default=50_000, help="Word types to draw from (default %(default)s).")
    parser.add_argument("--order", type=int, default=5, help="N-gram order (default %(default)s).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compare", action="store_true", help=f"Compare with {RECORD.relative_to(ROOT)}.")
    parser.add_argument("--output", type=Path, help="Where to record the results (default: the record, "
                        "for full-size runs without --compare).")
    args = parser.parse_args(argv)
    if len(args.tokens) > 1 or args.kenlm:
        from ngram_scaling import sweep  # benchmarks/ is on sys.path

        return sweep(args)
    tokens = args.tokens[0]

    with tempfile.TemporaryDirectory(prefix="rnnlab-ngram-bench-") as tmp:
        train, test, arpa = Path(tmp) / "train.txt", Path(tmp) / "test.txt", Path(tmp) / "model.arpa"
        generate(args.vocab, args.seed, (train, tokens), (test, max(1, tokens // 8)))
        results = measure(train, test, arpa, args.order, args.memory)

    targets = evaluate(results)
    report = {
        "benchmark": "ngram fit (interpolated modified Kneser-Ney)",
        "machine": machine(),
        "settings": {"tokens": tokens, "vocab": args.vocab, "order": args.order, "seed": args.seed,
                     "memory": args.memory},
        "results": {k: round(v, 4) if isinstance(v, float) else v for k, v in results.items()},
        "targets": targets,
    }
    rows = [(k, f"{v:.3f}" if isinstance(v, float) else str(v), "") for k, v in results.items()]
    rows += [(f"target {k}", f"< {t['limit']:g}", "PASS" if t["pass"] else "FAIL") for k, t in targets.items()]
    print_table(rows)

    if args.compare:
        recorded = json.loads(RECORD.read_text(encoding="utf-8"))
        print(f"\ncompared with {RECORD.relative_to(ROOT)} ({recorded['machine']['date']}, "
              f"{recorded['settings']['tokens']} tokens):")
        for key in ("fit_wall_seconds", "fit_seconds", "fit_peak_rss_mb", "load_seconds", "score_seconds"):
            old, new = recorded["results"][key], results[key]
            print(f"  {key:<20} {old:>10.3f} -> {new:>10.3f}  ({new / old:.2f}x)")
    output = args.output or (RECORD if tokens == FULL_TOKENS and not args.compare else None)
    if output:
        write_json(output, report)
        print(f"\nrecorded in {output}")
    return 0 if all(t["pass"] for t in targets.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
