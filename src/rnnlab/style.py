"""The one figure style: paper widths, font sizes, file settings, and a fixed colour and marker per model family.

Every figure is drawn at the width it will have in print, one column (3.5 in) or two columns
(7.0 in), with fonts of at least 7 pt at that size, so it drops into a two-column paper unchanged.
Each model family (:data:`rnnlab.models.registry.FAMILIES`) has one colour and marker in every figure;
the models of a family (n-gram orders, variants such as ``lstm-2layer``) are shades of its colour, each
model's shade fixed by its name.
"""

from __future__ import annotations

import zlib
from types import MappingProxyType
from typing import Iterable, Mapping

from matplotlib.colors import to_hex, to_rgb

from .models.registry import FAMILIES, family_of, model_sort_key, order_of

ONE_COLUMN = 3.5  # inches
TWO_COLUMN = 7.0
WIDTHS = (ONE_COLUMN, TWO_COLUMN)
MIN_FONT_PT = 7
PNG_DPI = 300

# Okabe & Ito (2008), "Color Universal Design": eight colours told apart with every common form of
# colour blindness. One per family, in FAMILIES order; grey for anything else.
OKABE_ITO = MappingProxyType({"orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
                              "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00",
                              "reddish purple": "#CC79A7", "black": "#000000"})
FAMILY_COLORS: Mapping[str, str] = MappingProxyType(dict(zip(FAMILIES, (
    OKABE_ITO["orange"], OKABE_ITO["reddish purple"], OKABE_ITO["vermillion"], OKABE_ITO["blue"],
    OKABE_ITO["bluish green"]))))
FAMILY_MARKERS: Mapping[str, str] = MappingProxyType(dict(zip(FAMILIES, ("s", "D", "o", "^", "v"))))
OTHER_COLOR, OTHER_MARKER = "#777777", "x"
# Two colours for a contrast that is not between model families (clipped vs unclipped, ...).
CONTRAST = (OKABE_ITO["blue"], OKABE_ITO["vermillion"])
# Diverging map for signed differences (blue: the first model better; red: the second).
DIVERGING = "RdBu"

RC: Mapping[str, object] = MappingProxyType({
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
    "legend.fontsize": 7, "legend.title_fontsize": 7, "figure.titlesize": 8,
    # TrueType (Type 42) fonts embedded in PDF and PostScript, so that journals accept the files.
    "pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "path",
    "lines.linewidth": 1.0, "lines.markersize": 4, "axes.linewidth": 0.6, "grid.linewidth": 0.4,
    "savefig.dpi": PNG_DPI, "figure.dpi": 100,
})


def _shade(color: str, t: float) -> str:
    """``color`` mixed towards white (t < 0) or black (t > 0) by |t|."""
    rgb = to_rgb(color)
    target = (0.0, 0.0, 0.0) if t > 0 else (1.0, 1.0, 1.0)
    return to_hex(tuple(c + abs(t) * (g - c) for c, g in zip(rgb, target)))


# Shades (towards white < 0 < towards black) for the variants of a family; 0, the family's own colour,
# belongs to the model named after the family. n-gram orders 2..5 run from light to dark.
VARIANT_SHADES = (-0.45, 0.4, -0.25, 0.25, 0.55)
ORDER_SHADES = (-0.55, 0.3)  # order 2 .. order 5


def shade_of(model: str) -> float:
    """A model's shade of its family colour, from its name alone, so that it is the same in every figure:
    0 for the family's own model, by order for n-gram orders, else one of the fixed variant shades."""
    family = family_of(model)
    if model == family:
        return 0.0
    order = order_of(model)
    if family == "ngram" and order is not None:
        light, dark = ORDER_SHADES
        return light + (dark - light) * (min(max(order, 2), 5) - 2) / 3
    return VARIANT_SHADES[zlib.crc32(model.encode()) % len(VARIANT_SHADES)]


def palette(models: Iterable[str]) -> dict[str, str]:
    """A colour per model: its family's colour in the model's own shade (:func:`shade_of`)."""
    out = {}
    for m in sorted(set(models), key=model_sort_key):
        base, t = FAMILY_COLORS.get(family_of(m), OTHER_COLOR), shade_of(m)
        out[m] = _shade(base, t) if t else base
    return out


def marker(model: str) -> str:
    return FAMILY_MARKERS.get(family_of(model), OTHER_MARKER)


def markers(models: Iterable[str]) -> dict[str, str]:
    return {m: marker(m) for m in models}
