import re
from pathlib import Path

import pytest
import yaml

from rnnlab import layout
from rnnlab.config import from_dict
from rnnlab.errors import RnnlabError
from rnnlab.workflow import Plan

RUN = ("{corpus}", "{model}", "{seed}")


def _pattern(wildcards: str) -> re.Pattern:
    """A Snakemake output pattern as a regex, each ``{name}`` one path segment (or part of one)."""
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(wildcards)))


def _plan(repo_root: Path) -> Plan:
    return Plan(from_dict(yaml.safe_load((repo_root / "config/config.yaml").read_text())))


def test_wildcard_forms_are_the_rules_patterns():
    assert layout.raw_dir("{corpus}") == "data/raw/{corpus}"
    assert layout.processed_dir("{corpus}") == "data/processed/{corpus}"
    assert layout.model_dir(*RUN) == "results/models/{corpus}/{model}/seed{seed}"
    assert layout.checkpoint_dir(*RUN) == "results/checkpoints/{corpus}/{model}/seed{seed}"
    assert layout.metrics_file(*RUN) == "results/metrics/{corpus}/{model}/seed{seed}.csv"
    assert layout.analysis_dir("{analysis}", "{corpus}") == "results/analysis/{analysis}/{corpus}"
    assert layout.analysis_dir("significance") == "results/analysis/significance"
    assert layout.log_file("train_model", layout.run_key(*RUN)) == "logs/train_model/{corpus}/{model}/seed{seed}.log"
    assert layout.benchmark_file("analyze_{analysis}", "{corpus}") == "results/benchmarks/analyze_{analysis}/{corpus}.tsv"
    assert layout.log_file("report") == "logs/report.log"
    assert layout.benchmark_file("report") == "results/benchmarks/report.tsv"


@pytest.mark.parametrize("corpus,model,seed", [("synthetic-lm", "lstm", 1), ("wikitext2", "ngram-kn5", 0),
                                               ("my.corpus_2", "lstm-2layer", 12)])
def test_run_folders_round_trip_through_the_parser(corpus, model, seed):
    expected = (corpus, model, seed)
    for built in (layout.model_dir(*expected), layout.checkpoint_dir(*expected),
                  f"/abs/{layout.model_dir(*expected)}/", layout.run_key(*expected)):
        run = layout.parse_run_dir(built)
        assert (run.corpus, run.model, run.seed) == expected and run.path == Path(built)
    assert layout.match_run(layout.metrics_file(*expected).removesuffix(".csv")).seed == seed


@pytest.mark.parametrize("path", ["results/models/c/lstm", "lstm/seed1", "results/models/c/lstm/seedx", "seed1"])
def test_other_folders_are_refused_with_the_layout_named(path):
    assert layout.match_run(path) is None
    with pytest.raises(RnnlabError, match=r"must be named seed<N>.*results/models/<corpus>/<model>/seed1"):
        layout.parse_run_dir(path)


def test_the_plans_paths_match_the_rules_patterns(repo_root: Path):
    plan = _plan(repo_root)
    jobs = list(plan.cfg.jobs())
    for built, wildcards in ((plan.metric_files(), layout.metrics_file(*RUN)),
                             (plan.curve_dirs(), layout.model_dir(*RUN))):
        for path in built:
            match = _pattern(wildcards).fullmatch(path)
            assert match is not None, path
            assert any((j.corpus, j.model, str(j.seed)) == (match["corpus"], match["model"], match["seed"]) for j in jobs)
    per_corpus = _pattern(layout.analysis_dir("{analysis}", "{corpus}"))
    for folder in plan.analysis_dirs():
        assert per_corpus.fullmatch(folder) or folder == layout.analysis_dir("significance")
    for corpus in plan.used_corpora():
        assert _pattern(layout.processed_dir("{corpus}")).fullmatch(layout.processed_dir(corpus))["corpus"] == corpus


def test_benchmarks_of_runs_read_back_as_runs(tmp_path: Path):
    from rnnlab.job_times import read_job_times

    bench = tmp_path / "results"
    for rel in (layout.benchmark_file("train_model", layout.run_key("c", "lstm-2layer", 3)),
                layout.benchmark_file("analyze_gradients", "c"), layout.benchmark_file("report")):
        path = bench / Path(rel).relative_to(layout.RESULTS)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("s\th:m:s\n1.5\t0:00:01\n")
    times = read_job_times(bench / "benchmarks")
    assert set(map(tuple, times[["step", "item", "seed"]].itertuples(index=False))) == {
        ("train_model", "c/lstm-2layer", 3), ("analyze_gradients", "c", -1), ("report", "", -1)}


def test_rule_files_spell_no_path_of_their_own(repo_root: Path):
    files = [repo_root / "Snakefile", *sorted((repo_root / "workflow/rules").glob("*.smk"))]
    for path in files:
        literal = re.findall(r"[\"'](?:results|data|logs)/[^\"']*[\"']", path.read_text())
        assert not literal, f"{path.name} spells {literal}; build the path with rnnlab.layout"


def test_dvc_tracks_what_the_workflow_leaves(repo_root: Path):
    stage = yaml.safe_load((repo_root / "dvc.yaml").read_text())["stages"]["pipeline"]
    tracked = {next(iter(entry)) for entry in stage["outs"] + stage["metrics"]}
    assert tracked == {layout.RAW, layout.PROCESSED, layout.MODELS, layout.METRICS, layout.METRICS_CSV,
                       layout.TIMINGS_CSV, layout.CURVES_CSV, layout.PLOTS, layout.ANALYSIS, layout.FIGURES,
                       layout.REPORT, layout.BENCHMARKS, layout.METRICS_JSON, layout.CLAIMS_JSON}
