import re

import pandas as pd

from rnnlab.report.bibliography import ANNOTATIONS, RunFacts, annotated_brief, bib_entries, cited_keys, write_bibliography


def _facts(models: dict[str, list[str]], corpus: str = "syn") -> RunFacts:
    rows = [dict(task=task, corpus=corpus, model=m, seed=s, split="test", metric=metric, value=50.0 + s)
            for task, names in models.items() for m in names for s in (1, 2, 3)
            for metric in ({"lm": ["perplexity"]}.get(task, ["accuracy"]))]
    return RunFacts(pd.DataFrame(rows), {}, {})


def test_packaged_bib_has_every_annotated_key_and_balanced_entries():
    entries = bib_entries()
    assert set(ANNOTATIONS) <= set(entries)
    for key, text in entries.items():
        assert text.count("{") == text.count("}"), key
        assert re.search(r"^\s*year\s*=", text, re.MULTILINE), key


def test_only_methods_the_run_used_are_cited(tmp_path):
    facts = _facts({"lm": ["ngram-kn3", "rnn", "lstm"]}, corpus="ptb")
    keys = cited_keys(facts)
    assert {"kneser1995", "chen1999", "mikolov2010", "hochreiter1997", "marcus1993"} <= set(keys)
    assert "schuster1997" not in keys and "plank2016" not in keys and "pascanu2013" not in keys
    bib, brief = write_bibliography(facts, tmp_path)
    text = bib.read_text()
    assert "@inproceedings{kneser1995," in text and "schuster1997" not in text
    md = brief.read_text()
    assert "Hochreiter, S. and Schmidhuber, J. (1997)" in md
    assert "lstm perplexity on ptb (test): 52.00 ± " in md
    assert "Schuster" not in md


def test_missing_numbers_say_not_run():
    facts = _facts({"classification": ["bilstm"]})
    assert ANNOTATIONS["schuster1997"].used(facts)
    assert ANNOTATIONS["plank2016"].this_run(facts) == "not run"


def test_bilstm_crf_and_uner_are_cited_when_run():
    rows = pd.DataFrame([dict(task="ner", corpus="uner-ewt", model="bilstm-crf", seed=1, split="test",
                              metric="span_f1", value=70.0)])
    facts = RunFacts(rows, {}, {"report": {"published": [{"source": "Mayhew et al. 2024"}]}})
    keys = cited_keys(facts)
    assert {"huang2015", "lample2016", "mayhew2024"} <= set(keys)
    assert "bilstm-crf span_f1 on uner-ewt (test): 70.0" in annotated_brief(facts)
