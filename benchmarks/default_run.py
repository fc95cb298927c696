"""Benchmark: the whole default preset (`snakemake --cores all`) in a fresh clone, against its 12-minute budget.

The committed HEAD of this repository is cloned into a temporary folder and installed there with
`make install` (not timed), as a new user would; then the DAG runs with `config/config.yaml`. The
wall time and the CPU time of Snakemake and every job come from ``os.wait4``; the 1-minute load
average is sampled every 5 s during the run (the run's own jobs count in it, so on two cores a
busy run reads about 2; a reading well above that means something else was running). The jobs'
own wall times, summed per rule, come from the run's benchmark files (``results/benchmarks``).
Results go to ``benchmarks/results/default-run.json``; ``--compare`` prints the change against
that record instead.

    python benchmarks/default_run.py            # records the results
    python benchmarks/default_run.py --compare  # compared with the record
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from host import machine
from rnnlab.io import write_json
from rnnlab.job_times import per_step, read_job_times

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "benchmarks" / "results" / "default-run.json"
BUDGET_SECONDS = 12 * 60
LOAD_EVERY_SECONDS = 5.0


def commit(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()


def clone_and_install(work: Path) -> Path:
    clone = work / "rnnlab"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    with open(work / "install.log", "w", encoding="utf-8") as log:
        subprocess.run(["make", "install"], cwd=clone, check=True, stdout=log, stderr=subprocess.STDOUT)
    return clone


def run_dag(clone: Path, log_path: Path) -> dict:
    """Wall and CPU seconds of `snakemake --cores all` (children included) and the load during it."""
    env = {**os.environ, "PATH": f"{clone / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    loads = [os.getloadavg()[0]]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(LOAD_EVERY_SECONDS):
            loads.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample, daemon=True)
    with open(log_path, "w", encoding="utf-8") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(["snakemake", "--cores", "all"], cwd=clone, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"snakemake failed (exit {os.waitstatus_to_exitcode(status)}); see {log_path}")
    return {"wall_seconds": round(wall, 1), "user_seconds": round(usage.ru_utime, 1),
            "system_seconds": round(usage.ru_stime, 1), "load_1min_at_start": round(loads[0], 2),
            "load_1min_max_during": round(max(loads[1:], default=loads[0]), 2)}


def job_times(clone: Path) -> dict:
    steps = per_step(read_job_times(clone / "results" / "benchmarks"))
    return {row["step"]: {"jobs": int(row["jobs"]), "total_seconds": float(row["total s"]),
                          "slowest_job_seconds": float(row["slowest job s"])} for _, row in steps.iterrows()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", action="store_true", help=f"Compare with {RECORD.relative_to(ROOT)}.")
    parser.add_argument("--keep", type=Path, help="Run in this folder and keep it (default: a temporary one).")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="rnnlab-default-run-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        clone = clone_and_install(work)
        results = run_dag(clone, work / "snakemake.log")
        per_rule = job_times(clone)
    results["jobs"] = sum(r["jobs"] for r in per_rule.values())
    report = {
        "benchmark": "default preset, snakemake --cores all in a fresh clone",
        "commit": commit(ROOT),
        "machine": machine(),
        "results": results,
        "job_seconds_per_rule": per_rule,
        "target": {"limit_seconds": BUDGET_SECONDS, "value": results["wall_seconds"],
                   "pass": results["wall_seconds"] <= BUDGET_SECONDS},
    }
    for key, value in results.items():
        print(f"{key:<24} {value:>10}")
    for step, row in sorted(per_rule.items(), key=lambda kv: -kv[1]["total_seconds"]):
        print(f"  {step:<22} {row['jobs']:>3} jobs {row['total_seconds']:>8.1f} s")
    print(f"target wall <= {BUDGET_SECONDS} s: {'PASS' if report['target']['pass'] else 'FAIL'}")
    if args.compare:
        recorded = json.loads(RECORD.read_text(encoding="utf-8"))
        old = recorded["results"]
        print(f"\ncompared with {RECORD.relative_to(ROOT)} ({recorded['machine']['date']}, {recorded['commit'][:8]}):")
        for key in ("wall_seconds", "user_seconds", "system_seconds", "jobs"):
            print(f"  {key:<16} {old[key]:>10} -> {results[key]:>10}  ({results[key] / old[key]:.2f}x)")
    else:
        write_json(RECORD, report)
        print(f"\nrecorded in {RECORD.relative_to(ROOT)}")
    return 0 if report["target"]["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
