import json
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
    raw["corpora"]["synthetic-lm"]["params"] = {"distances": [4, 5], "n_train": 10}
    args = shlex.split(Plan(from_dict(raw)).generate_args("synthetic-lm"))
    assert args[:3] == ["synthetic-lm", "--seed", "13"]
    assert args[3:] == ["--set", "distances=[4, 5]", "--set", "n_train=10"]


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


def test_analysis_dirs_follow_the_config(repo_root: Path):
    plan = _plan(repo_root)
    assert plan.analysis_dirs() == ["results/analysis/gradients/synthetic-lm", "results/analysis/clipping/synthetic-lm",
                                    "results/analysis/long-distance/synthetic-lm",
                                    "results/analysis/context/synthetic-lm",
                                    "results/analysis/bidirectional/synthetic-sentiment",
                                    "results/analysis/significance"]
    raw = yaml.safe_load((repo_root / "config/config.yaml").read_text())
    raw["analysis"]["clipping"]["enabled"] = False
    del raw["analysis"]["significance"]
    off = Plan(from_dict(raw))
    assert "results/analysis/clipping/synthetic-lm" not in off.analysis_dirs()
    assert "results/analysis/significance" not in off.analysis_dirs()
    assert re.fullmatch(off.analysis_pattern("clipping"), "synthetic-lm") is None
    assert re.fullmatch(plan.analysis_pattern("bidirectional"), "synthetic-sentiment")
    assert not re.fullmatch(plan.analysis_pattern("bidirectional"), "synthetic-lm")


def test_analysis_inputs_are_every_seed_of_the_chosen_models(repo_root: Path):
    plan = _plan(repo_root)
    inputs = plan.analysis_inputs("long-distance", "synthetic-lm")
    assert inputs["corpus"] == "data/processed/synthetic-lm"
    assert "results/models/synthetic-lm/ngram-kn5/seed0" in inputs["models"]
    assert {f"results/models/synthetic-lm/lstm/seed{s}" for s in (1, 2, 3, 4, 5)} <= set(inputs["models"])
    assert len(inputs["models"]) == 4 + 3 * 5
    assert plan.analysis_inputs("clipping", "synthetic-lm") == {"corpus": "data/processed/synthetic-lm", "models": []}
    assert plan.analysis_inputs("significance", "") == {"metrics": "results/metrics.csv"}
    bidirectional = plan.analysis_inputs("bidirectional", "synthetic-sentiment")["models"]
    assert "results/models/synthetic-sentiment/lstm-2layer/seed2" in bidirectional
    assert not any("ngram" in m for m in bidirectional)


def test_analysis_args_carry_the_settings_then_the_models(repo_root: Path):
    plan = _plan(repo_root)
    args = shlex.split(plan.analysis_args("gradients", "synthetic-lm"))
    assert args[args.index("--window") + 1] == "50" and args[args.index("--batch-size") + 1] == "16"
    seeds = plan.cfg.seeds
    models = [f"results/models/synthetic-lm/{m}/seed{s}" for m in ("rnn", "lstm") for s in seeds]
    assert args[-len(models):] == models
    clipping = shlex.split(plan.analysis_args("clipping", "synthetic-lm"))
    start = clipping.index("--seeds") + 1
    assert clipping[start:start + len(seeds)] == [str(s) for s in seeds]
    assert clipping[clipping.index("--corpus") + 1] == "synthetic-lm"
    assert json.loads(clipping[clipping.index("--params-json") + 1]) == {}
    assert "--split" not in shlex.split(plan.analysis_args("bidirectional", "synthetic-sentiment"))


def test_figure_sections(repo_root: Path):
    plan = _plan(repo_root)
    assert plan.figure_section("lm_perplexity") == "results"
    assert plan.figure_section("learning_curves") == "results"
    assert plan.figure_section("long_distance_probes_synthetic-lm") == "long-distance"
    assert plan.figure_section("context_perturbation_wikitext2") == "context"
    assert plan.figure_section("gradients_ptb") == "gradients"
    assert plan.figure_section("significance") == "significance"


def test_analysis_args_parse_with_the_cli(repo_root: Path):
    import argparse

    from rnnlab.analysis import cli
    from rnnlab.analysis.registry import ANALYSES

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    plan = _plan(repo_root)
    for name in ("gradients", "clipping", "long-distance", "context", "bidirectional"):
        corpus = plan.analysis(name).corpora[0]
        args = parser.parse_args(["analyze", name, "--corpus-dir", "c", "--out", "o", "--no-figures",
                                  *shlex.split(plan.analysis_args(name, corpus))])
        assert args.no_figures and args.analysis == name
    context = parser.parse_args(["analyze", "context", "--corpus-dir", "c", "--out", "o",
                                 *shlex.split(plan.analysis_args("context", "synthetic-lm"))])
    assert cli._settings(context, ANALYSES["context"].settings) == plan.analysis("context").settings


def test_labels_with_commas_are_passed_as_json(repo_root: Path):
    raw = yaml.safe_load((repo_root / "config/config.yaml").read_text())
    raw["corpora"]["synthetic-sentiment"]["labels"] = ["neg", "pos, really"]
    args = shlex.split(Plan(from_dict(raw)).prepare_args("synthetic-sentiment"))
    assert json.loads(args[args.index("--labels") + 1]) == ["neg", "pos, really"]


def test_empty_checkpoint_folders_are_removed_and_checkpoints_kept(tmp_path: Path):
    root = tmp_path / "checkpoints"
    (root / "lm/rnn/seed1").mkdir(parents=True)
    (root / "lm/lstm/seed2").mkdir(parents=True)
    (root / "lm/lstm/seed2/checkpoint.safetensors").write_bytes(b"x")
    Plan.remove_empty_checkpoint_folders(root)
    assert not (root / "lm/rnn").exists()
    assert (root / "lm/lstm/seed2/checkpoint.safetensors").exists()
    Plan.remove_empty_checkpoint_folders(tmp_path / "missing")



def test_language_model_jobs_are_scheduled_first(repo_root: Path):
    plan = _plan(repo_root)
    assert plan.priority("synthetic-lm") == 1
    assert {plan.priority(c) for c in ("synthetic-sentiment", "synthetic-tagging", "synthetic-ner")} == {0}
    # Every rule of a corpus's chain (corpus, training, analysis) takes the priority from the plan.
    rules = "".join((repo_root / "workflow/rules" / f).read_text() for f in ("data.smk", "models.smk", "analysis.smk"))
    assert rules.count("priority: corpus_priority") == 6 and "priority:" not in rules.replace("priority: corpus_priority", "")
    assert "return PLAN.priority(wildcards.corpus)" in (repo_root / "workflow/rules/common.smk").read_text()
