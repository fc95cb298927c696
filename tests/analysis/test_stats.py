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
