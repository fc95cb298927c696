"""What every analysis shares: its output record, the trained-run id it reads, and writing both.

Every analysis returns an :class:`AnalysisOutput` (tidy tables and a JSON summary holding the
figure captions) that :func:`write_output` puts into one folder atomically::

    <out>/<table>.csv  summary.json  [<figure>.{png,pdf,svg}  <figure>.txt  index.json]
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import RnnlabError
from ..io import atomic_dir, read_json, write_json
from ..layout import RunId, parse_run_dir
from .registry import redraw


@dataclass
class AnalysisOutput:
    """Tables by name and a JSON-serialisable summary (with ``captions``: figure name -> caption)."""

    tables: dict[str, Any]
    summary: dict[str, Any]


def run_id(model_dir: str | Path) -> RunId:
    path = Path(model_dir)
    if not path.is_dir():
        raise RnnlabError(f"{path}: model folder not found; train the model first (rnnlab train ... --out {path})")
    return parse_run_dir(path)


def model_meta(run: RunId) -> dict[str, Any]:
    path = run.path / "model.json"
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
