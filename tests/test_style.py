from matplotlib.colors import rgb_to_hsv, to_rgb

from rnnlab import style
from rnnlab.models.registry import FAMILIES


def test_every_family_has_its_own_okabe_ito_colour_and_marker():
    assert set(style.FAMILY_COLORS) == set(FAMILIES) == set(style.FAMILY_MARKERS)
    assert len(set(style.FAMILY_COLORS.values())) == len(FAMILIES)
    assert set(style.FAMILY_COLORS.values()) <= set(style.OKABE_ITO.values())
    assert len(set(style.FAMILY_MARKERS.values())) == len(FAMILIES)


def test_a_model_keeps_its_colour_across_figures_and_orders_are_shades_of_one_hue():
    assert style.palette(["lstm", "rnn"])["lstm"] == style.palette(["lstm", "window", "bilstm"])["lstm"]
    shades = style.palette(["ngram-kn2", "ngram-kn3", "ngram-kn4", "ngram-kn5", "lstm"])
    grams = [shades[f"ngram-kn{n}"] for n in (2, 3, 4, 5)]
    assert len(set(grams)) == 4
    hues = [rgb_to_hsv(to_rgb(c))[0] for c in grams]
    assert max(hues) - min(hues) < 0.02
    values = [rgb_to_hsv(to_rgb(c))[2] * (1 - rgb_to_hsv(to_rgb(c))[1] / 2) for c in grams]
    assert values == sorted(values, reverse=True)  # light to dark with the order
    assert style.marker("lstm-2layer") == style.marker("lstm") != style.marker("rnn")
    assert style.palette(["custom"])["custom"] == style.OTHER_COLOR
