"""How an analysis declares its settings: one frozen dataclass per analysis (beside its record in
:mod:`.registry`), the only home of its defaults and limits.

The config (``analysis.<name>``), the ``rnnlab analyze <name>`` options and the config schema all
derive from these fields; ``tests/analysis/test_settings.py`` checks that the schema agrees. Each
field's metadata holds its help text and its bounds (``minimum``, ``exclusive_minimum``,
``choices``); :func:`check` enforces them with a message naming the setting. This module imports
nothing heavy, so validating a config does not load torch.
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
