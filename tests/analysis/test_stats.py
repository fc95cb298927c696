import math

import pandas as pd
import pytest
from scipy import stats

from rnnlab.analysis.stats import mean_ci, summarize


def test_mean_ci_matches_t_interval():
    values = [10.0, 12.0, 14.0]
    ci = mean_ci(values)
    half = stats.t.ppf(0.975, 2) * 2.0 / math.sqrt(3)
    assert ci.mean == pytest.approx(12.0)
    assert ci.high - ci.mean == pytest.approx(half)
    assert ci.format(1) == f"12.0 ± {half:.1f}"


def test_single_value_has_no_interval():
    ci = mean_ci([3.0])
    assert (ci.low, ci.high, ci.n) == (3.0, 3.0, 1)
    assert ci.format() == "3.00"


def test_nans_are_ignored_and_empty_is_nan():
    assert mean_ci([1.0, float("nan"), 3.0]).mean == 2.0
    assert math.isnan(mean_ci([float("nan")]).mean)
    assert mean_ci([]).format() == "—"


def test_summarize_groups():
    t = pd.DataFrame({"model": ["a", "a", "b"], "value": [1.0, 3.0, 5.0]})
    s = summarize(t, ["model"]).set_index("model")
    assert s.loc["a", "mean"] == 2.0 and s.loc["a", "n"] == 2
    assert s.loc["b", "text"] == "5.00"


def test_holm_matches_a_worked_example():
    from rnnlab.analysis.stats import holm

    # By hand, m = 4: sorted p 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 give 0.02, 0.03, 0.06, 0.04;
    # step-down monotonicity lifts the last to 0.06. Back in the given order:
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # An untested entry (NaN) stays NaN and does not count: m = 2, so 0.01 × 2 and 0.04 × 1.
    out = holm([0.01, float("nan"), 0.04])
    assert out[0] == pytest.approx(0.02) and math.isnan(out[1]) and out[2] == pytest.approx(0.04)
    assert holm([0.6, 0.7]) == pytest.approx([1.0, 1.0])


def test_holm_within_corrects_each_family_alone():
    from rnnlab.analysis.stats import holm_within

    t = pd.DataFrame({"corpus": ["x", "x", "y"], "p": [0.01, 0.04, 0.01]})
    assert holm_within(t, ["corpus"]).tolist() == pytest.approx([0.02, 0.04, 0.01])
