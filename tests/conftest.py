"""Shared fixtures: the repository root and the read-only real corpora beside it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

# The cluster tests start a SLURM cluster, push to a DVC remote and kill running jobs; they run
# with `make test-cluster` (RNNLAB_CLUSTER_TESTS=1), not in `make test`.
collect_ignore = [] if os.environ.get("RNNLAB_CLUSTER_TESTS") == "1" else ["cluster"]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "corpora").is_dir():
        pytest.skip(f"real corpora not found at {SHARED}/corpora (they sit beside the checkout in CI)")
    return SHARED


def _write_classification_dir(path: Path, splits: dict[str, list[tuple[str, str]]], labels: list[str]) -> Path:
    """A processed classification folder: {split}.tsv + labels.json."""
    import json

    path.mkdir(parents=True, exist_ok=True)
    for split, rows in splits.items():
        lines = ["sentence\tlabel"] + [f"{s}\t{lab}" for s, lab in rows]
        (path / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (path / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    return path


def _copy_workflow(dest: Path) -> Path:
    """A runnable copy of the workflow (Snakefile, rules, schema, envs) in ``dest``."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Snakefile", dest / "Snakefile")
    shutil.copytree(ROOT / "workflow", dest / "workflow", symlinks=False)
    return dest


def _run_snakemake(workdir: Path, *args: str, check: bool = True):
    """Run snakemake in ``workdir`` with this interpreter's scripts (rnnlab, snakemake) on PATH."""
    import os
    import subprocess
    import sys

    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    proc = subprocess.run([str(Path(bindir) / "snakemake"), *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=1800)
    if check and proc.returncode != 0:
        logs = "\n".join(f"--- {p}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(workdir.glob("logs/**/*.log")))
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}\n{logs}")
    return proc


@pytest.fixture
def copy_workflow():
    return _copy_workflow


@pytest.fixture
def run_snakemake():
    return _run_snakemake


@pytest.fixture
def write_classification_dir():
    return _write_classification_dir
