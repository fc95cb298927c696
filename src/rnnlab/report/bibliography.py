"""The papers a run cites: a BibTeX file of the cited entries and an annotated bibliography with this run's numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from ..analysis.stats import headline_split
from ..analysis.stats import mean_ci
from ..io import write_text
from .analyses import AnalysisResult

ENTRY_RE = re.compile(r"^@\w+\{([^,]+),", re.MULTILINE)
DATASETS: Mapping[str, tuple[str, ...]] = {
    "marcus1993": ("ptb",), "merity2017": ("wikitext",), "socher2013": ("sst",), "maas2011": ("imdb",),
    "nivre2016": ("ud",), "mayhew2024": ("uner",),
}


@dataclass
class RunFacts:
    """What the run did: its completed metrics rows, analyses and config."""

    metrics: pd.DataFrame
    analyses: dict[str, list[AnalysisResult]]
    config: dict[str, Any]

    def models(self, task: str | None = None) -> set[str]:
        rows = self.metrics if task is None else self.metrics[self.metrics["task"] == task]
        return set(rows["model"])

    def has_family(self, family: str, task: str | None = None) -> bool:
        return any(m.startswith(family) for m in self.models(task))

    def corpora(self) -> set[str]:
        return set(self.metrics["corpus"])

    def tied(self) -> bool:
        tasks = self.config.get("experiments") or {}
        return any(bool((params or {}).get("tie")) for t in tasks.values() if isinstance(t, dict)
                   for params in (t.get("models") or {}).values())

    def sources(self) -> str:
        return " ".join(str(p.get("source", "")) for p in (self.config.get("report") or {}).get("published") or [])

    def number(self, task: str, family: str, metric: str, digits: int = 2) -> str:
        """'<model> <metric> on <corpus> (<split>): mean ± CI' for each model of the family, else 'not run'."""
        rows = self.metrics[(self.metrics["task"] == task) & (self.metrics["metric"] == metric)]
        rows = rows[rows["model"].str.startswith(family)]
        if rows.empty:
            return "not run"
        parts = []
        for (corpus, model), group in headline_split(rows).groupby(["corpus", "model"], sort=True):
            ci = mean_ci(group["value"].tolist())
            parts.append(f"{model} {metric} on {corpus} ({group['split'].iloc[0]}): {ci.format(digits)}")
        return "; ".join(parts)

    def statement(self, action: str, contains: str) -> str:
        found = [f"{r.corpus}: {s}" for r in self.analyses.get(action, []) for s in r.statements if contains in s]
        return "; ".join(found[:2]) if found else "not run"


@dataclass(frozen=True)
class Annotation:
    """One annotated-bibliography entry: when the run used the method and what this run measured."""

    citation: str
    contribution: str
    method: str
    used: Callable[[RunFacts], bool]
    this_run: Callable[[RunFacts], str]


ANNOTATIONS: Mapping[str, Annotation] = {
    "kneser1995": Annotation(
        "Kneser, R. and Ney, H. (1995). Improved backing-off for M-gram language modeling. ICASSP.",
        "Lower-order distributions estimated from the number of distinct contexts a word follows, not its raw count.",
        "Back-off n-gram smoothing; evaluated by perplexity on speech-recognition text.",
        lambda f: f.has_family("ngram-kn", "lm"), lambda f: f.number("lm", "ngram-kn", "perplexity")),
    "chen1999": Annotation(
        "Chen, S. F. and Goodman, J. (1999). An empirical study of smoothing techniques for language modeling. "
        "Computer Speech and Language.",
        "A systematic comparison of n-gram smoothing methods, introducing interpolated modified Kneser–Ney.",
        "Cross-entropy of many smoothing methods over corpora, training sizes and orders.",
        lambda f: f.has_family("ngram-kn", "lm"), lambda f: f.number("lm", "ngram-kn", "perplexity")),
    "heafield2011": Annotation(
        "Heafield, K. (2011). KenLM: Faster and smaller language model queries. Sixth Workshop on Statistical "
        "Machine Translation.",
        "Fast, compact data structures for querying n-gram models; its estimation conventions are the reference "
        "our n-gram code reproduces.",
        "Probing hash tables and packed tries, benchmarked against other toolkits.",
        lambda f: f.has_family("ngram-kn", "lm"), lambda f: f.number("lm", "ngram-kn", "perplexity")),
    "bengio2003": Annotation(
        "Bengio, Y., Ducharme, R., Vincent, P. and Jauvin, C. (2003). A neural probabilistic language model. "
        "Journal of Machine Learning Research.",
        "Word embeddings learned jointly with a neural network that predicts the next word from a fixed window.",
        "Fixed-window feed-forward LM compared with smoothed n-grams by perplexity.",
        lambda f: f.has_family("window", "lm"), lambda f: f.number("lm", "window", "perplexity")),
    "mikolov2010": Annotation(
        "Mikolov, T., Karafiát, M., Burget, L., Černocký, J. and Khudanpur, S. (2010). Recurrent neural network "
        "based language model. Interspeech.",
        "A simple recurrent network LM whose unbounded history beats n-gram baselines in perplexity.",
        "Elman-style RNN LM trained with backpropagation through time; perplexity and speech-recognition error.",
        lambda f: f.has_family("rnn", "lm"), lambda f: f.number("lm", "rnn", "perplexity")),
    "bengio1994": Annotation(
        "Bengio, Y., Simard, P. and Frasconi, P. (1994). Learning long-term dependencies with gradient descent is "
        "difficult. IEEE Transactions on Neural Networks.",
        "Shows that gradients through many recurrent steps vanish (or explode) when the state stores information "
        "robustly.",
        "Analysis of recurrent dynamics plus small tasks with long-range dependencies.",
        lambda f: bool(f.analyses.get("gradients")), lambda f: f.statement("gradients", "trained: rnn gradient")),
    "pascanu2013": Annotation(
        "Pascanu, R., Mikolov, T. and Bengio, Y. (2013). On the difficulty of training recurrent neural networks. ICML.",
        "Explains exploding and vanishing gradients geometrically and proposes clipping the gradient norm.",
        "Analysis plus experiments on synthetic long-range tasks and music/language modelling.",
        lambda f: bool(f.analyses.get("clipping")), lambda f: f.statement("clipping", "diverged")),
    "hochreiter1997": Annotation(
        "Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory. Neural Computation.",
        "A gated memory cell whose additive updates let error flow over long time lags.",
        "LSTM on synthetic tasks with long minimal time lags, against other recurrent learners.",
        lambda f: f.has_family("lstm"),
        lambda f: "; ".join(x for x in (f.number("lm", "lstm", "perplexity"),
                                        f.statement("long-distance", "lstm accuracy among the cue nouns"))
                            if x != "not run") or "not run"),
    "khandelwal2018": Annotation(
        "Khandelwal, U., He, H., Qi, P. and Jurafsky, D. (2018). Sharp nearby, fuzzy far away: how neural language "
        "models use context. ACL, 284–294.",
        "An LSTM LM uses about 200 tokens of context, word order only within about the last 50.",
        "Loss increase when the context beyond d tokens is dropped, shuffled or replaced; PTB and WikiText-2.",
        lambda f: bool(f.analyses.get("context")), lambda f: f.statement("context", "effective context")),
    "gers2000": Annotation(
        "Gers, F. A., Schmidhuber, J. and Cummins, F. (2000). Learning to forget: continual prediction with LSTM. "
        "Neural Computation.",
        "Adds the forget gate that lets an LSTM reset its cell, the form used by the LSTM layers here.",
        "LSTM with forget gates on continual versions of benchmark sequence tasks.",
        lambda f: f.has_family("lstm"), lambda f: f.number("lm", "lstm", "perplexity")),
    "schuster1997": Annotation(
        "Schuster, M. and Paliwal, K. K. (1997). Bidirectional recurrent neural networks. IEEE Transactions on "
        "Signal Processing.",
        "Runs one recurrent network forwards and one backwards so each position sees both contexts.",
        "Bidirectional RNNs for regression and phoneme classification.",
        lambda f: f.has_family("bilstm"),
        lambda f: "; ".join(x for x in (f.number("classification", "bilstm", "accuracy", 1),
                                        f.number("tagging", "bilstm", "accuracy_right_context", 1))
                            if x != "not run") or "not run"),
    "graves2005": Annotation(
        "Graves, A. and Schmidhuber, J. (2005). Framewise phoneme classification with bidirectional LSTM and other "
        "neural network architectures. Neural Networks.",
        "Combines bidirectional processing with LSTM cells (BiLSTM).",
        "Framewise phoneme classification on TIMIT.",
        lambda f: f.has_family("bilstm"), lambda f: f.number("classification", "bilstm", "accuracy", 1)),
    "zaremba2014": Annotation(
        "Zaremba, W., Sutskever, I. and Vinyals, O. (2014). Recurrent neural network regularization. arXiv:1409.2329.",
        "Dropout applied only to the non-recurrent connections of stacked LSTMs.",
        "Penn Treebank language modelling with small, medium and large LSTMs.",
        lambda f: f.has_family("lstm", "lm"), lambda f: f.number("lm", "lstm", "perplexity")),
    "press2017": Annotation(
        "Press, O. and Wolf, L. (2017). Using the output embedding to improve language models. EACL, 157–163.",
        "Tying the input embedding to the output embedding lowers perplexity and parameter count.",
        "Weight tying in neural LMs and translation models.",
        lambda f: f.tied(), lambda f: f.number("lm", "lstm", "perplexity")),
    "inan2017": Annotation(
        "Inan, H., Khosravi, K. and Socher, R. (2017). Tying word vectors and word classifiers: a loss framework "
        "for language modeling. ICLR.",
        "Motivates tying input and output word representations from a loss framework.",
        "LSTM LMs on Penn Treebank and WikiText-2.",
        lambda f: f.tied(), lambda f: f.number("lm", "lstm", "perplexity")),
    "wang2012": Annotation(
        "Wang, S. and Manning, C. D. (2012). Baselines and bigrams: simple, good sentiment and topic "
        "classification. ACL, 90–94.",
        "Naive Bayes and an SVM on Naive Bayes log-count ratios (NBSVM) are strong text-classification baselines.",
        "NB, SVM and NBSVM with unigram/bigram features on sentiment and topic datasets.",
        lambda f: f.has_family("ngram-nb", "classification"),
        lambda f: f.number("classification", "ngram-nb", "accuracy", 1)),
    "plank2016": Annotation(
        "Plank, B., Søgaard, A. and Goldberg, Y. (2016). Multilingual part-of-speech tagging with bidirectional "
        "long short-term memory models and auxiliary loss. ACL, 412–418.",
        "BiLSTM taggers across 22 languages, compared with traditional taggers, with an auxiliary rare-word loss.",
        "Word, character and byte BiLSTM taggers on Universal Dependencies.",
        lambda f: f.has_family("bilstm", "tagging"),
        lambda f: f.number("tagging", "bilstm", "accuracy", 1)),
    "brants2000": Annotation(
        "Brants, T. (2000). TnT — a statistical part-of-speech tagger. ANLP.",
        "A second-order HMM tagger with suffix-based handling of unknown words.",
        "Trigram HMM tagging of German and English treebanks.",
        lambda f: any(f.has_family(x, "tagging") for x in ("ngram-hmm", "ngram-tnt", "hmm", "tnt")),
        lambda f: f.number("tagging", "ngram-hmm", "accuracy", 1)),
    "huang2015": Annotation(
        "Huang, Z., Xu, W. and Yu, K. (2015). Bidirectional LSTM-CRF models for sequence tagging. arXiv:1508.01991.",
        "A BiLSTM whose per-word scores feed a linear-chain CRF, trained on the sentence likelihood and decoded "
        "with Viterbi.",
        "BiLSTM-CRF taggers for POS tagging, chunking and NER (CoNLL-2000, CoNLL-2003).",
        lambda f: f.has_family("bilstm-crf", "ner"),
        lambda f: f.number("ner", "bilstm-crf", "span_f1", 1)),
    "lample2016": Annotation(
        "Lample, G., Ballesteros, M., Subramanian, S., Kawakami, K. and Dyer, C. (2016). Neural architectures for "
        "named entity recognition. NAACL-HLT, 260–270.",
        "The LSTM-CRF for NER: the CRF learns transition scores between tags, so tag sequences the IOB scheme "
        "forbids become unlikely.",
        "BiLSTM-CRF with word and character embeddings on CoNLL-2002/2003 NER.",
        lambda f: f.has_family("bilstm-crf", "ner"),
        lambda f: f.number("ner", "bilstm-crf", "span_f1", 1)),
}
CITED_BY_SOURCE: Mapping[str, str] = {"Mikolov & Zweig": "mikolov2012", "Zaremba": "zaremba2014",
                                      "Socher": "socher2013", "Tai": "tai2015",
                                      "Mayhew": "mayhew2024"}


def bib_entries(text: str | None = None) -> dict[str, str]:
    """Entries of the packaged references.bib by key."""
    text = text if text is not None else resources.files("rnnlab.report").joinpath("references.bib").read_text("utf-8")
    starts = [(m.start(), m.group(1).strip()) for m in ENTRY_RE.finditer(text)]
    ends = [s for s, _ in starts[1:]] + [len(text)]
    return {key: text[start:end].strip() for (start, key), end in zip(starts, ends)}


def cited_keys(facts: RunFacts) -> list[str]:
    keys = [k for k, a in ANNOTATIONS.items() if a.used(facts)]
    corpora = [c.lower() for c in facts.corpora()]
    keys += [k for k, names in DATASETS.items() if any(c.startswith(n) for c in corpora for n in names)]
    sources = facts.sources()
    keys += [k for text, k in CITED_BY_SOURCE.items() if text in sources]
    return list(dict.fromkeys(keys))


def annotated_brief(facts: RunFacts) -> str:
    lines = ["# Annotated bibliography of the methods this run used", "",
             "Numbers marked 'this run' come from this run's metrics table and analysis summaries "
             "(mean ± 95% CI over seeds on the headline split).", ""]
    for key, a in ANNOTATIONS.items():
        if not a.used(facts):
            continue
        lines += [f"## {a.citation}", "", f"- **Contribution:** {a.contribution}", f"- **Method / data:** {a.method}",
                  f"- **Relevance — this run:** {a.this_run(facts)}", f"- **BibTeX key:** `{key}`", ""]
    return "\n".join(lines)


def write_bibliography(facts: RunFacts, out_dir: Path) -> tuple[Path, Path]:
    entries = bib_entries()
    bib = Path(out_dir) / "references.bib"
    write_text(bib, "\n\n".join(entries[k] for k in cited_keys(facts) if k in entries) + "\n")
    brief = Path(out_dir) / "brief.md"
    write_text(brief, annotated_brief(facts))
    return bib, brief
