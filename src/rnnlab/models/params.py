"""Checks shared by the models' hyperparameter dataclasses: one message naming the parameter."""

from __future__ import annotations

from ..errors import ConfigError


def require_positive(settings: object, *keys: str) -> None:
    """Each named integer setting must be at least 1."""
    for key in keys:
        value = getattr(settings, key)
        if value < 1:
            raise ConfigError(f"parameter {key!r} must be at least 1, got {value}")


def require_dropout(value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ConfigError(f"parameter 'dropout' must be in [0, 1), got {value}")
