"""Interpolated modified Kneser-Ney n-gram language models, compatible with KenLM.

``fit_arpa`` trains on a text file and writes an ARPA model, reproducing KenLM's ``lmplz``
with default settings, within a memory budget (sorting on disk beyond it, like ``lmplz -S``),
and a binary copy beside it; ``ArpaModel`` loads an ARPA file (through that copy when it
matches) and scores text like KenLM's ``query``.

Text conventions: one sentence per line, tokens separated by whitespace, UTF-8. Blank lines are
skipped (KenLM would score them as an empty sentence). ``<s>`` and ``</s>`` may not appear in
the text. A literal ``<unk>`` in training text is counted as an occurrence of the unknown word,
so ``<unk>`` gets a real probability instead of a zero count; when scoring, a literal ``<unk>``
is an OOV like any word outside the vocabulary (as in KenLM).
"""

from .fit import FitStats, build_model, fit_arpa
from .kneser_ney import Discounts
from .model import ArpaModel, ScoreSummary, SentenceScore

__all__ = ["ArpaModel", "Discounts", "FitStats", "ScoreSummary", "SentenceScore", "build_model", "fit_arpa"]
