"""The settings of each analysis: one frozen dataclass each, the only home of its defaults and limits.

The config (``analysis.<name>``), the ``rnnlab analyze <name>`` options and the config schema all
derive from these fields; ``tests/analysis/test_settings.py`` checks that the schema agrees. Each
field's metadata holds its help text and its bounds (``minimum``, ``exclusive_minimum``,
``choices``); :func:`check` enforces them with a message naming the setting. This module imports
nothing heavy, so validating a config does not load torch.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields
from types import MappingProxyType
from typing import Any, Mapping

from ..data.processed import SPLITS
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


@dataclass(frozen=True)
class GradientSettings:
    split: str = setting("valid", "Split the gradients are measured on.", choices=SPLITS)
    window: int = setting(50, "Unrolled steps per sequence (largest distance + 1).", minimum=2)
    positions: int = setting(8, "Loss steps t per sequence (the last ones).", minimum=1)
    batch_size: int = setting(16, "Sequences per batch.", minimum=1)
    batches: int = setting(4, "Batches averaged over.", minimum=1)
    # Run without gradients first, so that h(0) of the window is a typical state.
    warmup: int = setting(50, "Steps run first to warm up the state.", minimum=0)

    def __post_init__(self) -> None:
        check(self, "gradients")
        if self.positions > self.window:
            raise ConfigError(f"analysis.gradients: setting 'positions' ({self.positions}) must not exceed "
                              f"'window' ({self.window})")


# A small RNN LM that trains in seconds; CLIPPING_FIXED makes it plain SGD for a fixed number of steps.
CLIPPING_BASE: Mapping[str, Any] = MappingProxyType(
    {"emb": 64, "hidden": 128, "layers": 1, "dropout": 0.0, "bptt": 35, "batch_size": 20, "eval_batch_size": 10})
CLIPPING_FIXED: Mapping[str, Any] = MappingProxyType(
    {"optimizer": "sgd", "momentum": 0.0, "schedule": "none", "patience": None, "epochs": 1,
     "checkpoint_minutes": None})


@dataclass(frozen=True)
class ClippingSettings:
    model: str = setting("rnn", "Recurrent LM to train.", choices=("rnn", "lstm"))
    lr: float = setting(5.0, "SGD learning rate (pick one where unclipped training is unstable).",
                        exclusive_minimum=0)
    clip: float = setting(0.25, "Max gradient norm of the clipped runs.", exclusive_minimum=0)
    # The pipeline passes the config's seeds; by hand, --seeds is required.
    seeds: tuple[int, ...] | None = setting(None, "Seeds of the runs (null, the default, takes the config's seeds).",
                                            minimum=0, cli_required=True)
    max_batches: int = setting(150, "Training steps per run.", minimum=1)
    params: Mapping[str, Any] = setting({}, "Model hyperparameters (emb, hidden, bptt, ...) over the analysis' "
                                            "small RNN.")

    def __post_init__(self) -> None:
        check(self, "clipping")
        if self.seeds is not None and not self.seeds:
            raise ConfigError("analysis.clipping: setting 'seeds' must list at least one seed")
        fixed = sorted(set(self.params) & ({"lr", "clip", "max_batches"} | set(CLIPPING_FIXED)))
        if fixed:
            raise ConfigError(f"parameter(s) {', '.join(fixed)} are set by the clipping analysis itself; "
                              "use --lr, --clip and --max-batches, and leave the rest out")

    def run_params(self, setting: str) -> dict[str, Any]:
        """Hyperparameters of the ``setting`` ("clipped" or "unclipped") runs."""
        clip = self.clip if setting == "clipped" else None
        return {**CLIPPING_BASE, **self.params, **CLIPPING_FIXED, "lr": self.lr, "clip": clip,
                "max_batches": self.max_batches}


@dataclass(frozen=True)
class LongDistanceSettings:
    split: str = setting("test", "Split to read.", choices=SPLITS)

    def __post_init__(self) -> None:
        check(self, "long-distance")


@dataclass(frozen=True)
class ContextSettings:
    split: str = setting("test", "Split the targets are drawn from.", choices=SPLITS)
    targets: int = setting(2000, "Target positions sampled (seeded) from the split.", minimum=1)
    max_distance: int = setting(300, "Tokens of context before each target (D_max): the full context.", minimum=1)
    distances: tuple[int, ...] = setting((1, 2, 3, 5, 10, 20, 50, 100, 200),
                                         "Distances d beyond which the context is perturbed (increasing).", minimum=0)
    seed: int = setting(0, "Seed of the target sample, the permutations and the replacement draws.", minimum=0)
    threshold: float = setting(0.01, "A perturbation no longer matters from the smallest d at which it raises the "
                                     "loss by less than this fraction.", exclusive_minimum=0)
    batch_size: int = setting(128, "Contexts per forward pass.", minimum=1)

    def __post_init__(self) -> None:
        check(self, "context")
        d = self.distances
        if not d or any(a >= b for a, b in zip(d, d[1:])):
            raise ConfigError(f"analysis.context: setting 'distances' must list increasing distances, got {list(d)}")
        if d[-1] >= self.max_distance:
            raise ConfigError(f"analysis.context: the largest distance ({d[-1]}) must be below 'max_distance' "
                              f"({self.max_distance}): beyond it nothing is left to perturb")


@dataclass(frozen=True)
class BidirectionalSettings:
    split: str | None = setting(None, "Split to read (null: test, else valid).", choices=(*SPLITS, None))
    length_buckets: int = setting(4, "Sentence-length buckets (quantiles).", minimum=1)
    headline_factor: str | None = setting(
        "distance", "Column of the split whose nearest and farthest levels give the headline (null: none).")

    def __post_init__(self) -> None:
        check(self, "bidirectional")


@dataclass(frozen=True)
class SignificanceSettings:
    pass
