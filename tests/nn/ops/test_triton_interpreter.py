"""Runs triton_cases.py on the Triton CPU interpreter in a subprocess.

TRITON_INTERPRET=1 has to be set before triton is imported, and this process may already have
imported it (or must keep running other tests without it), hence the subprocess. The inner run also
sets RNNLAB_POISON_BUFFERS=1 so every kernel output buffer starts as NaN.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CASES_FILE = Path(__file__).resolve().parent / "triton_cases.py"
ROOT = Path(__file__).resolve().parents[3]
TIMEOUT_S = 900


def inner_summary(output: str) -> dict[str, int]:
    """Counts by outcome ("passed", "failed", ...) from pytest's final summary line."""
    lines = [line for line in output.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return {word: int(count) for count, word in re.findall(r"(\d+) (\w+)", last)}


def test_inner_summary_reads_pytest_counts():
    text = "....\n== 3 passed, 1 failed, 2 skipped in 4.5s ==\n"
    assert inner_summary(text) == {"passed": 3, "failed": 1, "skipped": 2}
    assert inner_summary("35 passed, 1 warning in 134.13s (0:02:14)\n") == {"passed": 35, "warning": 1}


@pytest.mark.skipif(
    importlib.util.find_spec("triton") is None, reason="triton is not installed (pip install triton)"
)
def test_kernels_on_the_cpu_interpreter_match_torch_and_loop():
    env = {**os.environ, "TRITON_INTERPRET": "1", "RNNLAB_POISON_BUFFERS": "1"}
    command = [sys.executable, "-m", "pytest", str(CASES_FILE), "-q", "-p", "no:cacheprovider", "-rfEs"]
    try:
        run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"interpreter tests ran past {TIMEOUT_S} s:\n{error.stdout or ''}\n{error.stderr or ''}")
    output = f"{run.stdout}\n{run.stderr}".strip()
    counts = inner_summary(run.stdout)
    # Anything but passes (and warnings) fails: a skip inside would hide untested kernels.
    unexpected = set(counts) - {"passed", "warning", "warnings"}
    if run.returncode != 0 or counts.get("passed", 0) == 0 or unexpected:
        pytest.fail(
            f"`{' '.join(command)}` with TRITON_INTERPRET=1 exited {run.returncode} ({counts}):\n{output}",
            pytrace=False,
        )
