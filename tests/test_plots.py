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
        ("classification", "results"), ("clipping_toy", "clipping"), ("significance", "significance")]
    assert made[1]["caption"] == "Clipping on toy." and made[1]["title"].endswith("(toy)")
    for name in ("clipping_toy", "significance"):
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
