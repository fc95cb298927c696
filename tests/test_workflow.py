import re
import shlex
from pathlib import Path

import yaml

from rnnlab.config import from_dict
from rnnlab.workflow import Plan


def _plan(repo_root: Path, **extra) -> Plan:
    raw = yaml.safe_load((repo_root / "config/config.yaml").read_text())
    raw["corpora"].update(extra)
    return Plan(from_dict(raw))


def test_corpus_patterns_split_sources(repo_root: Path):
    plan = _plan(repo_root)
    gen = plan.corpus_pattern("generate")
    assert re.fullmatch(gen, "synthetic-lm") and re.fullmatch(gen, "synthetic-sentiment")
    assert not re.fullmatch(gen, "synthetic")
    assert not re.fullmatch(plan.corpus_pattern("download"), "synthetic-lm")


def test_generate_args_round_trip(repo_root: Path):
    raw = yaml.safe_load((repo_root / "config/config.yaml").read_text())
    raw["corpora"]["synthetic-lm"]["params"] = {"distances": [2, 5], "n_train": 10}
    args = shlex.split(Plan(from_dict(raw)).generate_args("synthetic-lm"))
    assert args[:3] == ["synthetic-lm", "--seed", "13"]
    assert args[3:] == ["--set", "distances=[2, 5]", "--set", "n_train=10"]


def test_local_corpus_inputs_and_args(repo_root: Path):
    raw = yaml.safe_load((repo_root / "config/config.yaml").read_text())
    raw["corpora"]["mine"] = {"task": "lm", "source": "local", "tokenizer": "lower",
                              "files": {"train": "my dir/train.txt", "valid": "v.txt", "test": "t.txt"},
                              "vocab": {"max_size": 100}}
    raw["experiments"]["lm"]["corpora"].append("mine")
    plan = Plan(from_dict(raw))
    assert plan.prepare_inputs("mine") == ["my dir/train.txt", "v.txt", "t.txt"]
    args = shlex.split(plan.prepare_args("mine"))
    assert args[args.index("--train") + 1] == "my dir/train.txt"
    assert args[args.index("--tokenizer") + 1] == "lower"
    assert args[args.index("--max-size") + 1] == "100"
    assert "data/processed/mine" in plan.processed_dirs()


def test_metric_files_cover_every_job(repo_root: Path):
    plan = _plan(repo_root)
    files = plan.metric_files()
    assert len(files) == len(set(files)) == len(list(plan.cfg.jobs()))
    assert "results/metrics/synthetic-lm/ngram-kn2/seed0.csv" in files
