"""The whole DAG at tiny scale in a temporary folder: corpora → models → metrics → report."""

from __future__ import annotations

import json
import os
import stat
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml

from rnnlab.report.claims import CLAIMS

TINY = {
    "preset": "tiny",
    "seeds": [1, 2],
    "seeds_in_one_job": True,  # as the default preset
    "corpora": {
        "synthetic-lm": {"task": "lm", "source": "generate", "generator": "synthetic-lm", "seed": 3,
                         "params": {"n_train": 120, "n_valid": 30, "n_test": 30, "distances": [4, 10]}},
        "synthetic-sentiment": {"task": "classification", "source": "generate", "generator": "synthetic-sentiment",
                                "seed": 4, "params": {"n_train": 150, "n_valid": 30, "n_test": 30}},
    },
    "training": {"epochs": 2, "max_batches": 4, "batch_size": 8, "eval_batch_size": 10, "patience": None},
    "experiments": {
        "lm": {"corpora": ["synthetic-lm"], "models": {
            "ngram-kn2": {}, "ngram-kn3": {},
            "window": {"emb": 8, "hidden": 8, "window": 3},
            "rnn": {"emb": 8, "hidden": 8, "bptt": 10},
            "lstm": {"emb": 8, "hidden": 8, "bptt": 10},
            "lstm-2layer": {"emb": 8, "hidden": 8, "bptt": 10, "layers": 2}}},
        "classification": {"corpora": ["synthetic-sentiment"], "models": {
            "ngram-nb": {},
            "rnn": {"emb": 8, "hidden": 8}, "lstm": {"emb": 8, "hidden": 8}, "bilstm": {"emb": 8, "hidden": 8}}},
    },
    "analysis": {
        "gradients": {"corpora": ["synthetic-lm"], "models": ["rnn", "lstm"], "window": 6, "positions": 2,
                      "batch_size": 2, "batches": 2, "warmup": 3},
        "clipping": {"corpora": ["synthetic-lm"], "lr": 2.0, "clip": 0.05, "seeds": [1], "max_batches": 4,
                     "params": {"emb": 8, "hidden": 8, "bptt": 5, "batch_size": 4}},
        "long-distance": {"corpora": ["synthetic-lm"], "models": ["ngram-kn2", "rnn", "lstm-2layer"]},
        "context": {"corpora": ["synthetic-lm"], "models": ["ngram-kn2", "window", "lstm"], "targets": 20,
                    "max_distance": 30, "distances": [1, 2, 5, 10, 20]},
        "bidirectional": {"corpora": ["synthetic-sentiment"], "models": ["rnn", "bilstm"], "length_buckets": 2},
        "significance": {"enabled": True},
    },
    "report": {"title": "tiny run"},
}
# A phrase of the Snakemake report caption (workflow/report/figures.rst) of each figure kind.
REPORT_CAPTIONS = {
    "lm_perplexity": "Language-model perplexity on the test split", "classification": "Classification accuracy",
    "learning_curves": "Learning curves: validation cross-entropy", "gradients": "Vanishing gradients: norm",
    "clipping": "Exploding gradients: training loss", "long_distance_probes": "recall of the cue noun",
    "long_distance_recurrence": "since its previous", "context_perturbation": "How much context each language model",
    "bidirectional": "Bidirectionality and depth",
    "significance": "Significance: differences between models",
}
ANALYSIS_FIGURES = {
    "gradients_synthetic-lm": "gradients", "clipping_synthetic-lm": "clipping",
    "long_distance_probes_synthetic-lm": "long-distance", "long_distance_recurrence_synthetic-lm": "long-distance",
    "context_perturbation_synthetic-lm": "context",
    "bidirectional_synthetic-sentiment": "bidirectional", "significance_lm": "significance",
    "significance_classification": "significance",
}


class _Lists(HTMLParser):
    """The number of items of every <ul>/<ol> in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[int] = []
        self.lengths: list[int] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("ul", "ol"):
            self.open.append(0)
        elif tag == "li" and self.open:
            self.open[-1] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.open:
            self.lengths.append(self.open.pop())


def _list_lengths(html: str) -> list[int]:
    parser = _Lists()
    parser.feed(html)
    return parser.lengths


def _setup(tmp_path: Path, copy_workflow, config: dict) -> Path:
    work = copy_workflow(tmp_path / "work")
    (work / "tiny.yaml").write_text(yaml.safe_dump(config))
    return work


def test_tiny_dag_end_to_end(tmp_path: Path, copy_workflow, run_snakemake):
    work = _setup(tmp_path, copy_workflow, TINY)
    previous = os.umask(0o022)  # the usual umask: the group must be able to read every result
    try:
        run_snakemake(work, "--cores", "2", "--configfile", "tiny.yaml")
    finally:
        os.umask(previous)
    for top in ("results", "data"):
        for path in [work / top, *(work / top).rglob("*")]:
            expected = 0o755 if path.is_dir() else 0o644
            assert stat.S_IMODE(path.stat().st_mode) == expected, f"{path}: {oct(stat.S_IMODE(path.stat().st_mode))}"

    metrics = pd.read_csv(work / "results/metrics.csv")
    assert {"task", "corpus", "model", "seed", "split", "metric", "value"} <= set(metrics.columns)
    assert set(metrics["model"]) == {"ngram-kn2", "ngram-kn3", "ngram-nb", "window", "rnn", "lstm", "lstm-2layer", "bilstm"}
    # Every family on both tasks, each neural model once per seed; counts once (seed 0).
    runs = metrics.groupby(["task", "model"])["seed"].unique().map(sorted).to_dict()
    assert runs[("lm", "lstm")] == [1, 2] and runs[("classification", "bilstm")] == [1, 2]
    assert runs[("lm", "ngram-kn3")] == [0]
    assert set(metrics["status"]) == {"completed"}
    assert not (work / "results/checkpoints").exists()  # no empty checkpoint folders left behind
    assert metrics[metrics["model"] == "lstm"]["backend"].unique().tolist() == ["cpu"]
    assert set(metrics["split"]) == {"valid", "test"}
    ppl = metrics[metrics["metric"] == "perplexity"]["value"]
    assert (ppl > 1).all() and (ppl < 1000).all()
    acc = metrics[metrics["metric"] == "accuracy"]["value"]
    assert ((acc >= 0) & (acc <= 100)).all()

    headline = json.loads((work / "results/metrics.json").read_text())
    assert headline["lm"]["synthetic-lm"]["ngram-kn3"]["test"]["perplexity"] > 1
    curves = pd.read_csv(work / "results/curves.csv")
    assert set(curves["model"]) == {"window", "rnn", "lstm", "lstm-2layer", "bilstm"}
    assert curves["epoch"].max() == 2
    for name in ("lm_perplexity", "classification", "learning_curves"):
        for ext in ("png", "pdf", "svg", "txt"):
            assert (work / f"results/figures/{name}.{ext}").exists()
    html = (work / "results/report/index.html").read_text()
    assert "tiny run" in html and "data:image/png;base64," in html and "Corpus statistics" in html
    # Sentences only where they carry a conclusion: no generated list runs longer than about 8 items.
    assert max(_list_lengths(html), default=0) <= 8
    # The report reads the learning curves: section 6 says how fast each classifier learned.
    assert "how fast each classifier learned" in (work / "results/report/report.md").read_text()
    # The scorecard: every declared claim with a verdict, as a table and as a DVC metric file.
    claims = pd.read_csv(work / "results/report/claims.csv")
    assert claims["claim"].tolist() == [c.number for c in CLAIMS] and claims["verdict"].notna().all()
    assert set(json.loads((work / "results/claims.json").read_text())) == {f"claim{c.number}" for c in CLAIMS}
    assert r"\toprule" in (work / "results/report/claims.tex").read_text()
    assert (work / "data/processed/synthetic-lm/stats.json").exists()
    # Every rule leaves a log and a benchmark: one training job per count model and one per neural model
    # with both seeds.
    assert {p.relative_to(work / "logs/train_model").as_posix() for p in (work / "logs/train_model").rglob("*.log")} \
        == {"synthetic-lm/ngram-kn2/seed0.log", "synthetic-lm/ngram-kn3/seed0.log",
            "synthetic-sentiment/ngram-nb/seed0.log"}
    assert len(list((work / "logs/train_seeds").rglob("*.log"))) == 7
    seeds_log = (work / "logs/train_seeds/synthetic-lm/lstm.log").read_text()
    assert "(seed 1)" in seeds_log and "(seed 2)" in seeds_log
    for rule in ("train_model", "train_seeds"):
        assert list((work / "results/benchmarks" / rule).rglob("*.tsv"))

    _check_analyses(work)

    dry = run_snakemake(work, "-n", "--configfile", "tiny.yaml")
    assert "Nothing to be done" in dry.stdout + dry.stderr
    # `make figures`: only the figures and the report are redone, from the cached tables.
    forced = run_snakemake(work, "-n", "--configfile", "tiny.yaml", "--forcerun", "figures", "report")
    jobs = forced.stdout + forced.stderr
    assert "rule figures:" in jobs and "rule report:" in jobs and "analyze_" not in jobs and "train_" not in jobs

    run_snakemake(work, "--configfile", "tiny.yaml", "--report", "report.html")
    report = (work / "report.html").read_text()
    for phrase in REPORT_CAPTIONS.values():
        assert phrase in report, phrase

    # Retraining every model with the same config and seeds gives a byte-identical metrics.csv;
    # the training times, which do change, live in timings.csv.
    first = (work / "results/metrics.csv").read_bytes()
    assert "train_seconds" not in first.decode().splitlines()[0]
    run_snakemake(work, "--cores", "2", "--configfile", "tiny.yaml", "--forcerun", "train_model", "train_seeds")
    assert (work / "results/metrics.csv").read_bytes() == first
    timings = pd.read_csv(work / "results/timings.csv")
    assert len(timings) == len(metrics.drop_duplicates(["task", "corpus", "model", "seed"]))
    assert (timings["train_seconds"] >= 0).all()


def _check_analyses(work: Path) -> None:
    root = work / "results/analysis"
    assert {p.relative_to(root).as_posix() for p in root.glob("*/*") if p.is_dir()} == {
        "gradients/synthetic-lm", "clipping/synthetic-lm", "long-distance/synthetic-lm", "context/synthetic-lm",
        "bidirectional/synthetic-sentiment"}
    for folder in [*(p for p in root.glob("*/*") if p.is_dir()), root / "significance"]:
        assert (folder / "summary.json").exists() and not list(folder.glob("*.png")), folder
    layers = pd.read_csv(root / "gradients/synthetic-lm/layers.csv")
    assert {"embedding", "l0", "output"} <= set(layers["group"])
    index = json.loads((work / "results/figures/index.json").read_text())
    sections = {f["name"]: f["section"] for f in index}
    assert {n: s for n, s in sections.items() if s not in ("results", "provenance")} == ANALYSIS_FIGURES
    assert sections["learning_curves"] == "results" and sections["job_times"] == "provenance"
    for name in ANALYSIS_FIGURES:
        assert all((work / f"results/figures/{name}.{ext}").exists() for ext in ("png", "pdf", "svg", "txt"))
    for analysis in ("gradients", "clipping", "long-distance", "context", "bidirectional"):
        assert list((work / "results/benchmarks" / f"analyze_{analysis}").glob("*.tsv")), analysis
    assert (work / "results/benchmarks/analyze_significance.tsv").exists()


def test_bad_config_stops_before_any_job(tmp_path: Path, copy_workflow, run_snakemake):
    bad = json.loads(json.dumps(TINY))
    bad["corpora"]["synthetic-lm"]["tokeniser"] = "whitespace"
    work = _setup(tmp_path, copy_workflow, bad)
    proc = run_snakemake(work, "--cores", "1", "--configfile", "tiny.yaml", check=False)
    assert proc.returncode != 0
    assert "unknown key 'tokeniser' under corpora.synthetic-lm" in proc.stdout + proc.stderr
    assert not (work / "data").exists() and not (work / "results").exists()


def test_workflow_lints_clean(repo_root: Path, run_snakemake):
    proc = run_snakemake(repo_root, "--lint", "--configfile", "config/config.yaml")
    assert proc.returncode == 0


def test_paper_preset_resolves_every_rule(repo_root: Path, run_snakemake, tmp_path: Path, copy_workflow):
    work = copy_workflow(tmp_path / "work")
    proc = run_snakemake(work, "-n", "--configfile", str(repo_root / "config/paper.yaml"))
    out = proc.stdout + proc.stderr
    for rule in ("download_corpus", "prepare_corpus", "train_model", "collect_metrics", "figures",
                 "report", "analyze", "analyze_significance"):
        assert rule in out
    for folder in ("gradients/ptb", "gradients/wikitext2", "clipping/ptb", "long-distance/wikitext2", "context/ptb",
                   "bidirectional/sst2", "significance"):
        assert f"results/analysis/{folder}" in out


def test_seeds_in_one_job_trains_the_same_runs(tmp_path: Path, copy_workflow, run_snakemake):
    """One job per neural model (every seed) or one per run: the same commands' runs, the same outputs."""
    outputs = {}
    for together in (True, False):
        work = _setup(tmp_path / str(together), copy_workflow, {**TINY, "seeds_in_one_job": together})
        shell = run_snakemake(work, "-n", "-p", "--configfile", "tiny.yaml").stdout
        train = [line for line in shell.splitlines() if "rnnlab train --model" in line]
        runs = set()
        for line in train:
            args = line.split()
            seeds = args[args.index("--seed") + 1:args.index("--params-json")]
            runs |= {(args[args.index("--corpus") + 1], args[args.index("--model") + 1], s) for s in seeds}
        outputs[together] = (runs, len(train))
    assert outputs[True][0] == outputs[False][0] and len(outputs[True][0]) == 17
    assert outputs[True][1] == 3 + 7 and outputs[False][1] == 17


def test_ngram_memory_reaches_the_ngram_fits(tmp_path: Path, copy_workflow, run_snakemake):
    work = _setup(tmp_path, copy_workflow, {**TINY, "ngram": {"memory": "512M"}})
    shell = run_snakemake(work, "-n", "-p", "--configfile", "tiny.yaml").stdout
    train = [line for line in shell.splitlines() if "rnnlab train --model" in line]
    assert any(" ngram-kn3 " in line for line in train)
    assert all("--memory 512M" in line for line in train)  # models other than n-gram LMs ignore it
