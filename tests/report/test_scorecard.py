import json
import math
from pathlib import Path

import pandas as pd
import pytest

from rnnlab.analysis.stats import compare, holm
from rnnlab.report import scorecard as sc
from rnnlab.report.analyses import AnalysisResult
from rnnlab.report.claim_tests import ModelContrast, ProbeContrast, Refused
from rnnlab.report.claims import CLAIMS, Claim


def _cmp(a: list[float], b: list[float]):
    return compare(dict(enumerate(a, 1)), dict(enumerate(b, 1)), names=("lstm", "rnn"), metric="accuracy")


def test_verdict_interval_includes_zero_is_not_shown():
    c = _cmp([80.0, 70.0, 90.0], [79.0, 75.0, 82.0])
    assert not c.decided
    assert sc.verdict(c, "lstm", 0.01) == sc.NOT_SHOWN


def test_verdict_interval_excludes_zero_each_way():
    c = _cmp([90.0, 91.0, 92.5], [80.0, 80.5, 81.0])
    assert sc.verdict(c, "lstm", c.p) == sc.SHOWN
    assert sc.verdict(c, "rnn", c.p) == sc.CONTRADICTED
    # The same interval, but not significant after correction: not shown.
    assert sc.verdict(c, "lstm", 0.2) == sc.NOT_SHOWN


def test_verdict_too_few_seeds_is_not_shown_and_says_why():
    c = _cmp([90.0], [80.0])
    assert math.isnan(c.low) and sc.verdict(c, "lstm", math.nan) == sc.NOT_SHOWN
    assert "no interval (1 seed(s))" in sc.effect_text(sc.Measurement("x", c, "lstm"))


def test_combine():
    assert sc.combine([]) == sc.NOT_RUN
    assert sc.combine([sc.SHOWN, sc.SHOWN]) == sc.SHOWN
    assert sc.combine([sc.SHOWN, sc.NOT_SHOWN]) == sc.NOT_SHOWN
    assert sc.combine([sc.SHOWN, sc.CONTRADICTED]) == sc.CONTRADICTED


def _metrics() -> pd.DataFrame:
    rows = [dict(task="lm", corpus="syn", model=m, seed=s, split="test", metric="perplexity", value=v + 0.3 * s * s)
            for m, v in (("lstm", 50.0), ("rnn", 60.0)) for s in (1, 2, 3)]
    rows += [dict(task="lm", corpus="syn", model=m, seed=0, split="test", metric="perplexity", value=v)
             for m, v in (("ngram-kn3", 80.0), ("ngram-kn5", 75.0))]
    return pd.DataFrame(rows)


def _probes() -> AnalysisResult:
    rows = [dict(model=m, seed=s, distance=d, cue_accuracy=acc + 0.01 * s, probes=100)
            for m, base in (("lstm", 0.8), ("rnn", 0.3)) for s in (1, 2, 3)
            for d, acc in ((4, 0.9), (8, base), (16, base))]
    return AnalysisResult("long-distance", "syn", Path("."), {}, {"probes": pd.DataFrame(rows)})


def test_measure_all_corrects_the_primary_tests_together_and_checks_the_configuration():
    claims = (Claim(1, "neural beats n-gram", "lm", ModelContrast("lm", "perplexity", "lstm", "ngram")),
              Claim(2, "lstm recalls further", "long-distance", ProbeContrast("lstm", "rnn", 8)),
              Claim(3, "tagging", "tagging", ModelContrast("tagging", "accuracy", "bilstm", "lstm")),
              Claim(4, "refused", "bidirectional", Refused("bilstm", "lm")))
    rows = sc.measure_all(_metrics(), {"long-distance": [_probes()]}, claims)
    first, probes, tagging, refused = rows
    # The best n-gram (lowest mean perplexity) is the one compared.
    assert "lstm − ngram-kn5, syn, test" in first.measured.test
    assert [m.label for m in probes.measured.measurements] == ["syn, d=8", "syn, d=16"]
    raw = [first.measured.measurements[0].comparison.p] + [m.comparison.p for m in probes.measured.measurements]
    assert first.p_corrected + probes.p_corrected == pytest.approx(holm(raw))
    assert sc.family_size(rows) == 3
    assert probes.p == pytest.approx(max(holm(raw)[1:]))
    assert first.verdict == sc.SHOWN and probes.verdict == sc.SHOWN
    assert tagging.verdict == sc.NOT_RUN and "no tagging corpus" in sc.frame(rows)["effect (95% CI)"][2]
    assert refused.verdict == sc.CHECK_PASSED and math.isnan(refused.p)
    assert "bidirectional" in refused.measured.measurements[0].note


def test_every_declared_claim_has_a_row_and_the_files_are_written(tmp_path: Path):
    rows = sc.measure_all(_metrics(), {"long-distance": [_probes()]})
    frame = sc.frame(rows)
    assert frame["claim"].tolist() == [c.number for c in CLAIMS]
    assert set(frame["verdict"]) <= {sc.SHOWN, sc.NOT_SHOWN, sc.CONTRADICTED, sc.NOT_RUN, sc.CHECK_PASSED}
    written = sc.write_scorecard(rows, tmp_path, tmp_path / "claims.json")
    assert pd.read_csv(written[0])["verdict"].tolist() == frame["verdict"].tolist()
    tex = written[1].read_text()
    assert tex.startswith("% Needs") and r"\begin{table*}" in tex and r"\toprule" in tex
    assert "‖" not in tex and "≥" not in tex and "−" not in tex
    record = json.loads(written[2].read_text())
    assert record["claim8"] == {"verdict": sc.CHECK_PASSED, "p_holm": None}


def test_effect_has_two_significant_digits_in_its_interval_and_a_true_minus():
    c = _cmp([90.0, 91.0, 92.5], [80.0, 80.5, 81.0])
    assert sc.effect_text(sc.Measurement("d=8", c, "lstm")) == "d=8: +10.7 [+8.8, +12.6]"
    reverse = compare({1: 80.0, 2: 80.5, 3: 81.0}, {1: 90.0, 2: 91.0, 3: 92.5})
    assert sc.effect_text(sc.Measurement("x", reverse, "A"), label=False) == "−10.7 [−12.6, −8.8]"


def test_one_sentence_states_each_claims_result_and_what_did_not_appear():
    shown = _cmp([90.0, 91.0, 92.5], [80.0, 80.5, 81.0])
    tied = _cmp([100.0, 100.0, 100.0], [100.0, 100.0, 100.0])
    claims = (Claim(6, "far", "bidirectional", ProbeContrast("bilstm", "lstm", 8)),
              Claim(11, "far too", "bidirectional", ProbeContrast("lstm", "rnn", 8)))
    rows = [sc.Row(claims[0], sc.Measured("t", [sc.Measurement("sent, d=65", tied, "lstm")]), [1.0], [sc.NOT_SHOWN]),
            sc.Row(claims[1], sc.Measured("t", [sc.Measurement("sent, d=65", shown, "lstm")]), [0.004], [sc.SHOWN])]
    assert sc.sentence(rows) == (
        "The scorecard on sent, d=65: claim 6, lstm − rnn +0.00 [+0.00, +0.00], p (Holm) 1.000, not shown; claim 11, "
        "lstm − rnn +10.7 [+8.8, +12.6], p (Holm) 0.004, shown. For claim 6, the expected effect does not appear "
        "here.")
    assert sc.sentence(rows[1:]).endswith("shown.")
