"""The one seaborn theme, the figure formats and the one figure saver.

Every figure is saved as PNG (300 dpi, for the HTML report), PDF (TrueType fonts) and SVG (vector,
for LaTeX), with a caption in ``<name>.txt``, at a paper width (:mod:`rnnlab.style`). The metric
figures (:mod:`rnnlab.metric_figures`) and the analyses draw with :func:`set_theme` and save through
:func:`save_figures`; :mod:`rnnlab.figures` puts both kinds into one folder.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from . import style  # noqa: E402
from .io import write_text  # noqa: E402

FORMATS = ("png", "pdf", "svg")


def set_theme() -> None:
    sns.set_theme(context="paper", style="whitegrid", rc=dict(style.RC))


def save_figures(folder: Path, figures: list[tuple[str, plt.Figure | None, str]],
                 suffix: str = "") -> list[dict[str, str]]:
    """Save each figure as ``<name><suffix>.{png,pdf,svg}`` with a ``.txt`` caption, and close it;
    figures that are None are skipped. Returns the index entries (name, caption)."""
    made = []
    for name, fig, caption in figures:
        if fig is None:
            continue
        stem = f"{name}{suffix}"
        width = fig.get_size_inches()[0]
        if not any(abs(width - w) < 1e-6 for w in style.WIDTHS):
            raise ValueError(f"figure {name!r} is {width:g} in wide; draw it at one of {style.WIDTHS} in "
                             "(rnnlab.style) so it fits a paper column unchanged")
        small = sorted({t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
                        and t.get_fontsize() < style.MIN_FONT_PT})
        if small:
            raise ValueError(f"figure {name!r} has text at {small[0]:g} pt; use at least {style.MIN_FONT_PT} pt "
                             "(rnnlab.style) so it stays readable at its paper width")
        for fmt in FORMATS:
            # No tight bounding box: the file keeps the figure's paper width exactly.
            fig.savefig(folder / f"{stem}.{fmt}", dpi=style.PNG_DPI if fmt == "png" else None)
        plt.close(fig)
        write_text(folder / f"{stem}.txt", caption + "\n")
        made.append({"name": stem, "caption": caption})
    return made
