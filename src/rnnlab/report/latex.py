"""Results tables as LaTeX booktabs tables (``\\toprule``/``\\midrule``/``\\bottomrule``), one file each."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

import pandas as pd

from ..io import write_text
from .context import Table

# Characters with a meaning in LaTeX text, and what prints them literally.
SPECIALS: Mapping[str, str] = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
}
SPECIAL_RE = re.compile("|".join(re.escape(k) for k in SPECIALS))
# Unicode typography of the HTML tables and its LaTeX form (applied after escaping).
UNICODE: Mapping[str, str] = {" ± ": r" $\pm$ ", "±": r"$\pm$", "—": "---", "–": "--", "−": "$-$", "ñ": r"\~{n}",
                              "ø": r"{\o}", "é": r"\'{e}", "‖": r"$\|$", "∂": r"$\partial$", "⁽ᵗ⁾": r"$^{(t)}$",
                              "⁽ᵏ⁾": r"$^{(k)}$", "≥": r"$\geq$", "≤": r"$\leq$", "≠": r"$\neq$"}
FILES: Mapping[str, str] = {"lm": "lm", "classification": "classification", "tagging": "tagging", "ner": "ner",
                            "published": "published", "corpus-stats": "corpus-stats"}


def escape(text: str) -> str:
    out = SPECIAL_RE.sub(lambda m: SPECIALS[m.group(0)], text)
    for uni, tex in UNICODE.items():
        out = out.replace(uni, tex)
    return out


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "---"
    if isinstance(value, float):
        return f"{value:g}"
    return escape(str(value))


def _align(series: pd.Series) -> str:
    return "r" if pd.api.types.is_numeric_dtype(series) else "l"


def booktabs(table: Table, label: str, spec: str | None = None, wide: bool = False) -> str:
    """A complete ``table`` float (``table*``, across both columns of a two-column page, when ``wide``) with
    caption and label; every cell escaped; ``spec`` the column specification (default: l or r by type)."""
    frame = table.frame
    spec = spec or "".join(_align(frame[c]) for c in frame.columns)
    env = "table*" if wide else "table"
    lines = [rf"\begin{{{env}}}[ht]", r"\centering", r"\small", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
             " & ".join(escape(str(c)) for c in frame.columns) + r" \\", r"\midrule"]
    lines += [" & ".join(_cell(v) for v in row) + r" \\" for row in frame.itertuples(index=False)]
    caption = escape(table.title + (". " + table.note if table.note else ""))
    lines += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{caption}}}", rf"\label{{tab:{label}}}",
              rf"\end{{{env}}}", ""]
    return "\n".join(lines)


def write_tables(tables: list[Table], out_dir: Path) -> list[Path]:
    """Write ``<out_dir>/<name>.tex`` for every table whose key names one of FILES."""
    written = []
    for t in tables:
        if t.key not in FILES:
            continue
        path = Path(out_dir) / f"{FILES[t.key]}.tex"
        write_text(path, booktabs(t, FILES[t.key]))
        written.append(path)
    return written


def write_data_tables(tables: list[Table], out_dir: Path) -> list[Path]:
    """Write ``<out_dir>/<key>.tex`` and ``<key>.csv`` for every table: the numbers the page leaves out."""
    written = []
    for t in tables:
        tex, csv = Path(out_dir) / f"{t.key}.tex", Path(out_dir) / f"{t.key}.csv"
        write_text(tex, booktabs(t, t.key))
        write_text(csv, t.frame.to_csv(index=False))
        written += [tex, csv]
    return written
