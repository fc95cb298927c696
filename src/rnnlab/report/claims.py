"""The lecture's claims, each with the test that measures it: the one list the scorecard is built from.

Adding a claim is one record here: its sentence, the report section that holds its evidence, and
its test (a kind from :mod:`.claim_tests`). Claims whose test is a statistical comparison are the
primary hypotheses: their p values are Holm-corrected together (see :mod:`.scorecard`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from .claim_tests import (ContextLimit, ContextReach, LevelContrast, ModelContrast, ProbeContrast, Refused,
                          SummaryContrast)

ClaimTest = Union[ModelContrast, SummaryContrast, LevelContrast, ProbeContrast, ContextLimit, ContextReach, Refused]


@dataclass(frozen=True)
class Claim:
    number: int
    text: str
    section: str  # key of the report section with its evidence
    test: ClaimTest

    @property
    def primary(self) -> bool:
        """A statistical hypothesis (corrected with the others), not a configuration check."""
        return not isinstance(self.test, Refused)


CLAIMS: tuple[Claim, ...] = (
    Claim(1, "Neural LMs beat n-gram LMs on perplexity.", "lm",
          ModelContrast("lm", "perplexity", better="lstm", worse="ngram")),
    Claim(2, "The RNN's gradient ‖∂J⁽ᵗ⁾/∂h⁽ᵏ⁾‖ vanishes faster with distance than the LSTM's (trained).", "gradients",
          SummaryContrast("gradients", "lstm_vs_rnn", expected="lstm", where={"stage": "trained"},
                          test="log10 decay slope of ‖∂J(t)/∂h(k)‖ per step of t − k, lstm − rnn, trained")),
    Claim(3, "Without clipping, SGD at a high rate is unstable; with clipping it is not.", "clipping",
          SummaryContrast("clipping", "final_loss_test", expected="clipped",
                          test="log10 final training loss, clipped − unclipped RNN, SGD, train")),
    Claim(4, "The LSTM carries information over longer distances than the RNN: cue recall at each probed "
             "distance ≥ 8.", "long-distance", ProbeContrast("lstm", "rnn", min_distance=8)),
    Claim(5, "The n-gram model cannot use context beyond n − 1 words.", "long-distance", ContextLimit("ngram")),
    Claim(6, "Bidirectional beats unidirectional where the evidence is far from the end (classification).",
          "bidirectional",
          LevelContrast("bidirectional", "breakdown", factor="distance", value="accuracy", better="bilstm",
                        worse="lstm", farthest=True)),
    Claim(7, "Bidirectional beats unidirectional where the right context decides (tagging).", "tagging",
          ModelContrast("tagging", "accuracy_right_context", better="bilstm", worse="lstm")),
    Claim(8, "A bidirectional LM is refused.", "bidirectional", Refused("bilstm", "lm")),
    Claim(9, "Bidirectional beats unidirectional on entities the right context decides (NER).", "ner",
          ModelContrast("ner", "span_f1_right_context", better="bilstm", worse="lstm")),
    Claim(10, "The cell carries evidence farther when the forget gate starts open (forget bias 1 vs 0).",
          "bidirectional",
          LevelContrast("bidirectional", "breakdown", factor="distance", value="accuracy", better="lstm",
                        worse="lstm-fb0", farthest=True)),
    Claim(11, "The LSTM beats the RNN where the evidence is far from the end (classification).", "bidirectional",
          LevelContrast("bidirectional", "breakdown", factor="distance", value="accuracy", better="lstm",
                        worse="rnn", farthest=True)),
    # Khandelwal, He, Qi & Jurafsky (2018): the context a model uses, measured by truncating it.
    Claim(12, "The n-gram uses n − 1 words of context; the RNN uses more, and the LSTM more than the RNN.",
          "context", ContextReach("ngram", better="lstm", worse="rnn")),
)
