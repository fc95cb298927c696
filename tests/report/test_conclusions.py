import pandas as pd
import pytest

from rnnlab.analysis.stats import all_comparisons, compare, headline_table
from rnnlab.report import conclusions as cc


def _lm(lstm: list[float], rnn: list[float]) -> pd.DataFrame:
    rows = [dict(task="lm", corpus="syn", model=m, seed=s, split="test", metric="perplexity", value=v)
            for m, values in (("lstm", lstm), ("rnn", rnn)) for s, v in enumerate(values, 1)]
    return pd.DataFrame(rows)


EXPECT = cc.Expectation("lstm", "rnn", "perplexity", "the LSTM has lower perplexity than the RNN")


def test_effect_present():
    v = cc.expect_models(_lm([90.0, 91.0, 92.0], [100.0, 101.5, 102.0]), "syn", EXPECT)
    assert v.outcome == cc.PRESENT
    assert "as expected" in v.sentence and "95% CI [" in v.sentence
    assert cc.EXPECTED_NOT_SEEN not in v.sentence


def test_effect_reversed_is_reported_as_absent():
    v = cc.expect_models(_lm([110.0, 111.0, 112.5], [100.0, 101.0, 102.0]), "syn", EXPECT)
    assert v.outcome == cc.ABSENT
    assert "the opposite holds: rnn is better" in v.sentence
    assert v.sentence.endswith(f"{cc.EXPECTED_NOT_SEEN}.")


def test_effect_undecided_never_says_better():
    v = cc.expect_models(_lm([100.0, 95.0, 105.0], [101.0, 99.0, 100.5]), "syn", EXPECT)
    assert v.outcome == cc.UNDECIDED
    assert "better" not in v.sentence and cc.EXPECTED_NOT_SEEN in v.sentence


def test_missing_model_is_not_run():
    v = cc.expect_models(_lm([90.0, 91.0], [100.0, 101.0]), "syn",
                         cc.Expectation("bilstm", "lstm", "perplexity", "x"))
    assert v.outcome == cc.NOT_RUN


def test_gradient_conclusions_from_summary_records():
    c = compare({1: -0.15, 2: -0.14, 3: -0.16}, {1: -0.10, 2: -0.09, 3: -0.11}, names=("lstm", "rnn"),
                metric="log10 slope")
    lines = cc.gradient_conclusions("syn", {"lstm_vs_rnn": [{"stage": "trained", **c.__dict__, "decided": c.decided}]})
    assert len(lines) == 1 and "the opposite holds: rnn is better" in lines[0]
    assert "cannot be compared" in cc.gradient_conclusions("syn", {})[0]


def test_clipping_conclusions_present_and_absent():
    same = {"counts": {"clipped": {"runs": 3, "diverged": 0, "unstable": 1},
                       "unclipped": {"runs": 3, "diverged": 0, "unstable": 1}}}
    assert cc.EXPECTED_NOT_SEEN in cc.clipping_conclusions("syn", same)[0]
    helped = {"counts": {"clipped": {"runs": 3, "diverged": 0, "unstable": 0},
                         "unclipped": {"runs": 3, "diverged": 2, "unstable": 3}}}
    assert "as expected" in cc.clipping_conclusions("syn", helped)[0]


def test_long_distance_conclusions_compare_lstm_and_rnn_at_every_distance():
    rows = [dict(model=m, seed=s, distance=d, cue_accuracy=acc) for m, base in (("lstm", 0.8), ("rnn", 0.1))
            for s in (1, 2, 3) for d, acc in ((4, 0.9), (16, base + 0.01 * s))]
    lines = cc.long_distance_conclusions("syn", pd.DataFrame(rows))
    assert lines == ["On syn, the LSTM recalls the cue better than the RNN at distance(s) 16 (95% CI of the "
                     "difference excludes 0)."]
    tied = [dict(row, cue_accuracy=0.5) for row in rows]
    assert "at no probed distance" in cc.long_distance_conclusions("syn", pd.DataFrame(tied))[-1]
    assert "no long-distance probes" in cc.long_distance_conclusions("syn", None)[0]


def test_tagging_conclusions_use_right_context_and_ignore_per_tag_rows():
    rows = []
    for model, base in (("bilstm", 95.0), ("lstm", 80.0)):
        for seed in (1, 2, 3):
            for metric in ("accuracy", "accuracy_oov", "accuracy_right_context", "macro_f1"):
                rows.append(dict(task="tagging", corpus="ud", model=model, seed=seed, split="test", metric=metric,
                                 value=base + seed * 0.3))
            rows.append(dict(task="tagging", corpus="ud", model=model, seed=seed, split="test", metric="tag_f1.NOUN",
                             value=50.0))
    metrics = pd.DataFrame(rows)
    lines = cc.tagging_conclusions(metrics)
    assert any("right-context tokens" in line and "as expected" in line for line in lines)
    assert not any("tag_f1" in line for line in lines)
    assert not headline_table(metrics)["metric"].str.startswith("tag_f1").any()
    assert not all_comparisons(metrics)["metric"].str.startswith("tag_f1").any()
    assert set(all_comparisons(metrics)["metric"]) == {"accuracy", "accuracy_oov", "accuracy_right_context", "macro_f1"}


@pytest.mark.parametrize("comparisons,decided,corrected,word", [
    (0, 0, 0, "nothing was compared"), (4, 1, 0, "in 1 the 95% CI of the difference excludes 0; 0 remain significant")])
def test_significance_conclusions(comparisons, decided, corrected, word):
    assert word in cc.significance_conclusions(comparisons, decided, corrected, 2)[0]


def test_levels_conclusion_counts_decided_comparisons():
    decided = compare({1: 9.0, 2: 10.0, 3: 11.5}, {1: 1.0, 2: 1.5, 3: 2.0})
    open_ = compare({1: 9.0, 2: 1.0, 3: 5.0}, {1: 5.0, 2: 5.0, 3: 5.0})
    assert "1 of 2 per-level comparisons" in cc.levels_conclusion("syn", [decided, open_])[0]
    assert "no model pair" in cc.levels_conclusion("syn", [])[0]


def test_recall_by_seed_counts_the_seeds_at_the_floor_per_distance():
    from rnnlab.report.conclusions import recall_by_seed

    rows = [dict(model=m, seed=s, distance=d, cue_accuracy=acc)
            for m, accs in (("lstm", {8: (1.0, 0.9, 0.2), 32: (1.0, 0.5, 0.1)}), ("rnn", {8: (0.1, 0.1, 0.1)}))
            for d, values in accs.items() for s, acc in zip((1, 2, 3), values)]
    rows += [dict(model="lstm", seed=1, distance=4, cue_accuracy=0.0)]  # below min_distance: not counted
    (text,) = recall_by_seed("syn", pd.DataFrame(rows))
    assert text == ("On syn, seeds at which lstm recalls the cue at ≥ 0.8: d=8: 2/3, d=32: 1/3 "
                    "(lowest seed: d=8: 0.20, d=32: 0.10).")
    assert recall_by_seed("syn", None) == [] and recall_by_seed("syn", pd.DataFrame(rows[:0])) == []


def test_floor_by_level_names_each_models_lowest_seed_on_the_nearest_level():
    from rnnlab.report.conclusions import floor_by_level

    rows = [dict(model=m, seed=s, factor="distance", level=lv, accuracy=acc - s)
            for m, base in (("rnn", 90.0), ("lstm", 100.0)) for s in (0, 1, 2)
            for lv, acc in (("1–8", base), ("9–24", base - 30))]
    (text,) = floor_by_level("sent", pd.DataFrame(rows), "distance")
    assert text == "On sent, the lowest seed's accuracy at distance 1–8 (the nearest level): rnn 88.0, lstm 98.0."
    assert floor_by_level("sent", pd.DataFrame(rows), "length") == []


def _curves(firsts: dict[str, list[int]], epochs: int = 6) -> pd.DataFrame:
    """Valid accuracy per epoch: 50% until the model's first learned epoch on that seed, 100% from it."""
    return pd.DataFrame([dict(corpus="sent", model=m, seed=s, epoch=e, metric="valid_accuracy",
                              value=100.0 if e >= first else 50.0)
                         for m, seeds in firsts.items() for s, first in enumerate(seeds, 1)
                         for e in range(1, epochs + 1)])


def test_learning_speed_compares_the_area_under_the_curve_and_names_each_seeds_first_learned_epoch():
    curves = _curves({"bilstm": [2, 2, 3], "lstm": [4, 5, 4], "rnn": [9, 9, 9]})
    # Another metric and another corpus are not read.
    curves = pd.concat([curves, curves.assign(metric="valid_loss", value=0.1), curves.assign(corpus="other")])
    (text,) = cc.learning_speed("sent", curves, [("bilstm", "lstm"), ("lstm", "rnn"), ("lstm", "absent")])
    # bilstm − lstm per seed: 50 points over (lstm's − bilstm's first epoch) of 6 epochs: 16.7, 25.0, 8.3.
    assert "valid accuracy averaged over epochs 1–6" in text
    assert "bilstm − lstm +16.7 [" in text and "lstm − rnn +" in text and "absent" not in text
    assert text.endswith("the first epoch at which valid accuracy reached 95%, seed by seed: rnn never on every "
                         "seed; lstm 4, 5, 4; bilstm 2, 2, 3.")


def test_learning_speed_compares_only_the_epochs_every_run_has():
    short = _curves({"lstm": [2, 2, 2]}, epochs=3)
    long = _curves({"rnn": [5, 5, 6]}, epochs=8)
    (text,) = cc.learning_speed("sent", pd.concat([short, long]), [("lstm", "rnn")])
    assert "averaged over epochs 1–3" in text and "rnn never on every seed" in text
    # Constant differences (+33.3 on every seed) have a zero-width interval.
    assert "lstm − rnn +33.3 [+33.3, +33.3]*" in text
    assert cc.learning_speed("sent", None, [("lstm", "rnn")]) == []
    assert cc.learning_speed("absent", short, [("lstm", "rnn")]) == []
