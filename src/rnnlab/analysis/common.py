"""What every analysis shares: what it is asked, its output record, the trained-run id it reads, and writing.

``rnnlab analyze <name>`` hands the module's ``run`` a :class:`Request` and its settings; every
analysis returns an :class:`AnalysisOutput` (tidy tables and a JSON summary holding the figure
captions) that :func:`write_output` puts into one folder atomically::

    <out>/<table>.csv  summary.json  [<figure>.{png,pdf,svg}  <figure>.txt  index.json]
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import RnnlabError
from ..io import atomic_dir, read_json, write_json
from ..layout import ARPA_FILE, META_FILE, RunId, parse_run_dir
from .registry import redraw

if TYPE_CHECKING:
    from ..ngram import ArpaModel


@dataclass(frozen=True)
class Request:
    """The inputs of one ``rnnlab analyze <name>`` run, from its command line."""

    out: Path  # the folder being written (it replaces --out when the run succeeds)
    corpus_dir: Path | None = None  # --corpus-dir: the processed corpus (analyses with a task)
    models: tuple[str, ...] = ()  # MODEL_DIR arguments: trained model folders (analyses with model families)
    corpus: str | None = None  # --corpus: the corpus name recorded with the runs an analysis trains
    metrics: str | None = None  # --metrics: the tidy metrics table (analyses over all corpora), as given
    device: str = "cpu"
    threads: int = 1

    def torch_device(self) -> Any:
        """The torch device to run on, with torch limited to ``threads`` CPU threads."""
        import torch

        from ..models.neural import resolve_device

        torch.set_num_threads(self.threads)
        return resolve_device(self.device)


@dataclass
class AnalysisOutput:
    """Tables by name and a JSON-serialisable summary (with ``captions``: figure name -> caption)."""

    tables: dict[str, Any]
    summary: dict[str, Any]


def statements(summary: dict[str, Any]) -> list[str]:
    """The sentences of an analysis' summary: what it found, in words."""
    return list(summary.get("statements") or [])


def run_id(model_dir: str | Path) -> RunId:
    path = Path(model_dir)
    if not path.is_dir():
        raise RnnlabError(f"{path}: model folder not found; train the model first (rnnlab train ... --out {path})")
    return parse_run_dir(path)


def trained_arpa(run: RunId) -> ArpaModel:
    """The n-gram LM of ``run`` (its model.arpa); an error that says to train it when it is missing."""
    from ..ngram import ArpaModel  # the analyses that read no n-gram model do not load the counting code

    path = run.path / ARPA_FILE
    if not path.exists():
        raise RnnlabError(f"{path} is missing: train the n-gram model first")
    return ArpaModel.load(path)


def model_meta(run: RunId) -> dict[str, Any]:
    path = run.path / META_FILE
    if not path.exists():
        raise RnnlabError(f"{path} is missing: {run.path} is not a finished neural model; train it first")
    return read_json(path)


def write_into(folder: Path, output: AnalysisOutput, analysis: str | None = None) -> list[dict[str, str]]:
    """Write ``output`` into an existing folder, then (when ``analysis`` is given) its figures and
    index.json, redrawn from the files just written; returns the figure index."""
    for name, table in output.tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    write_json(folder / "summary.json", _finite(json.loads(json.dumps(output.summary, default=_plain))))
    if analysis is None:
        return []
    from ..plots import save_figures

    made = save_figures(folder, redraw(analysis, folder))
    write_json(folder / "index.json", made)
    return made


def write_output(out_dir: str | Path, output: AnalysisOutput, analysis: str | None = None) -> None:
    with atomic_dir(out_dir) as tmp:
        write_into(tmp, output, analysis)


def _plain(value: Any) -> Any:
    """JSON fallback for numpy scalars and arrays."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _finite(value: Any) -> Any:
    """NaN and infinities become null, so that summary.json is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
