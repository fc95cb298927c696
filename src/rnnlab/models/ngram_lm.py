"""n-gram language models as registry entries: ``ngram-kn1`` … ``ngram-kn5``.

Interpolated modified Kneser–Ney (Chen & Goodman 1998) fitted on the processed training split;
perplexity counts one end-of-sentence token per line, the convention the neural LMs share.
"""

from __future__ import annotations

import time
from functools import partial

from ..data.processed import available_splits, split_path
from ..errors import ConfigError
from ..io import make_dir, write_json
from ..layout import ARPA_FILE, STATUS_FILE
from ..metrics import row
from ..ngram import ArpaModel, fit_arpa
from .registry import EvalRequest, MetricRows, ModelEntry, TrainRequest

ORDERS = (1, 2, 3, 4, 5)


def _check(task: str, params: dict, device: str, backend: str | None) -> None:
    unknown = sorted(set(params) - {"discount_fallback"})
    if unknown:
        raise ConfigError(f"unknown n-gram LM parameter(s) {unknown}; valid: ['discount_fallback']")


def _train(req: TrainRequest, order: int) -> None:
    _check(req.task, req.params, req.device, req.backend)
    fallback = tuple(req.params.get("discount_fallback", (0.5, 1.0, 1.5)))
    make_dir(req.out_dir)
    start = time.perf_counter()
    memory = {} if req.memory is None else {"memory": req.memory}
    stats = fit_arpa(split_path(req.corpus_dir, "lm", "train"), order, req.out_dir / ARPA_FILE,
                     discount_fallback=fallback, **memory)
    seconds = time.perf_counter() - start
    n_params = int(sum(stats.counts))
    write_json(req.out_dir / STATUS_FILE, {
        "status": "completed", "train_seconds": seconds, "params": n_params, "order": order,
        "discounts": [[d.d1, d.d2, d.d3] for d in stats.discounts], "backend": "numpy", "device": "cpu",
    })


def _evaluate(req: EvalRequest, name: str) -> MetricRows:
    status = req.status()  # first: a run that never finished says so before its files are read
    model = ArpaModel.load(req.model_dir / ARPA_FILE)
    extra = {"params": status["params"], "train_seconds": status["train_seconds"],
             "backend": "numpy", "device": "cpu", "status": "completed"}
    rows: MetricRows = []
    for split in available_splits(req.corpus_dir, req.task, req.splits):
        summary = model.score_file(split_path(req.corpus_dir, "lm", split))
        rows.append(row(req.task, req.corpus, name, req.seed, split, "perplexity", summary.perplexity, **extra))
        rows.append(row(req.task, req.corpus, name, req.seed, split, "oov_rate", 100 * summary.oovs / summary.tokens, **extra))
    return rows


def entries() -> list[ModelEntry]:
    return [
        ModelEntry(f"ngram-kn{n}", "ngram", ("lm",), partial(_train, order=n), partial(_evaluate, name=f"ngram-kn{n}"),
                   f"{n}-gram LM, interpolated modified Kneser-Ney (Chen & Goodman 1998)", deterministic=True,
                   trains=False, check=_check)
        for n in ORDERS
    ]
