"""DVC around the tiny DAG in a throw-away git repository: repro, push to a local remote, a fresh
clone that pulls and finds nothing to do, an experiment with one changed hyperparameter, plots."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DVC = str(BIN / "dvc")
LSTM_HIDDEN = "config/config.yaml:experiments.lm.models.lstm.hidden"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def working_tree_files() -> list[str]:
    """Tracked and untracked-but-not-ignored files of this checkout (what a commit of it would hold)."""
    out = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return [f for f in out.split("\0") if f and ((ROOT / f).exists() or (ROOT / f).is_symlink())]


def link_venv(repo: Path) -> None:
    """Point ``repo/.venv`` at this interpreter's scripts, already installed, so `make` installs nothing."""
    (repo / ".venv").mkdir()
    (repo / ".venv/bin").symlink_to(BIN, target_is_directory=True)
    (repo / ".venv/.installed").touch()


def dvc_config(tiny: dict) -> dict:
    """TINY plus a classification corpus with a count model, so that every plot of dvc.yaml has data,
    and the significance analysis."""
    config = copy.deepcopy(tiny)
    config["corpora"]["synthetic-sentiment"] = {
        "task": "classification", "source": "generate", "generator": "synthetic-sentiment", "seed": 4,
        "params": {"n_train": 150, "n_valid": 30, "n_test": 30}}
    config["experiments"]["classification"] = {"corpora": ["synthetic-sentiment"], "models": {"ngram-nb": {}}}
    # results/analysis is one of the stage's outputs: the cheapest analysis fills it.
    config["analysis"] = {"significance": {"enabled": True}}
    return config


@pytest.fixture(scope="module")
def dvc_run(tiny_dag, tmp_path_factory) -> dict[str, Path]:
    """A git repository holding this working tree with the tiny preset as config/config.yaml,
    after `dvc repro` and `dvc push` to a local folder remote."""
    for tool in ("git", "make"):
        if shutil.which(tool) is None:
            pytest.skip(f"`{tool}` is not installed; the DVC stage runs `make run` in a git repository")
    if not (ROOT / ".git").exists():
        pytest.skip(f"{ROOT} is not a git checkout, so there is no working tree to copy into a repository")
    base = tmp_path_factory.mktemp("dvc")
    repo, remote = base / "repo", base / "remote"
    for name in working_tree_files():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, repo / name, follow_symlinks=False)
    (repo / "config/config.yaml").write_text(yaml.safe_dump(dvc_config(tiny_dag.config)))
    git(repo, "-c", "init.defaultBranch=main", "init", "-q")
    git(repo, "config", "user.name", "rnnlab tests")
    git(repo, "config", "user.email", "tests@rnnlab.invalid")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "tiny preset")
    link_venv(repo)

    tiny_dag.run([DVC, "repro"], repo)
    tiny_dag.run([DVC, "remote", "add", "-d", "store", str(remote)], repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "run and remote")
    tiny_dag.run([DVC, "push"], repo)
    return {"repo": repo, "remote": remote}


def test_fresh_clone_pulls_and_snakemake_finds_nothing_to_do(dvc_run, tiny_dag, tmp_path):
    repo = dvc_run["repo"]
    assert any(dvc_run["remote"].rglob("*")), "dvc push stored nothing"
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    link_venv(clone)
    assert not (clone / "results/metrics.csv").exists()

    tiny_dag.run(["make", "pull"], clone)  # dvc pull, then snakemake --touch
    for name in ("results/metrics.json", "results/metrics.csv", "results/report/index.html"):
        assert (clone / name).read_bytes() == (repo / name).read_bytes(), name
    dry = tiny_dag.run([str(BIN / "snakemake"), "-n"], clone)
    assert "Nothing to be done" in dry.stdout + dry.stderr
    status = tiny_dag.run([DVC, "status"], clone)
    assert "up to date" in status.stdout


def test_experiment_changes_the_metrics_and_plots_render(dvc_run, tiny_dag, tmp_path):
    repo = dvc_run["repo"]
    before = json.loads((repo / "results/metrics.json").read_text())
    exp = tiny_dag.run([DVC, "exp", "run", "-S", f"{LSTM_HIDDEN}=12"], repo)
    ran = exp.stdout + exp.stderr
    assert ran.count("rule train_model:") == 1, "only the changed model retrains"

    diff = json.loads(tiny_dag.run([DVC, "metrics", "diff", "--json"], repo).stdout)["results/metrics.json"]
    assert set(diff) == {"lm.synthetic-lm.lstm.valid.perplexity", "lm.synthetic-lm.lstm.test.perplexity"}
    old = before["lm"]["synthetic-lm"]["lstm"]["test"]["perplexity"]
    assert diff["lm.synthetic-lm.lstm.test.perplexity"]["old"] == pytest.approx(old, abs=1e-3)
    assert diff["lm.synthetic-lm.lstm.test.perplexity"]["diff"] != 0

    out = tmp_path / "plots"
    shown = tiny_dag.run([DVC, "plots", "show", "-o", str(out)], repo)
    assert "failed to load" not in shown.stdout + shown.stderr
    html = (out / "index.html").read_text()
    for plot in ("learning_curves", "perplexity", "accuracy", "lm_perplexity", "classification"):
        assert plot in html, plot
