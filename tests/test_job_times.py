from pathlib import Path

from rnnlab.job_times import per_item, per_step, read_job_times

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def _bench(root: Path, rel: str, seconds: float | None) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + (f"{seconds}\t0:00:01\t1\t1\t1\t1\t0\t0\t1\t{seconds}\n" if seconds is not None else ""))


def _tree(root: Path) -> Path:
    for seed, s in ((1, 10.0), (2, 12.0)):
        _bench(root, f"train_model/lm/lstm/seed{seed}.tsv", s)
    _bench(root, "train_model/lm/ngram-kn5/seed0.tsv", 3.0)
    _bench(root, "train_seeds/lm/window.tsv", 9.0)  # one job training every seed of a model
    _bench(root, "analyze_gradients/lm.tsv", 7.0)
    _bench(root, "collect_metrics.tsv", 0.5)
    _bench(root, "train_model/lm/rnn/seed1.tsv", None)  # a job killed before Snakemake wrote its row
    return root


def test_each_job_is_one_row_with_its_rule_item_and_seed(tmp_path: Path):
    times = read_job_times(_tree(tmp_path))
    rows = set(map(tuple, times[["step", "item", "seed", "seconds"]].itertuples(index=False)))
    assert rows == {("train_model", "lm/lstm", 1, 10.0), ("train_model", "lm/lstm", 2, 12.0),
                    ("train_model", "lm/ngram-kn5", 0, 3.0), ("train_seeds", "lm/window", -1, 9.0),
                    ("analyze_gradients", "lm", -1, 7.0),
                    ("collect_metrics", "", -1, 0.5)}


def test_step_totals_and_item_totals_over_seeds(tmp_path: Path):
    times = read_job_times(_tree(tmp_path))
    steps = per_step(times).set_index("step")
    assert steps.loc["train_model"].tolist() == [3, 25.0, 12.0]
    items = per_item(times, top=2)
    assert items[["step", "item", "jobs", "seconds"]].values.tolist() == [
        ["train_model", "lm/lstm", 2, 22.0], ["train_seeds", "lm/window", 1, 9.0], ["other", "3 more items", 3, 10.5]]
    assert per_item(times, top=10)["seconds"].sum() == times["seconds"].sum()


def test_no_benchmarks_is_an_empty_table(tmp_path: Path):
    assert read_job_times(tmp_path / "missing").empty
