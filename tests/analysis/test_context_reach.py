import math

import pandas as pd

from rnnlab.analysis.context_reach import reach_table, reach_text, statements


def rows(relative, model="m", seed=1, perturbation="truncate"):
    return pd.DataFrame({"model": model, "seed": seed, "perturbation": perturbation, "distance": [1, 2, 5],
                         "relative": relative})


def test_the_reach_is_the_first_distance_below_the_threshold():
    assert reach_table(rows([0.5, 0.02, 0.011]), 0.015)["distance"].iloc[0] == 5
    assert reach_table(rows([0.5, -0.3, 0.02]), 0.01)["distance"].iloc[0] == 2  # a loss that falls is below it
    assert math.isnan(reach_table(rows([0.5, 0.02, 0.011]), 0.01)["distance"].iloc[0])


def test_reach_over_seeds_as_text():
    table = reach_table(pd.concat([rows([0.5, 0.0, 0.0], seed=1), rows([0.5, 0.5, 0.0], seed=2),
                                   rows([0.5, 0.5, 0.5], model="far")]), 0.01)
    assert reach_text(table, "m", "truncate", 5).startswith("3.5 ± ")
    assert reach_text(table, "far", "truncate", 5) == "> 5"
    one_beyond = reach_table(pd.concat([rows([0.5, 0.0, 0.0], seed=1), rows([0.5, 0.5, 0.5], seed=2)]), 0.01)
    assert reach_text(one_beyond, "m", "truncate", 5) == "2.0 (1 of 2 seeds > 5)"
    assert statements(table, 5, 0.01)[0].startswith("far: effective context (truncation raises the loss by < 1%) = > 5")
