"""Naive Bayes over unigram + bigram features, and NBSVM (Wang & Manning 2012).

``ngram-nb``: multinomial NB with binarized feature counts ("MNB" of Wang & Manning 2012):
    log p(c | x) ∝ log π_c + Σ_f x̂_f log θ_{c,f},   θ_{c,f} = (α + Σ_{i∈c} x̂_{i,f}) / Σ_f' (α + Σ_{i∈c} x̂_{i,f'})
``ngram-nbsvm``: a linear SVM (squared hinge, L2) on NB-scaled features x̃ = r ∘ x̂, with the
log-count ratio r = log((p / |p|₁) / (q / |q|₁)), p = α + Σ_{i∈c} x̂_i, q = α + Σ_{i∉c} x̂_i, and
Wang & Manning's interpolation w' = (1 − β) w̄ + β w, w̄ = mean |w|; one-vs-rest beyond two labels.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..data.processed import available_splits, read_classification_split, read_labels
from ..errors import ConfigError
from ..io import atomic_path, make_dir, write_json
from ..layout import META_FILE, STATUS_FILE
from ..metrics import classification_rows
from .registry import EvalRequest, ModelEntry, MetricRows, TrainRequest


@dataclass(frozen=True)
class NBParams:
    alpha: float = 1.0
    ngram_max: int = 2
    binarize: bool = True
    svm: bool = False
    C: float = 1.0
    beta: float = 0.25
    max_iter: int = 200

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> "NBParams":
        valid = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - valid)
        if unknown:
            raise ConfigError(f"unknown Naive Bayes parameter(s) {unknown}; valid: {sorted(valid)}")
        return cls(**params)


def ngram_features(tokens: list[str], n_max: int) -> list[str]:
    """Unigrams .. n_max-grams of one sentence, joined with spaces."""
    return [" ".join(tokens[i:i + n]) for n in range(1, n_max + 1) for i in range(len(tokens) - n + 1)]


def featurize(sentences: list[list[str]], index: dict[str, int], n_max: int, binarize: bool) -> sp.csr_matrix:
    """Sparse (N, F) count (or 0/1) matrix; features unseen in training are dropped."""
    rows, cols = [], []
    for i, toks in enumerate(sentences):
        ids = [index[f] for f in ngram_features(toks, n_max) if f in index]
        rows.extend([i] * len(ids))
        cols.extend(ids)
    x = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sentences), len(index)))
    x.sum_duplicates()
    if binarize:
        x.data[:] = 1.0
    return x


def _squared_hinge_svm(x: sp.csr_matrix, y: np.ndarray, C: float, max_iter: int) -> tuple[np.ndarray, float]:
    """min_w,b ½|w|² + C Σ max(0, 1 − y(w·x + b))², y ∈ {−1, +1}, by L-BFGS."""
    n_feat = x.shape[1]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:n_feat], theta[n_feat]
        margin = 1.0 - y * (x @ w + b)
        active = np.maximum(margin, 0.0)
        loss = 0.5 * w @ w + C * float(active @ active)
        g = -2.0 * C * active * y
        return loss, np.concatenate([w + x.T @ g, [g.sum()]])

    # Imported here: every training job reads this module through the registry, and only NBSVM fits
    # need the optimiser (about 0.3 s to import).
    import scipy.optimize

    res = scipy.optimize.minimize(objective, np.zeros(n_feat + 1), jac=True, method="L-BFGS-B",
                                  options={"maxiter": max_iter})
    return res.x[:n_feat], float(res.x[n_feat])


@dataclass
class NaiveBayesClassifier:
    params: NBParams
    labels: list[str]
    features: list[str]
    weights: np.ndarray  # (K, F) log θ for NB; NB-scaled SVM weights for NBSVM
    bias: np.ndarray  # (K,)

    @classmethod
    def fit(cls, sentences: list[list[str]], labels: list[str], label_set: list[str], params: NBParams) -> "NaiveBayesClassifier":
        vocab = sorted({f for toks in sentences for f in ngram_features(toks, params.ngram_max)})
        index = {f: i for i, f in enumerate(vocab)}
        x = featurize(sentences, index, params.ngram_max, params.binarize)  # (N, F)
        y = np.array([label_set.index(lab) for lab in labels])
        k = len(label_set)
        counts = np.vstack([np.asarray(x[y == c].sum(axis=0)).ravel() for c in range(k)]) + params.alpha  # (K, F)
        if not params.svm:
            log_theta = np.log(counts) - np.log(counts.sum(axis=1, keepdims=True))
            prior = np.log(np.bincount(y, minlength=k) + 1e-12) - np.log(len(y))
            return cls(params, label_set, vocab, log_theta, prior)
        # One-vs-rest for K > 2; a single binary problem (label 1 vs label 0) for K = 2.
        targets = [1] if k == 2 else list(range(k))
        weights, biases = [], []
        for c in targets:
            p, q = counts[c], counts.sum(axis=0) - counts[c] - (k - 2) * params.alpha
            r = np.log(p / p.sum()) - np.log(q / q.sum())  # (F,)
            w, b = _squared_hinge_svm(x.multiply(r).tocsr(), np.where(y == c, 1.0, -1.0), params.C, params.max_iter)
            w = (1 - params.beta) * np.abs(w).mean() + params.beta * w
            weights.append(w * r)
            biases.append(b)
        if k == 2:
            weights = [-weights[0] / 2, weights[0] / 2]
            biases = [-biases[0] / 2, biases[0] / 2]
        return cls(params, label_set, vocab, np.vstack(weights), np.asarray(biases))

    def scores(self, sentences: list[list[str]]) -> np.ndarray:
        index = {f: i for i, f in enumerate(self.features)}
        x = featurize(sentences, index, self.params.ngram_max, self.params.binarize)
        return np.asarray(x @ self.weights.T) + self.bias  # (N, K)

    def predict(self, sentences: list[list[str]]) -> list[str]:
        return [self.labels[i] for i in self.scores(sentences).argmax(axis=1)]

    def save(self, out_dir: Path) -> None:
        with atomic_path(out_dir / "model.npz", suffix=".npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, weights=self.weights, bias=self.bias, features=np.array(self.features, dtype=str))
        write_json(out_dir / META_FILE, {"family": "ngram", "params": asdict(self.params), "labels": self.labels})

    @classmethod
    def load(cls, model_dir: Path) -> "NaiveBayesClassifier":
        meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
        with np.load(model_dir / "model.npz", allow_pickle=False) as z:
            return cls(NBParams(**meta["params"]), meta["labels"], z["features"].tolist(), z["weights"], z["bias"])


def _train(req: TrainRequest, svm: bool) -> None:
    params = NBParams.from_dict({**req.params, "svm": svm})
    start = time.perf_counter()
    train = read_classification_split(req.corpus_dir, "train")
    model = NaiveBayesClassifier.fit(train.sentences, train.labels, read_labels(req.corpus_dir), params)
    seconds = time.perf_counter() - start
    make_dir(req.out_dir)
    model.save(req.out_dir)
    write_json(req.out_dir / STATUS_FILE, {"status": "completed", "train_seconds": seconds,
                                              "params": int(model.weights.size + model.bias.size),
                                              "backend": "numpy", "device": "cpu"})


def _evaluate(req: EvalRequest, name: str) -> MetricRows:
    status = req.status()  # first: a run that never finished says so before its files are read
    model = NaiveBayesClassifier.load(req.model_dir)
    rows: MetricRows = []
    for split in available_splits(req.corpus_dir, req.task, req.splits):
        data = read_classification_split(req.corpus_dir, split)
        rows += classification_rows(req.task, req.corpus, name, req.seed, split, data.labels,
                                    model.predict(data.sentences), model.labels)
    extra = {"params": status["params"], "train_seconds": status["train_seconds"]}
    return [{**r, **extra, "backend": "numpy", "device": "cpu", "status": "completed"} for r in rows]


def _check(task: str, params: dict[str, Any], device: str, backend: str | None) -> None:
    NBParams.from_dict({k: v for k, v in params.items() if k != "svm"})


def entries() -> list[ModelEntry]:
    return [
        ModelEntry("ngram-nb", "ngram", ("classification",), lambda r: _train(r, svm=False),
                   lambda r: _evaluate(r, "ngram-nb"),
                   "Multinomial Naive Bayes, binarized unigram+bigram features (Wang & Manning 2012)",
                   deterministic=True, trains=False, check=_check),
        ModelEntry("ngram-nbsvm", "ngram", ("classification",), lambda r: _train(r, svm=True),
                   lambda r: _evaluate(r, "ngram-nbsvm"),
                   "NBSVM: SVM on NB log-count-ratio features, interpolated (Wang & Manning 2012)",
                   deterministic=True, trains=False, check=_check),
    ]
