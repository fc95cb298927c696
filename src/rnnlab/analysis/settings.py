"""How an analysis declares its settings: one frozen dataclass per analysis (beside its record in
:mod:`.registry`), the only home of its defaults and limits.

The config (``analysis.<name>``), the ``rnnlab analyze <name>`` options and the config schema's
``analysis`` section (:func:`entry_schema`) all derive from these fields. Each field's metadata
holds its help text and its bounds (``minimum``, ``exclusive_minimum``, ``choices``; ``unique``:
a list without repeats); :func:`check` enforces them with a message naming the setting. This
module imports nothing heavy, so validating a config does not load torch.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, field, fields
from typing import Any

from ..errors import ConfigError


def setting(default: Any, help: str, **bounds: Any) -> Any:
    """A dataclass field with its help text and bounds in the metadata."""
    meta = {"help": help, **bounds}
    if isinstance(default, dict):
        return field(default_factory=dict, metadata=meta)
    return field(default=default, metadata=meta)


def default_of(f: Any) -> Any:
    return f.default_factory() if f.default is MISSING else f.default


def check(settings: Any, analysis: str) -> None:
    """Refuse a value outside its field's bounds, naming the analysis and the setting."""
    for f in fields(settings):
        value, meta = getattr(settings, f.name), f.metadata
        key = f"analysis.{analysis}: setting '{f.name}'"
        if value is None:
            continue
        if "choices" in meta and value not in meta["choices"]:
            named = [str(c) for c in meta["choices"] if c is not None]
            raise ConfigError(f"{key} must be {' or '.join(named)}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{key} must be a finite number, got {value!r}")
        values = value if isinstance(value, tuple) else (value,)
        for v in values:
            if "minimum" in meta and v < meta["minimum"]:
                raise ConfigError(f"{key} must be at least {meta['minimum']}, got {v!r}")
            if "exclusive_minimum" in meta and v <= meta["exclusive_minimum"]:
                raise ConfigError(f"{key} must be greater than {meta['exclusive_minimum']}, got {v!r}")


def _json_type(annotation: str) -> str:
    return ("integer" if "int" in annotation else "number" if "float" in annotation
            else "object" if "Mapping" in annotation or "dict" in annotation else "string")


def field_schema(f: Any) -> dict[str, Any]:
    """The JSON schema of one settings field: its type (or its choices), bounds, default and help."""
    annotation, meta, default = str(f.type), f.metadata, default_of(f)
    bounds = {key: meta[name] for name, key in (("minimum", "minimum"), ("exclusive_minimum", "exclusiveMinimum"))
              if name in meta}
    if "choices" in meta:
        prop: dict[str, Any] = {"enum": list(meta["choices"])}
    elif "tuple" in annotation:
        prop = {"type": "array", "items": {"type": _json_type(annotation.split("[", 1)[1]), **bounds}, "minItems": 1}
        if meta.get("unique"):
            prop["uniqueItems"] = True
    else:
        prop = {"type": _json_type(annotation), **bounds}
    if "None" in annotation and "type" in prop:
        prop["type"] = [prop["type"], "null"]
    return {**prop, "default": list(default) if isinstance(default, tuple) else default, "description": meta["help"]}


def entry_schema(analysis: Any) -> dict[str, Any]:
    """The schema of the config entry ``analysis.<name>`` of an analysis record: the keys that choose what it
    reads (enabled; corpora and models where it has a task and model families), then its settings."""
    props: dict[str, Any] = {"enabled": {"$ref": "#/$defs/analysis_enabled"}}
    if analysis.task is not None:
        props["corpora"] = {"$ref": "#/$defs/analysis_corpora",
                            "description": f"Corpora of experiments.{analysis.task}."}
    if analysis.families:
        props["models"] = {"$ref": "#/$defs/analysis_models",
                           "description": f"Models of experiments.{analysis.task} of the families "
                                          f"{', '.join(analysis.families)} (default: all of them)."}
    props.update({f.name: field_schema(f) for f in fields(analysis.settings)})
    return {"description": analysis.help.replace("%%", "%"), "type": "object", "additionalProperties": False,
            "properties": props}
