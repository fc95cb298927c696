"""The scorecard: every claim of :data:`.claims.CLAIMS` measured on a run, Holm-corrected, with a verdict.

A measurement is *shown* when the 95% CI of its difference excludes 0 in the claim's direction and
its Holm-corrected p is below 0.05, *contradicted* when the same holds the other way, and *not
shown* otherwise (the interval includes 0, or too few seeds to form one). A claim is shown when every
one of its measurements is (its p is then the largest of theirs, an intersection-union test),
contradicted when any is, and *not run* when nothing was measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from ..analysis.stats import Comparison, holm
from ..io import write_json, write_text
from ..metrics import number
from .claim_tests import Analyses, Measured, Measurement
from .conclusions import EXPECTED_NOT_SEEN
from .claims import CLAIMS, Claim
from .context import Table
from .latex import booktabs

SHOWN, NOT_SHOWN, CONTRADICTED, NOT_RUN = "shown", "not shown", "contradicted", "not run"
CHECK_PASSED, CHECK_FAILED = "shown (configuration check)", "contradicted (configuration check)"
ALPHA = 0.05
COLUMNS = ("claim", "statement", "test", "effect (95% CI)", "p (Holm)", "verdict", "section")


def verdict(c: Comparison | None, expected: str, p_corrected: float, alpha: float = ALPHA) -> str:
    """Shown / contradicted / not shown for one comparison whose winner should be ``expected``."""
    if c is None or not c.decided or math.isnan(p_corrected) or p_corrected >= alpha:
        return NOT_SHOWN
    return SHOWN if c.winner == expected else CONTRADICTED


def combine(verdicts: Sequence[str]) -> str:
    """A claim's verdict from those of its measurements."""
    if not verdicts:
        return NOT_RUN
    if CONTRADICTED in verdicts:
        return CONTRADICTED
    return SHOWN if all(v == SHOWN for v in verdicts) else NOT_SHOWN


@dataclass(frozen=True)
class Row:
    claim: Claim
    measured: Measured
    p_corrected: list[float]  # one per measurement (NaN: no test, or a configuration check)
    verdicts: list[str]

    @property
    def verdict(self) -> str:
        checks = [m.passed for m in self.measured.measurements if m.passed is not None]
        if checks:
            return CHECK_PASSED if all(checks) else CHECK_FAILED
        return combine(self.verdicts)

    @property
    def p(self) -> float:
        """The claim's corrected p: the largest over its measurements (all must hold)."""
        return max(self.p_corrected) if self.p_corrected and not any(map(math.isnan, self.p_corrected)) else math.nan


def _decimals(half_width: float) -> int:
    """Decimals that give the interval's half-width two significant digits."""
    if not half_width or math.isnan(half_width):
        return 2
    return max(0, 1 - math.floor(math.log10(abs(half_width))))


def effect_text(m: Measurement, label: bool = True) -> str:
    if m.comparison is None:
        return m.note
    c = m.comparison
    head = f"{m.label}: " if label else ""
    if not c.decided and (c.n < 2 or math.isnan(c.low)):
        return f"{head}{number(c.diff, 3, sign=True, kind='g')}, no interval ({c.n} seed(s))"
    k = _decimals((c.high - c.low) / 2)
    return f"{head}{number(c.diff, k, sign=True)} [{number(c.low, k, sign=True)}, {number(c.high, k, sign=True)}]"


def p_text(p: float) -> str:
    if math.isnan(p):
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def measure_all(metrics: pd.DataFrame, analyses: Analyses, claims: Sequence[Claim] = CLAIMS) -> list[Row]:
    """Measure every claim; Holm over all measurements of the primary claims together."""
    measured = [claim.test.measure(metrics, analyses) for claim in claims]
    family = [(i, j) for i, (claim, m) in enumerate(zip(claims, measured)) if claim.primary
              for j, x in enumerate(m.measurements) if x.comparison is not None]
    raw = [measured[i].measurements[j].comparison.p for i, j in family]
    adjusted = dict(zip(family, holm(raw)))
    rows = []
    for i, (claim, m) in enumerate(zip(claims, measured)):
        ps = [adjusted.get((i, j), math.nan) for j in range(len(m.measurements))]
        verdicts = [verdict(x.comparison, x.expected, p) for x, p in zip(m.measurements, ps) if x.passed is None]
        rows.append(Row(claim, m, ps, verdicts))
    return rows


def family_size(rows: Sequence[Row]) -> int:
    return sum(1 for r in rows for p in r.p_corrected if not math.isnan(p))


def frame(rows: Sequence[Row]) -> pd.DataFrame:
    """The scorecard as data: one row per claim (claims.csv, claims.tex)."""
    out = []
    for r in rows:
        many = len(r.measured.measurements) > 1
        effect = "; ".join(effect_text(m, label=many) for m in r.measured.measurements) or r.measured.reason
        out.append(dict(zip(COLUMNS, (r.claim.number, r.claim.text, r.measured.test, effect, p_text(r.p),
                                      r.verdict, r.claim.section))))
    return pd.DataFrame(out, columns=list(COLUMNS))


def note(rows: Sequence[Row]) -> str:
    return (f"Effect: the difference named in the test (A − B), mean over seeds with its 95% CI (Student's t), "
            f"one entry per corpus or distance where a claim has several. p: Holm's step-down correction over "
            f"the {family_size(rows)} tests of the primary claims together; a claim's p is the largest of its "
            f"tests'. Verdict: shown when the CI excludes 0 in the claimed direction and the corrected p < "
            f"{ALPHA:g}; contradicted when it does so the other way; not shown otherwise; configuration checks "
            f"are not tests and have no p.")


TITLE = "The lecture's claims, measured"
# Ragged paragraph columns (the array package's >{...}) so that the table fits across a two-column page (table*).
_RAGGED = r">{\raggedright\arraybackslash}"
TEX_SPEC = (rf"@{{}}r {_RAGGED}p{{0.2\textwidth}} {_RAGGED}p{{0.25\textwidth}} {_RAGGED}p{{0.2\textwidth}} l "
            rf"{_RAGGED}p{{0.1\textwidth}}@{{}}")
TEX_NEEDS = "% Needs \\usepackage{booktabs} and \\usepackage{array} in the preamble.\n"


def table(rows: Sequence[Row]) -> Table:
    return Table(TITLE, frame(rows), note(rows), key="claims")


def view(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """What the HTML scorecard shows per claim (effects one per line, the verdict as a CSS class)."""
    out = []
    for r in rows:
        many = len(r.measured.measurements) > 1
        out.append({"number": r.claim.number, "text": r.claim.text, "test": r.measured.test,
                    "effects": [effect_text(m, label=many) for m in r.measured.measurements] or [r.measured.reason],
                    "p": p_text(r.p), "verdict": r.verdict, "css": r.verdict.split(" (")[0].replace(" ", "-"),
                    "section": r.claim.section})
    return out


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def sentence(rows: Sequence[Row]) -> str:
    """The results of some claims in one sentence, for the section that holds their evidence: each
    measurement's difference, corrected p and verdict, then which expected effects did not appear."""
    labels = list(dict.fromkeys(m.label for r in rows for m in r.measured.measurements))
    parts = []
    for r in rows:
        # Each measurement with its own corrected p and verdict; the claim's are those of its weakest.
        for m, p in zip(r.measured.measurements, r.p_corrected):
            if m.comparison is None:
                parts.append(f"claim {r.claim.number}, {m.note}, {r.verdict}")
                continue
            where = "" if len(labels) == 1 else f" on {m.label}"
            parts.append(f"claim {r.claim.number}, {m.comparison.a} − {m.comparison.b}{where} "
                         f"{effect_text(m, label=False)}, p (Holm) {p_text(p)}, {verdict(m.comparison, m.expected, p)}")
    head = f"The scorecard on {labels[0]}: " if len(labels) == 1 else "The scorecard: "
    missing = [str(r.claim.number) for r in rows if r.verdict not in (SHOWN, CHECK_PASSED)]
    tail = (f" For claim{'s' if len(missing) > 1 else ''} {_and(missing)}, {EXPECTED_NOT_SEEN}."
            if missing else "")
    return head + "; ".join(parts) + "." + tail


def metrics_record(rows: Sequence[Row]) -> dict[str, Any]:
    """Per claim: verdict and corrected p (null without a test), for `dvc metrics`."""
    return {f"claim{r.claim.number}": {"verdict": r.verdict, "p_holm": None if math.isnan(r.p) else r.p}
            for r in rows}


def write_scorecard(rows: Sequence[Row], out_dir: Path, metrics_json: Path | None = None) -> list[Path]:
    """claims.csv and claims.tex (booktabs, across both columns) in ``out_dir``; and the DVC metric file."""
    t = table(rows)
    written = [out_dir / "claims.csv", out_dir / "claims.tex"]
    write_text(written[0], t.frame.to_csv(index=False))
    tex = Table(t.title, t.frame.drop(columns=["section"]), t.note, t.key)
    write_text(written[1], TEX_NEEDS + booktabs(tex, "claims", spec=TEX_SPEC, wide=True))
    if metrics_json is not None:
        write_json(metrics_json, metrics_record(rows))
        written.append(metrics_json)
    return written
