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


def test_a_models_colour_does_not_depend_on_the_other_models_of_a_figure():
    alone = style.palette(["lstm", "rnn"])
    beside_variants = style.palette(["lstm", "lstm-fb0", "lstm-2layer", "bilstm", "rnn"])
    assert alone["lstm"] == beside_variants["lstm"] == style.FAMILY_COLORS["lstm"]
    assert style.palette(["lstm-2layer"])["lstm-2layer"] == beside_variants["lstm-2layer"]
    assert style.palette(["ngram-kn5", "lstm"])["ngram-kn5"] == style.palette([f"ngram-kn{n}" for n in (2, 3, 4, 5)])["ngram-kn5"]


def test_the_presets_models_of_one_task_have_distinct_colours():
    from rnnlab.config import load_config

    for preset in ("config/config.yaml", "config/paper.yaml"):
        cfg = load_config(preset)
        for task, experiment in cfg.experiments.items():
            colours = style.palette(experiment.models)
            assert len(set(colours.values())) == len(colours), (preset, task, colours)
