from pathlib import Path

import pandas as pd
import pytest

from rnnlab.analysis.stats import compare
from rnnlab.report.analyses import AnalysisResult
from rnnlab.report.claim_tests import ContextLimit, ContextReach, LevelContrast, SummaryContrast


def test_context_limit_compares_within_and_beyond_the_highest_order():
    rows = [dict(model=m, seed=0, distance=d, cue_accuracy=acc, probes=200)
            for m, accs in (("ngram-kn3", (0.2, 0.2, 0.2)), ("ngram-kn5", (0.9, 0.25, 0.2)))
            for d, acc in zip((4, 8, 16), accs)]
    result = AnalysisResult("long-distance", "syn", Path("."), {}, {"probes": pd.DataFrame(rows)})
    measured = ContextLimit("ngram").measure(pd.DataFrame(), {"long-distance": [result]})
    (m,) = measured.measurements
    assert "ngram-kn5 (n = 5), d ≤ 4 vs d ≥ 5" in measured.test
    c = m.comparison
    assert c.diff == pytest.approx(0.9 - 0.225) and c.low > 0 and c.winner == m.expected == "d ≤ 4"
    assert ContextLimit("ngram").measure(pd.DataFrame(), {}).reason


def test_summary_contrast_selects_matching_records():
    c = compare({1: -0.05, 2: -0.06, 3: -0.055}, {1: -0.2, 2: -0.25, 3: -0.22}, names=("lstm", "rnn"), metric="slope")
    records = [{"stage": stage, **c.__dict__} for stage in ("init", "trained")]
    result = AnalysisResult("gradients", "syn", Path("."), {"lstm_vs_rnn": records})
    test = SummaryContrast("gradients", "lstm_vs_rnn", "lstm", "slope", where={"stage": "trained"})
    measured = test.measure(pd.DataFrame(), {"gradients": [result]})
    assert [m.label for m in measured.measurements] == ["syn"] and measured.test == "slope; syn"
    assert measured.measurements[0].comparison.winner == "lstm"
    assert "not run" in test.measure(pd.DataFrame(), {}).reason
    excluded = SummaryContrast("gradients", "lstm_vs_rnn", "lstm", "slope", exclude={"stage": "trained"})
    assert len(excluded.measure(pd.DataFrame(), {"gradients": [result]}).measurements) == 1


def test_level_contrast_compares_each_level_but_the_excluded():
    rows = [dict(model=m, seed=s, factor=f, level=lv, accuracy=acc + s)
            for m, gain in (("bilstm", 10.0), ("lstm", 0.0)) for s in (1, 2, 3)
            for f, lv, acc in (("all", "all", 70.0), ("position", "front", 60.0 + gain), ("position", "end", 90.0))]
    result = AnalysisResult("bidirectional", "sent", Path("."), {}, {"breakdown": pd.DataFrame(rows)})
    test = LevelContrast("bidirectional", "breakdown", "position", "accuracy", "bilstm", "lstm", exclude=("end",))
    (m,) = test.measure(pd.DataFrame(), {"bidirectional": [result]}).measurements
    assert m.label == "sent, position=front" and m.comparison.diff == pytest.approx(10.0)
    assert m.comparison.winner == "bilstm"
    assert "no bidirectional breakdown" in test.measure(pd.DataFrame(), {}).reason


def test_context_reach_compares_rnn_with_the_ngram_and_lstm_with_the_rnn():
    reach = {("ngram-kn3", 0): 2.0, ("ngram-kn5", 0): 3.0, ("rnn", 1): 10.0, ("rnn", 2): 20.0, ("rnn", 3): 10.0,
             ("lstm", 1): 50.0, ("lstm", 2): float("nan"), ("lstm", 3): 100.0}
    rows = [dict(model=m, seed=s, perturbation=p, distance=d if p == "truncate" else 1.0)
            for (m, s), d in reach.items() for p in ("truncate", "shuffle")]
    summary = {"threshold": 0.01, "max_distance": 300}
    result = AnalysisResult("context", "syn", Path("."), summary, {"reach": pd.DataFrame(rows)})
    measured = ContextReach("ngram", "lstm", "rnn").measure(pd.DataFrame(), {"context": [result]})
    rnn_vs_gram, lstm_vs_rnn = measured.measurements
    assert "ngram-kn5 uses 3 (n − 1 = 4)" in measured.test and "< 1%" in measured.test
    assert rnn_vs_gram.label == "syn, rnn − ngram-kn5" and rnn_vs_gram.comparison.test.startswith("one-sample")
    assert rnn_vs_gram.comparison.diff == pytest.approx(40 / 3 - 3)
    # A seed for which every probed d matters counts as the whole context (300 tokens).
    assert lstm_vs_rnn.comparison.mean_a == pytest.approx(450 / 3) and lstm_vs_rnn.expected == "lstm"
    assert lstm_vs_rnn.comparison.test == "paired t-test"
    assert ContextReach("ngram", "lstm", "rnn").measure(pd.DataFrame(), {}).reason
