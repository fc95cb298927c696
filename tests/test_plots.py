import json
from pathlib import Path

import pandas as pd

from rnnlab.figures import make_figures
from rnnlab.plots import FORMATS


def _metrics(tmp_path: Path, classification: bool = True) -> Path:
    rows = []
    for model, ppl in (("ngram-kn2", 300.0), ("ngram-kn3", 250.0)):
        rows.append(dict(task="lm", corpus="c", model=model, seed=0, split="test", metric="perplexity", value=ppl))
    if classification:
        for seed, acc in ((1, 80.0), (2, 82.0)):
            for metric in ("accuracy", "macro_f1"):
                rows.append(dict(task="classification", corpus="s", model="lstm", seed=seed, split="valid", metric=metric, value=acc))
    path = tmp_path / "metrics.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_every_figure_in_every_format_with_caption(tmp_path: Path):
    out = tmp_path / "figures"
    made = make_figures(_metrics(tmp_path), out)
    assert [f["name"] for f in made] == ["lm_perplexity", "classification"]
    for f in made:
        for fmt in FORMATS:
            assert (out / f"{f['name']}.{fmt}").stat().st_size > 1000
        assert (out / f"{f['name']}.txt").read_text().strip() == f["caption"]
    assert (out / "lm_perplexity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "index.json").read_text()) == made


def test_missing_task_gives_no_empty_figure(tmp_path: Path):
    made = make_figures(_metrics(tmp_path, classification=False), tmp_path / "f")
    assert [f["name"] for f in made] == ["lm_perplexity"]
    assert not (tmp_path / "f" / "classification.png").exists()


def test_learning_curves_from_histories(tmp_path: Path):
    from rnnlab.evaluate import learning_curves

    dirs = []
    for seed in (1, 2):
        d = tmp_path / "models" / "c" / "lstm" / f"seed{seed}"
        d.mkdir(parents=True)
        pd.DataFrame({"epoch": [1, 2], "train_loss": [3.0, 2.0], "valid_loss": [3.1, 2.5 + seed / 10],
                      "valid_ppl": [22.0, 12.0], "lr": [0.1, 0.1]}).to_csv(d / "history.csv", index=False)
        dirs.append(d)
    curves = learning_curves(dirs)
    assert set(curves["metric"]) == {"train_loss", "valid_loss", "valid_ppl"}
    assert curves[(curves.seed == 2) & (curves.metric == "valid_loss") & (curves.epoch == 2)]["value"].item() == 2.7
    curves_csv = tmp_path / "curves.csv"
    curves.to_csv(curves_csv, index=False)
    made = make_figures(_metrics(tmp_path), tmp_path / "f", curves_csv)
    assert "learning_curves" in [f["name"] for f in made]
    assert (tmp_path / "f" / "learning_curves.svg").exists()


def test_analysis_figures_are_redrawn_from_cached_tables(tmp_path: Path):
    from rnnlab.analysis.common import write_output
    from rnnlab.analysis.significance import significance

    metrics = tmp_path / "metrics.csv"
    rows = [dict(task="classification", corpus="s", model=m, seed=s, split="test", metric="accuracy", value=v + s)
            for m, v in (("rnn", 70.0), ("lstm", 80.0)) for s in (1, 2, 3)]
    pd.DataFrame(rows).to_csv(metrics, index=False)
    root = tmp_path / "analysis"
    write_output(root / "significance", significance(str(metrics)))
    clipping = root / "clipping" / "toy"
    clipping.mkdir(parents=True)
    pd.DataFrame({"setting": ["unclipped", "clipped"] * 3, "seed": 1, "step": [1, 1, 2, 2, 3, 3],
                  "loss": [5.0, 5.0, 9.0, 4.0, 20.0, 3.5], "grad_norm": [2.0, 2.0, 8.0, 1.0, 30.0, 0.9]}
                 ).to_csv(clipping / "traces.csv", index=False)
    (clipping / "summary.json").write_text(json.dumps({"clip": 0.25, "captions": {"clipping": "Clipping on toy."}}))

    made = make_figures(metrics, tmp_path / "f", analysis_dir=root)
    assert [(f["name"], f["section"]) for f in made] == [
        ("classification", "results"), ("clipping_toy", "clipping"), ("significance_classification", "significance")]
    assert made[1]["caption"] == "Clipping on toy." and made[1]["title"].endswith("(toy)")
    assert "Student's t" in made[2]["caption"]
    for name in ("clipping_toy", "significance_classification"):
        assert all((tmp_path / "f" / f"{name}.{fmt}").exists() for fmt in (*FORMATS, "txt"))
    assert json.loads((tmp_path / "f" / "index.json").read_text()) == made


def test_ner_figure_has_subset_and_type_panels(tmp_path: Path):
    rows = [dict(task="ner", corpus="n", model=model, seed=seed, split="test", metric=metric, value=value + seed)
            for model, value in (("lstm", 60.0), ("bilstm-crf", 90.0)) for seed in (1, 2)
            for metric in ("span_f1", "span_f1_right_context", "span_f1.PER", "span_f1.LOC", "invalid_sequences")]
    path = tmp_path / "metrics.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    made = make_figures(path, tmp_path / "f")
    assert [f["name"] for f in made] == ["ner"]
    assert "per entity type" in (tmp_path / "f" / "ner.txt").read_text()
    assert json.loads((tmp_path / "f" / "index.json").read_text())[0]["section"] == "ner"


def _texts(fig):
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_figures_have_a_paper_width_readable_fonts_and_embedded_truetype(tmp_path: Path):
    from rnnlab import style
    from rnnlab.metric_figures import PlotData, figure_specs
    from rnnlab.plots import set_theme

    rows = [dict(task=t, corpus=c, model=m, seed=s, split="test", metric=metric, value=v + s)
            for t, c, metric, models in (("lm", "c", "perplexity", ("ngram-kn2", "ngram-kn3", "rnn", "lstm")),
                                         ("classification", "s", "accuracy", ("rnn", "lstm", "bilstm")),
                                         ("tagging", "t", "accuracy_right_context", ("lstm", "bilstm")))
            for v, m in zip((90.0, 80.0, 70.0, 60.0), models) for s in ((0,) if m.startswith("ngram") else (1, 2, 3))]
    data = PlotData(pd.DataFrame(rows), pd.DataFrame(columns=["corpus", "model", "seed", "epoch", "metric", "value"]))
    set_theme()
    drawn = [(spec.name, spec.draw(data)) for spec in figure_specs()]
    for name, fig in drawn:
        if fig is None:
            continue
        assert fig.get_size_inches()[0] in style.WIDTHS, name
        assert min(t.get_fontsize() for t in _texts(fig)) >= style.MIN_FONT_PT, name
    out = tmp_path / "figures"
    pd.DataFrame(rows).to_csv(tmp_path / "m.csv", index=False)
    made = make_figures(tmp_path / "m.csv", out)
    for f in made:
        png = (out / f"{f['name']}.png").read_bytes()
        assert int.from_bytes(png[16:20], "big") in (round(w * style.PNG_DPI) for w in style.WIDTHS), f["name"]
        pdf = (out / f"{f['name']}.pdf").read_bytes()
        assert b"/FontFile2" in pdf and b"/Type3" not in pdf, f["name"]
        assert "95% CI over seeds (Student's t" in f["caption"]


def test_a_figure_off_the_paper_widths_is_refused(tmp_path: Path):
    import matplotlib.pyplot as plt
    import pytest

    from rnnlab.plots import save_figures

    fig, _ = plt.subplots(figsize=(5.0, 2.0))
    with pytest.raises(ValueError, match="5 in wide"):
        save_figures(tmp_path, [("odd", fig, "x")])
    assert list(tmp_path.iterdir()) == []


def test_a_figure_with_text_below_the_smallest_print_size_is_refused(tmp_path: Path):
    import matplotlib.pyplot as plt
    import pytest

    from rnnlab import style
    from rnnlab.plots import save_figures

    fig, ax = plt.subplots(figsize=(style.ONE_COLUMN, 2.0))
    ax.set_title("tiny", fontsize=6)
    with pytest.raises(ValueError, match="6 pt"):
        save_figures(tmp_path, [("small", fig, "x")])
    assert list(tmp_path.iterdir()) == []


def test_job_times_figure_goes_to_provenance(tmp_path: Path):
    bench = tmp_path / "benchmarks" / "train_model" / "c" / "ngram-kn2"
    bench.mkdir(parents=True)
    (bench / "seed0.tsv").write_text("s\th:m:s\n4.5\t0:00:04\n")
    made = make_figures(_metrics(tmp_path), tmp_path / "f", bench_dir=tmp_path / "benchmarks")
    assert {f["name"]: f["section"] for f in made}["job_times"] == "provenance"
    assert "job_times" not in [f["name"] for f in make_figures(_metrics(tmp_path), tmp_path / "g")]


def test_job_times_figure_keeps_grey_for_the_summed_remainder():
    """Eight rules fill the palette; the row summing the items beyond the largest is grey, not a ninth
    colour that would come round to the first rule's."""
    from matplotlib.colors import to_hex

    from rnnlab import style
    from rnnlab.metric_figures import JOB_TIME_BARS, PlotData, draw_job_times

    rules = [f"rule{r}" for r in range(8)]
    times = pd.DataFrame([{"step": rule, "item": f"item{i}", "seed": -1, "seconds": 10.0 + i}
                          for rule in rules for i in range(JOB_TIME_BARS // 4)])
    fig = draw_job_times(PlotData(pd.DataFrame(), None, times))
    legend = fig.axes[0].get_legend()
    colors = {t.get_text(): to_hex(h.get_facecolor()) for t, h in zip(legend.get_texts(), legend.legend_handles)}
    assert colors["other"] == style.OTHER_COLOR.lower()
    assert len({colors[r] for r in rules}) == len(rules) and style.OTHER_COLOR.lower() not in {colors[r] for r in rules}
