from pathlib import Path

import pandas as pd

from rnnlab.report.analyses import AnalysisResult
from rnnlab.analysis.registry import ANALYSES
from rnnlab.report import analysis_sections
from rnnlab.report.analysis_sections import bidirectional
from rnnlab.report.context import ReportContext
from rnnlab.report.scorecard import measure_all
from rnnlab.report.sections import Inputs, Section

MODELS = {"rnn": 55.0, "lstm": 100.0, "lstm-fb0": 100.0, "bilstm": 100.0}


def _breakdown() -> pd.DataFrame:
    """Accuracy by distance: every LSTM at 100 in both buckets, the RNN near chance; seed-to-seed noise."""
    return pd.DataFrame([dict(model=m, seed=s, factor="distance", level=level, accuracy=acc - (s % 2) * (m == "rnn"))
                         for m, acc in MODELS.items() for s in (1, 2, 3) for level in ("1–8", "65–150")])


def _curves() -> pd.DataFrame:
    firsts = {"rnn": 99, "lstm": 4, "lstm-fb0": 5, "bilstm": 2}
    return pd.DataFrame([dict(corpus="sent", model=m, seed=s, epoch=e, metric="valid_accuracy",
                              value=MODELS[m] if e >= firsts[m] + (s == 3) else 50.0)
                         for m in MODELS for s in (1, 2, 3) for e in range(1, 7)])


def _inputs(curves: pd.DataFrame | None) -> Inputs:
    pairs = [("bilstm", "lstm"), ("lstm", "rnn"), ("lstm-fb0", "lstm")]
    result = AnalysisResult("bidirectional", "sent", Path("."),
                            {"comparisons": [{"a": a, "b": b} for a, b in pairs], "headline": {"factor": "distance"}},
                            {"breakdown": _breakdown()})
    analyses = {"bidirectional": [result]}
    ctx = ReportContext("t", "tiny", "now", {}, {}, None, [], None, pd.DataFrame(), [], None, "")
    ctx.scorecard = measure_all(pd.DataFrame(columns=["task", "corpus", "model", "seed", "split", "metric", "value"]),
                                analyses)
    return Inputs(ctx, pd.DataFrame(columns=["task", "corpus", "model", "metric", "value"]), analyses, curves)


def test_the_section_states_its_by_level_claims_and_how_fast_each_model_learned():
    text = "\n".join(bidirectional(_inputs(_curves())).conclusions)
    # Claims 6, 10 and 11 are measured at the farthest bucket: the tie is stated as an effect that did not appear.
    assert "The scorecard on sent, distance=65–150: claim 6, bilstm − lstm +0.00 [+0.00, +0.00]" in text
    assert "claim 11, lstm − rnn +45." in text and "For claims 6 and 10, the expected effect does not appear" in text
    assert "how fast each classifier learned" in text
    assert "lstm-fb0 − lstm −" in text and "bilstm 2, 2, 3" in text and "rnn never on every seed" in text


def test_without_learning_curves_the_section_leaves_out_the_learning_speed():
    text = "\n".join(bidirectional(_inputs(None)).conclusions)
    assert "The scorecard on sent" in text and "how fast" not in text


def test_every_section_of_its_own_belongs_to_a_registered_analysis():
    named = set(analysis_sections.BUILDERS) | set(analysis_sections.NESTED) | set(analysis_sections.NESTED.values())
    assert named <= set(ANALYSES), named - set(ANALYSES)


def test_sections_come_in_the_registry_order_with_nested_ones_inside_their_parent(monkeypatch):
    builders = {name: (lambda inp, n=name: Section(n, n)) for name in ANALYSES if name != "gradients"}
    monkeypatch.setattr(analysis_sections, "BUILDERS", builders)
    monkeypatch.setattr(analysis_sections, "NESTED", {"clipping": "long-distance", "context": "long-distance"})
    inp = _inputs(None)
    inp.ctx.provenance = {"commit": "abc", "devices": "cpu", "backends": "cpu"}
    # gradients has no section of its own here: it gets one of its statements.
    inp.analyses["gradients"] = [AnalysisResult("gradients", "lm-corpus", Path("."), {"statements": ["it decays"]})]
    sections = analysis_sections.build_sections(inp)
    assert [s.key for s in sections] == ["data", "lm", "gradients", "long-distance", "bidirectional", "significance",
                                         "provenance"]
    assert sections[2].conclusions == ["On lm-corpus: it decays"]
    assert [s.key for s in sections[3].subsections] == ["clipping", "context"]
