import argparse
import json
import math

import pandas as pd
import pytest
from scipy import stats

from rnnlab.analysis import cli, registry
from rnnlab.analysis.significance import cell_value, significance
from rnnlab.analysis.stats import TESTS, all_comparisons, compare, compare_models, headline_table, mean_ci, phrase
from rnnlab.errors import RnnlabError


def test_paired_comparison_matches_scipy_ttest_rel():
    a = {1: 20.1, 2: 19.5, 3: 20.9, 4: 20.4}
    b = {1: 21.0, 2: 20.7, 3: 21.1, 4: 21.6, 5: 99.0}  # seed 5 has no partner and is left out
    c = compare(a, b, names=("lstm", "rnn"), metric="perplexity", higher_is_better=False)
    seeds = [1, 2, 3, 4]
    ref = stats.ttest_rel([a[s] for s in seeds], [b[s] for s in seeds])
    diffs = mean_ci([a[s] - b[s] for s in seeds])
    assert c.test == TESTS[0] and c.n == 4
    assert c.t == pytest.approx(ref.statistic) and c.p == pytest.approx(ref.pvalue)
    assert (c.diff, c.low, c.high) == pytest.approx((diffs.mean, diffs.low, diffs.high))
    assert c.mean_b == pytest.approx(21.1)  # mean over the shared seeds only


def test_fixed_reference_is_a_one_sample_test():
    seeded = {1: 80.0, 2: 84.0, 3: 82.5}
    c = compare(seeded, {0: 79.0}, names=("lstm", "ngram-nb"), metric="accuracy")
    ref = stats.ttest_1samp([v - 79.0 for v in seeded.values()], 0.0)
    assert c.test == TESTS[1] and c.n == 3
    assert c.p == pytest.approx(ref.pvalue) and c.diff == pytest.approx(82.1666666 - 79.0, rel=1e-6)
    swapped = compare({0: 79.0}, seeded, names=("ngram-nb", "lstm"), metric="accuracy")
    assert swapped.diff == pytest.approx(-c.diff) and swapped.p == pytest.approx(c.p)


def test_better_only_when_the_interval_excludes_zero():
    clear = compare({1: 10.0, 2: 11.0, 3: 12.0}, {1: 20.0, 2: 20.5, 3: 22.0}, names=("lstm", "rnn"),
                    metric="perplexity", higher_is_better=False)
    assert clear.decided and clear.high < 0 and clear.winner == "lstm"
    text = phrase(clear)
    assert text.startswith("lstm is better than rnn on perplexity (lower is better)")
    assert "95% CI [" in text and "paired t-test" in text

    noisy = compare({1: 10.0, 2: 30.0, 3: 12.0}, {1: 20.0, 2: 11.0, 3: 22.0}, names=("lstm", "rnn"),
                    metric="perplexity", higher_is_better=False)
    assert noisy.low < 0 < noisy.high and not noisy.decided and noisy.winner is None
    assert phrase(noisy).startswith("No clear difference between lstm and rnn on perplexity")
    assert "better" not in phrase(noisy)

    higher = compare({1: 90.0, 2: 91.0, 3: 92.0}, {1: 80.0, 2: 80.5, 3: 82.0}, names=("bilstm", "lstm"),
                     metric="accuracy")
    assert higher.winner == "bilstm" and phrase(higher).startswith("bilstm is better than lstm on accuracy")


def test_constant_difference_and_identical_runs():
    const = compare({1: 100.0, 2: 100.0}, {1: 90.0, 2: 90.0})
    assert (const.low, const.high, const.p) == (10.0, 10.0, 0.0) and const.decided
    same = compare({1: 100.0, 2: 100.0}, {1: 100.0, 2: 100.0})
    assert (same.diff, same.p) == (0.0, 1.0) and not same.decided


def test_single_runs_make_no_claim():
    c = compare({0: 30.3}, {0: 31.2}, names=("ngram-kn3", "ngram-kn2"), metric="perplexity", higher_is_better=False)
    assert c.test == TESTS[2] and math.isnan(c.p) and not c.decided
    assert phrase(c) == ("ngram-kn3 vs ngram-kn2 on perplexity: 30.30 vs 31.20; with no two seeds in common "
                         "there is no interval, so no claim either way.")
    assert "no value" in phrase(compare({}, {1: 1.0, 2: 2.0}))


def metrics_table():
    rows = []
    for seed, (lstm, rnn) in {1: (20.1, 22.0), 2: (20.3, 22.4), 3: (19.9, 21.7)}.items():
        for model, value in (("lstm", lstm), ("rnn", rnn)):
            rows.append(("lm", "toy", model, seed, "test", "perplexity", value))
            rows.append(("lm", "toy", model, seed, "valid", "perplexity", value + 5))
    rows.append(("lm", "toy", "ngram-kn3", 0, "test", "perplexity", 30.0))
    rows.append(("lm", "toy", "ngram-kn3", 0, "test", "oov_rate", 0.0))
    return pd.DataFrame(rows, columns=["task", "corpus", "model", "seed", "split", "metric", "value"])


def test_headline_and_pairs_use_the_test_split():
    metrics = metrics_table()
    head = headline_table(metrics)
    assert set(head["split"]) == {"test"} and set(head["metric"]) == {"perplexity"}
    lstm = head[head["model"] == "lstm"].iloc[0]
    assert lstm["mean"] == pytest.approx(20.1) and lstm["n"] == 3
    pairs = all_comparisons(metrics)
    assert len(pairs) == 3  # lstm/ngram-kn3, lstm/rnn, ngram-kn3/rnn
    row = pairs[(pairs["a"] == "lstm") & (pairs["b"] == "rnn")].iloc[0]
    assert row["winner"] == "lstm" and row["sentence"].startswith("lstm is better than rnn")
    c = compare_models(metrics, "toy", "perplexity", "rnn", "lstm", split="valid")
    assert c.mean_a == pytest.approx(27.0333333)
    with pytest.raises(RnnlabError, match="no perplexity rows for model 'gru'.*models there: lstm, ngram-kn3, rnn"):
        compare_models(metrics, "toy", "perplexity", "gru", "lstm")


def test_cli_action_writes_tables_summary_and_figure(tmp_path, capsys):
    table = metrics_table()
    table.loc[len(table)] = ("lm", "toy", "ngram-kn2", 0, "test", "perplexity", 31.0)
    table.to_csv(tmp_path / "metrics.csv", index=False)
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["analyze", "significance", "--metrics", str(tmp_path / "metrics.csv"),
                              "--out", str(tmp_path / "out")])
    assert args.func(args) == 0
    out = tmp_path / "out"
    names = {p.name for p in out.iterdir()}
    assert {"headline.csv", "comparisons.csv", "summary.json", "index.json", "significance_lm.png",
            "significance_lm.pdf", "significance_lm.svg", "significance_lm.txt"} <= names
    def refuse(constant):
        raise ValueError(f"summary.json holds {constant}")

    summary = json.loads((out / "summary.json").read_text(), parse_constant=refuse)
    assert summary["comparisons"] == 6 and summary["decided"] == 5  # two single runs: no claim
    assert "lstm is better than rnn" in capsys.readouterr().out


def test_no_figures_then_redraw(tmp_path):
    metrics_table().to_csv(tmp_path / "metrics.csv", index=False)
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["analyze", "significance", "--metrics", str(tmp_path / "metrics.csv"),
                              "--out", str(tmp_path / "out"), "--no-figures"])
    assert args.func(args) == 0
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"headline.csv", "comparisons.csv", "summary.json"}
    made = {name: (figure, caption) for name, figure, caption in registry.redraw("significance", tmp_path / "out")}
    assert set(made) == {"significance_lm", "significance_classification", "significance_tagging", "significance_ner"}
    figure, caption = made["significance_lm"]
    assert figure is not None and caption.startswith("Pairwise differences between lm models on perplexity")
    # One cell per pair of models in the lower triangle, * where the CI excludes 0.
    cells = [t.get_text() for t in figure.axes[0].texts]
    assert len(cells) == 3 and any(c.endswith("*") for c in cells)
    assert made["significance_tagging"][0] is None


def test_redraw_needs_a_summary(tmp_path):
    with pytest.raises(RnnlabError, match="summary.json is missing: run `rnnlab analyze clipping"):
        registry.redraw("clipping", tmp_path)


def test_missing_metrics_file_is_a_clear_error(tmp_path):
    with pytest.raises(RnnlabError, match="not found; run `rnnlab collect`"):
        significance(str(tmp_path / "nope.csv"))


@pytest.mark.parametrize("action", sorted(registry.ANALYSES))
def test_every_analyze_action_has_help(action, capsys):
    parser = argparse.ArgumentParser(prog="rnnlab")
    cli.register(parser.add_subparsers(dest="command"))
    with pytest.raises(SystemExit) as info:
        parser.parse_args(["analyze", action, "--help"])
    assert info.value.code == 0 and "--out" in capsys.readouterr().out


def test_heatmap_cells_print_float_noise_as_zero():
    assert cell_value(5.7e-15, 46.0) == "0" and cell_value(-2e-14, 46.0) == "0"
    assert cell_value(0.044, 46.0) == "0.044" and cell_value(-1.6, 4.0) == "-1.6" and cell_value(24.4, 46.0) == "24"
