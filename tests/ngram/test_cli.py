"""``rnnlab ngram fit`` / ``rnnlab ngram score`` through a fresh argparse parser."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from rnnlab.errors import CorpusError
from rnnlab.ngram import cli


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="rnnlab")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    train = tmp_path / "train.txt"
    train.write_text("the cat sat\nthe dog sat\na cat\n\nthe cat sat down\n", encoding="utf-8")
    test = tmp_path / "test.txt"
    test.write_text("the cat\nthe zebra sat\n", encoding="utf-8")
    return train, test


def test_fit_then_score(corpus: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train, test = corpus
    arpa, stats = tmp_path / "m.arpa", tmp_path / "stats.json"
    assert _run(["ngram", "fit", "--order", "3", "--input", str(train), "--arpa", str(arpa),
                 "--stats-json", str(stats)]) == 0
    captured = capsys.readouterr()
    assert "Unigram tokens 12 types 9\nStatistics:\n1 9 D1=" in captured.out
    assert "\n2 11 D1=0.5 D2=1 D3+=1.5\n3 10 D1=0.5 D2=1 D3+=1.5\n" in captured.out
    assert "Substituting fallback discounts for order 2: D1=0.5 D2=1 D3+=1.5" in captured.err
    assert "order 1:" not in captured.err
    assert arpa.read_text(encoding="utf-8").startswith("\n\\data\\\nngram 1=9\n")
    saved = json.loads(stats.read_text(encoding="utf-8"))
    assert saved["counts"][0] == 9 and saved["tokens"] == 12 and saved["sentences"] == 4

    out_json = tmp_path / "score.json"
    assert _run(["ngram", "score", "--arpa", str(arpa), "--input", str(test), "--per-sentence",
                 "--json", str(out_json)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Total: ") and lines[1].endswith(" OOV: 1")
    assert [line.split("\t")[0] for line in lines[2:]] == [
        "Perplexity including OOVs:", "Perplexity excluding OOVs:", "OOVs:", "Tokens:"]
    assert lines[-2:] == ["OOVs:\t1", "Tokens:\t7"]
    report = json.loads(out_json.read_text(encoding="utf-8"))
    assert report["tokens"] == 7 and len(report["sentence_log10"]) == 2
    assert float(lines[2].split("\t")[1]) == pytest.approx(report["perplexity"])


def test_custom_fallback(corpus: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train, _ = corpus
    _run(["ngram", "fit", "--order", "1", "--input", str(train), "--arpa", str(tmp_path / "m.arpa"),
          "--discount-fallback", "0.25", "0.5", "0.75"])
    assert "1 9 D1=0.25 D2=0.5 D3+=0.75" in capsys.readouterr().out


def test_errors_are_rnnlab_errors(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="absent.txt: file not found"):
        _run(["ngram", "fit", "--order", "2", "--input", str(tmp_path / "absent.txt"), "--arpa",
              str(tmp_path / "m.arpa")])
    with pytest.raises(CorpusError, match="m.arpa: file not found"):
        _run(["ngram", "score", "--arpa", str(tmp_path / "m.arpa"), "--input", str(tmp_path / "t.txt")])


def test_help_lists_options(capsys: pytest.CaptureFixture[str]) -> None:
    fit_options = ["--order", "--input", "--arpa", "--discount-fallback", "--memory", "--temp-dir", "--stats-json"]
    for action, options in (("fit", fit_options),
                            ("score", ["--arpa", "--input", "--per-sentence", "--json"])):
        with pytest.raises(SystemExit):
            _run(["ngram", action, "--help"])
        text = capsys.readouterr().out
        assert all(option in text for option in options)
        assert "blank lines are skipped" in text
