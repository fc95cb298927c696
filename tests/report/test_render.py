import json
from html import unescape
import re
from pathlib import Path

import pandas as pd
import pytest

from rnnlab.errors import RnnlabError
from rnnlab.figures import make_figures
from rnnlab.report.context import splits_side_by_side
from rnnlab.report.render import write_report


def _stats_json(test_oov_rate: float) -> str:
    split = dict(word_tokens=3, oov=0, source_unk=0, unk_rate=0.0)
    return json.dumps({"corpus": "syn", "task": "lm", "tokenizer": "whitespace", "vocab_size": 5, "min_freq": 1,
                       "max_size": None, "splits": {
                           "train": {"lines": 3, "tokens": 12, "types": 5, "oov_rate": 0.0, **split},
                           "test": {"lines": 1, "tokens": 4, "types": 3, "oov_rate": test_oov_rate, **split}}})


def _run_files(tmp_path: Path, test_oov_rate: float = 0.25) -> tuple[Path, Path, Path, Path]:
    rows = []
    for seed, ppl in ((1, 100.0), (2, 110.0), (3, 105.0)):
        rows.append(dict(task="lm", corpus="syn", model="lstm", seed=seed, split="test", metric="perplexity",
                         value=ppl, status="completed", device="cpu", backend="torch"))
    rows.append(dict(task="lm", corpus="syn", model="rnn", seed=1, split="test", metric="perplexity",
                     value=float("nan"), status="diverged", device="cpu", backend="torch"))
    rows.append(dict(task="lm", corpus="syn", model="ngram-kn3", seed=0, split="test", metric="perplexity",
                     value=150.0, status="completed", device="cpu", backend="numpy"))
    metrics = tmp_path / "metrics.csv"
    pd.DataFrame(rows).to_csv(metrics, index=False)
    figures = tmp_path / "figures"
    make_figures(metrics, figures)
    corpus = tmp_path / "processed" / "syn"
    corpus.mkdir(parents=True)
    (corpus / "stats.json").write_text(_stats_json(test_oov_rate))
    bench = tmp_path / "benchmarks" / "train_model"
    bench.mkdir(parents=True)
    (bench / "x.tsv").write_text("s\th:m:s\tmax_rss\n1.5\t0:00:01\t10\n")
    return metrics, figures, corpus, tmp_path / "benchmarks"


def test_report_is_self_contained_and_complete(tmp_path: Path):
    metrics, figures, corpus, bench = _run_files(tmp_path)
    config = {"preset": "tiny", "report": {"title": "Tiny <run>", "published": [
        {"task": "lm", "corpus": "syn", "model": "Somebody's LSTM", "split": "test", "metric": "perplexity",
         "value": 82.7, "source": "Zaremba et al. 2014", "ours": "lstm"}]}}
    html_path = write_report(metrics, figures, [corpus], config, bench, tmp_path / "report")
    html = html_path.read_text()
    assert "Tiny &lt;run&gt;" in html
    # Figures are inline: no reference to a file on disk.
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == 1
    assert 'src="figures' not in html and 'src="/' not in html
    # Mean ± CI over three seeds for the LSTM, a single value for the deterministic n-gram.
    assert "105.00 ± " in html and "150.00" in html
    assert "Diverged runs" in html and "rnn" in html
    assert "82.7" in html and "published" in html.lower()
    assert "Corpus statistics" in html and "25.0" in html
    assert "Wall time per step" in html and "train_model" in html
    for pkg in ("numpy", "snakemake", "python"):
        assert f"<td>{pkg}</td>" in html
    md = (tmp_path / "report" / "report.md").read_text()
    assert md.startswith("# Tiny &lt;run&gt;")
    assert "](../figures/lm_perplexity.png)" in md
    assert "| syn | lstm |" in md


def test_sections_follow_the_lecture_and_missing_analyses_are_reported(tmp_path: Path):
    metrics, figures, corpus, bench = _run_files(tmp_path)
    out = tmp_path / "report"
    html = write_report(metrics, figures, [corpus], {"preset": "tiny"}, bench, out, tmp_path / "no-analysis").read_text()
    titles = re.findall(r"<h2>(\d)\. ", html)
    assert titles == [str(i) for i in range(1, 9)]
    for action in ("gradients", "clipping", "long-distance", "bidirectional", "significance"):
        assert f"The {action} analysis was not run" in html
    md = (out / "report.md").read_text()
    assert "## 3. Vanishing gradients" in md and "The gradients analysis was not run" in md
    assert (out / "tables" / "lm.tex").read_text().count(r"\toprule") == 1
    assert (out / "tables" / "corpus-stats.tex").exists()
    assert "@inproceedings{kneser1995," in (out / "references.bib").read_text()
    assert "Kneser, R. and Ney, H. (1995)" in (out / "brief.md").read_text()


def test_markdown_title_is_escaped(tmp_path: Path):
    metrics, figures, corpus, bench = _run_files(tmp_path)
    config = {"preset": "tiny", "report": {"title": "<script>alert(1)</script> & co"}}
    write_report(metrics, figures, [corpus], config, bench, tmp_path / "report")
    first = (tmp_path / "report" / "report.md").read_text().splitlines()[0]
    assert first == "# &lt;script&gt;alert(1)&lt;/script&gt; &amp; co"


def test_a_mostly_out_of_vocabulary_split_is_warned_about(tmp_path: Path):
    for rate, warned in ((0.9, True), (0.25, False)):
        (tmp_path / str(rate)).mkdir()
        metrics, figures, corpus, bench = _run_files(tmp_path / str(rate), rate)
        out = tmp_path / str(rate) / "report"
        html = write_report(metrics, figures, [corpus], {"preset": "tiny"}, bench, out).read_text()
        md = (out / "report.md").read_text()
        warning = "corpus syn: 90.0% of the test split's tokens are out of the vocabulary (above 50%)"
        assert (f'<p class="warn">{warning}' in unescape(html)) is warned
        assert (f"> {warning}" in md) is warned
        assert "tokens are out of the vocabulary" not in html + md or warned


def test_an_output_folder_that_cannot_be_created_gives_one_clear_error(tmp_path: Path):
    metrics, figures, corpus, bench = _run_files(tmp_path)
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(RnnlabError, match=r"cannot create output folder .*file\.txt/report/tables: Not a directory"):
        write_report(metrics, figures, [corpus], {"preset": "tiny"}, bench, blocker / "report")


def test_provenance_shows_the_backend_check_of_auto_jobs_from_the_timings(tmp_path: Path):
    metrics, figures, corpus, bench = _run_files(tmp_path)
    html = write_report(metrics, figures, [corpus], {"preset": "tiny"}, bench, tmp_path / "report").read_text()
    assert "Backend check" not in html, "no job chose its backend: no table"
    pd.DataFrame([dict(task="lm", corpus="syn", model="lstm", seed=1, train_seconds=3.0, tokens_per_s=9.0,
                       triton_step_ms=2.5, torch_step_ms=1.25, triton_torch_ratio=2.0),
                  dict(task="lm", corpus="syn", model="ngram-kn3", seed=0, train_seconds=1.0, tokens_per_s=5.0)]
                 ).to_csv(tmp_path / "times.csv", index=False)
    html = write_report(metrics, figures, [corpus], {"preset": "tiny"}, bench, tmp_path / "report",
                        timings_csv=tmp_path / "times.csv").read_text()
    section = html[html.index("Backend check (backend: auto)"):]
    assert "<td>2.5</td>" in section and "<td>1.25</td>" in section and "<td>2.0</td>" in section
    assert "ngram-kn3" not in section.split("</table>")[0]


def test_the_corpus_table_shows_one_row_per_corpus_with_its_splits_side_by_side(tmp_path: Path):
    metrics, figures, corpus, bench = _run_files(tmp_path)
    out = tmp_path / "report"
    html = write_report(metrics, figures, [corpus], {"preset": "tiny"}, bench, out).read_text()
    assert "lines (train / test)" in html and "<td>3 / 1</td>" in html and "<td>0.00 / 25.00</td>" in html
    assert "| syn | lm | 3 / 1 | 12 / 4 |" in (out / "report.md").read_text()
    tex = (out / "tables" / "corpus-stats.tex").read_text()
    assert "train" in tex and "test" in tex and " / " not in tex, "the LaTeX table keeps one row per split"


def test_a_split_a_corpus_lacks_shows_as_a_dash():
    stats = pd.DataFrame([dict(corpus="a", task="lm", split="test", lines=2, rate=0.5, vocabulary=9),
                          dict(corpus="a", task="lm", split="train", lines=8, rate=0.0, vocabulary=9),
                          dict(corpus="b", task="ner", split="valid", lines=3, rate=1.25, vocabulary=4)])
    table = splits_side_by_side(stats)
    assert table.columns.tolist() == ["corpus", "task", "lines (train / valid / test)",
                                      "rate (train / valid / test)", "vocabulary"]
    assert table.to_dict("records") == [
        {"corpus": "a", "task": "lm", "lines (train / valid / test)": "8 / — / 2",
         "rate (train / valid / test)": "0.00 / — / 0.50", "vocabulary": 9},
        {"corpus": "b", "task": "ner", "lines (train / valid / test)": "— / 3 / —",
         "rate (train / valid / test)": "— / 1.25 / —", "vocabulary": 4}]
