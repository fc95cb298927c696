"""What a training run keeps on disk: checkpoints to resume from, and its final artefacts.

A checkpoint is one safetensors file: nested states (model, optimizer, scheduler, RNG states,
loop counters) are split into a JSON skeleton (in the file's metadata) and named tensors, so
it is loaded without unpickling anything. Every file is written to a temporary sibling and
renamed into place, so a killed job leaves the previous version intact.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from .io import atomic_path, write_json, write_text
from .layout import HISTORY_CSV, HISTORY_JSON, META_FILE, STATUS_FILE, STEPS_FILE, WEIGHTS_FILE


def _save_tensors(tensors: dict[str, torch.Tensor], path: Path, metadata: dict[str, str] | None = None) -> None:
    """safetensors' save_file, with its I/O failures (disk full, ...) raised as OSError for atomic_path."""
    try:
        save_file(tensors, str(path), metadata=metadata)
    except SafetensorError as exc:
        raise OSError(errno.EIO, str(exc)) from exc

META_KEY = "rnnlab"


def pack(obj: Any, tensors: dict[str, torch.Tensor], prefix: str = "t") -> Any:
    """JSON skeleton of ``obj``; its tensors and arrays are moved into ``tensors`` by name."""
    if isinstance(obj, torch.Tensor):
        name = f"{prefix}.{len(tensors)}"
        tensors[name] = obj.detach().to("cpu", copy=True).contiguous()
        return {"__tensor__": name}
    if isinstance(obj, np.ndarray):
        name = f"{prefix}.{len(tensors)}"
        tensors[name] = torch.from_numpy(obj.astype(np.int64) if obj.dtype.kind == "u" else obj.copy())
        return {"__ndarray__": name, "dtype": obj.dtype.str}
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: pack(v, tensors, prefix) for k, v in obj.items()}
        return {"__dict__": [[pack(k, tensors, prefix), pack(v, tensors, prefix)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [pack(v, tensors, prefix) for v in obj]}
    if isinstance(obj, list):
        return [pack(v, tensors, prefix) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} in a checkpoint")


def unpack(skeleton: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of :func:`pack`."""
    if isinstance(skeleton, list):
        return [unpack(v, tensors) for v in skeleton]
    if not isinstance(skeleton, dict):
        return skeleton
    if "__tensor__" in skeleton:
        return tensors[skeleton["__tensor__"]]
    if "__ndarray__" in skeleton:
        return tensors[skeleton["__ndarray__"]].numpy().astype(np.dtype(skeleton["dtype"]))
    if "__tuple__" in skeleton:
        return tuple(unpack(v, tensors) for v in skeleton["__tuple__"])
    if "__dict__" in skeleton:
        return {unpack(k, tensors): unpack(v, tensors) for k, v in skeleton["__dict__"]}
    return {k: unpack(v, tensors) for k, v in skeleton.items()}


def rng_state() -> dict[str, Any]:
    """The python, numpy and torch (CPU and CUDA) random states."""
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (nested dicts/lists/tuples of JSON values, tensors and arrays) atomically."""
    tensors: dict[str, torch.Tensor] = {}
    skeleton = pack(state, tensors)
    with atomic_path(path, suffix=".safetensors") as tmp:
        _save_tensors(tensors, tmp, metadata={META_KEY: json.dumps(skeleton)})


def load(path: Path) -> dict[str, Any] | None:
    """The state saved at ``path``; None when there is none, or when it cannot be read.

    An unreadable checkpoint is reported and moved aside to ``<name>.corrupt`` (for inspection),
    so that a run which starts afresh because of it does so visibly.
    """
    if not path.exists():
        return None
    try:
        with safe_open(str(path), framework="pt", device="cpu") as fh:
            meta = fh.metadata() or {}
            tensors = {name: fh.get_tensor(name) for name in fh.keys()}
        return unpack(json.loads(meta[META_KEY]), tensors)
    except KeyError as exc:
        _set_aside(path, f"missing entry {exc}")
    except (SafetensorError, OSError, ValueError, TypeError) as exc:
        _set_aside(path, str(exc) or type(exc).__name__)
    return None


def _set_aside(path: Path, reason: str) -> None:
    corrupt = path.with_name(path.name + ".corrupt")
    try:
        path.replace(corrupt)
    except OSError as exc:
        kept = f"it could not be moved aside ({exc.strerror})"
    else:
        kept = f"kept as {corrupt}"
    print(f"unreadable checkpoint {path}: {reason}; starting afresh ({kept})", file=sys.stderr)


def _json_safe(value: Any) -> Any:
    """Non-finite floats become null, so the JSON files stay standard JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def write_history(out_dir: Path, history: list[dict[str, Any]]) -> None:
    """Per-epoch metrics as ``history.csv`` and ``history.json``."""
    buffer = io.StringIO()
    columns = list(dict.fromkeys(k for row in history for k in row)) or ["epoch"]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    write_text(out_dir / HISTORY_CSV, buffer.getvalue())
    write_json(out_dir / HISTORY_JSON, _json_safe(history))


def write_artefacts(out_dir: Path, weights: dict[str, torch.Tensor], model_meta: dict[str, Any],
                    history: list[dict[str, Any]], steps: dict[str, np.ndarray], status: dict[str, Any]) -> None:
    """model.safetensors, model.json, history.csv/json, steps.npz, then status.json (marks a run that ended)."""
    with atomic_path(out_dir / WEIGHTS_FILE, suffix=".safetensors") as tmp:
        _save_tensors({k: v.detach().to("cpu", copy=True).contiguous() for k, v in weights.items()}, tmp)
    write_json(out_dir / META_FILE, model_meta)
    write_history(out_dir, history)
    with atomic_path(out_dir / STEPS_FILE, suffix=".npz") as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **steps)
    write_json(out_dir / STATUS_FILE, _json_safe(status))
