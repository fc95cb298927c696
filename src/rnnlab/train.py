"""The training loop shared by every neural model: resumable, deterministic on CPU, divergence-safe.

A model family supplies an :class:`Objective` (its data, batches, loss and validation); this
module owns the optimizer, the LR schedule, gradient clipping, early stopping, checkpoints,
logs and the artefacts of a finished (or diverged) run.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping, Protocol

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from . import checkpoint, train_lock
from .errors import ConfigError
from .io import make_dir, read_json
from .layout import STATUS_FILE

CHECKPOINT = "checkpoint.safetensors"

OPTIMIZERS: Mapping[str, Callable[[list[nn.Parameter], "TrainConfig"], torch.optim.Optimizer]] = MappingProxyType({
    "adamw": lambda params, c: torch.optim.AdamW(params, lr=c.lr, weight_decay=c.weight_decay),
    "sgd": lambda params, c: torch.optim.SGD(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay),
})

SCHEDULES: Mapping[str, Callable[[torch.optim.Optimizer, "TrainConfig"], Any]] = MappingProxyType({
    # Divide the LR by 1/lr_decay when the validation loss stops improving (pytorch/examples).
    "plateau": lambda opt, c: torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, factor=c.lr_decay, patience=c.lr_patience, min_lr=c.min_lr),
    # Cosine annealing over the epochs (Loshchilov & Hutter 2017, without restarts).
    "cosine": lambda opt, c: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=c.epochs, eta_min=c.min_lr),
    "none": lambda opt, c: torch.optim.lr_scheduler.ConstantLR(opt, factor=1.0, total_iters=0),
})


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation and bookkeeping settings; ``clip``/``patience`` None switch them off."""

    epochs: int = 10
    batch_size: int = 32
    eval_batch_size: int = 1  # LM evaluation columns; 1 carries the state over the whole split
    lr: float = 1e-3
    optimizer: str = "adamw"  # a key of OPTIMIZERS
    momentum: float = 0.0  # sgd only
    weight_decay: float = 0.0
    schedule: str = "plateau"  # a key of SCHEDULES
    lr_decay: float = 0.25  # plateau: LR factor when the validation loss did not improve
    lr_patience: int = 0  # plateau: epochs without improvement before decaying
    min_lr: float = 0.0
    clip: float | None = 1.0  # max global gradient norm
    patience: int | None = 3  # stop after this many epochs in a row without a better validation loss
    max_batches: int | None = None  # cap on batches per epoch (quick runs)
    checkpoint_minutes: float | None = 10.0  # also checkpoint mid-epoch this often
    checkpoint_every_batches: int | None = None  # also checkpoint mid-epoch every N batches
    log_every: int = 50  # batches between progress updates (one device sync each)

    # Settings that change how a run is carried out but not its numbers: a checkpoint made
    # with other values of these can still be resumed.
    RUN_ONLY = ("checkpoint_minutes", "checkpoint_every_batches", "log_every")

    def __post_init__(self) -> None:
        for key in ("epochs", "batch_size", "eval_batch_size", "log_every", "max_batches", "checkpoint_every_batches"):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise ConfigError(f"parameter {key!r} must be at least 1, got {value}")
        for key in ("lr", "momentum", "weight_decay", "lr_decay", "min_lr", "lr_patience", "patience"):
            value = getattr(self, key)
            if value is not None and value < 0:
                raise ConfigError(f"parameter {key!r} must not be negative, got {value}")
        for key, value in (("clip", self.clip), ("checkpoint_minutes", self.checkpoint_minutes)):
            if value is not None and value <= 0:
                raise ConfigError(f"parameter {key!r} must be positive or null (off), got {value}")
        for key, registry in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES)):
            if getattr(self, key) not in registry:
                raise ConfigError(f"parameter {key!r} must be one of {', '.join(registry)}, got {getattr(self, key)!r}")

    def results_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in self.RUN_ONLY}


class Objective(Protocol):
    """What a model family provides to the loop."""

    model: nn.Module  # with parameter_groups() -> {group: [parameter, ...]}, for the per-group gradient norms

    def num_batches(self) -> int: ...

    def start_epoch(self, epoch: int) -> None: ...

    def batch_loss(self, index: int) -> tuple[torch.Tensor, int, int]:
        """Mean loss of batch ``index``, the number of items it averages over, tokens read."""

    def carried_state(self) -> dict[str, torch.Tensor]: ...

    def load_carried_state(self, tensors: dict[str, torch.Tensor]) -> None: ...

    def validate(self) -> dict[str, float]:
        """Validation metrics; must include ``valid_loss``."""


@dataclass
class Progress:
    """Where the run is; saved in every checkpoint."""

    epoch: int = 0
    batch: int = 0
    best_loss: float = math.inf
    best_epoch: int = 0
    bad_epochs: int = 0
    stopped_early: bool = False
    train_seconds: float = 0.0
    step_seconds: float = 0.0
    tokens: int = 0
    epoch_seconds: float = 0.0
    epoch_tokens: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class StepLog:
    """Per optimisation step: epoch, mean loss, items averaged, the global gradient norm before clipping
    and the norm of each parameter group (embedding, l0, l1, ..., output) before clipping."""

    epoch: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    units: list[int] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    group_norms: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], groups: list[str]) -> "StepLog":
        """Inverse of :meth:`arrays`; groups missing from ``arrays`` are NaN for the steps logged so far."""
        log = cls(**{k: arrays[k].tolist() for k in ("epoch", "loss", "units", "grad_norm")})
        n = len(log.loss)
        log.group_norms = {g: arrays[f"{GROUP_PREFIX}{g}"].tolist() if f"{GROUP_PREFIX}{g}" in arrays
                           else [math.nan] * n for g in groups}
        return log

    def extend(self, epoch: int, pending: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]],
               groups: list[str]) -> tuple[int, float] | None:
        """Append buffered steps (one device sync) up to the first non-finite loss: (its index in
        ``pending``, its value), or None when all are finite. Each entry is (loss, global norm,
        group norms (G,), units)."""
        if not pending:
            return None
        values = torch.stack([torch.cat([loss.float().view(1), norm.float().view(1), per.float()])
                              for loss, norm, per, _ in pending]).cpu()  # (S, 2 + G)
        for j, (row, (_, _, _, units)) in enumerate(zip(values.tolist(), pending)):
            loss, norm, per = row[0], row[1], row[2:]
            if not math.isfinite(loss):
                return j, loss
            self.epoch.append(epoch)
            self.loss.append(loss)
            self.units.append(units)
            self.grad_norm.append(norm)
            for group, value in zip(groups, per):
                self.group_norms.setdefault(group, []).append(value)
        return None

    def epoch_loss(self, epoch: int) -> float:
        mask = np.asarray(self.epoch) == epoch
        units = np.asarray(self.units, dtype=np.float64)[mask]
        return float(np.sum(np.asarray(self.loss)[mask] * units) / np.sum(units))

    def arrays(self) -> dict[str, np.ndarray]:
        return {"epoch": np.asarray(self.epoch, dtype=np.int64),
                "loss": np.asarray(self.loss, dtype=np.float64),
                "units": np.asarray(self.units, dtype=np.int64),
                "grad_norm": np.asarray(self.grad_norm, dtype=np.float64),
                **{f"{GROUP_PREFIX}{g}": np.asarray(v, dtype=np.float64) for g, v in self.group_norms.items()}}


def _set_deterministic(mode: bool, warn_only: bool) -> None:
    # torch.use_deterministic_algorithms also sets torch._inductor.config.deterministic, which
    # imports the whole compiler stack (about 1.5 s, in every training job); nothing here is
    # compiled, so only the kernels' switch is set where torch exposes it.
    setter = getattr(torch._C, "_set_deterministic_algorithms", None)
    if setter is None:
        torch.use_deterministic_algorithms(mode, warn_only=warn_only)
    else:
        setter(mode, warn_only=warn_only)


@contextlib.contextmanager
def deterministic_torch(threads: int | None) -> Iterator[None]:
    """Deterministic kernels where torch has them and a fixed thread count, restored afterwards."""
    previous = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
                torch.get_num_threads())
    _set_deterministic(True, warn_only=True)
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        _set_deterministic(previous[0], warn_only=previous[1])
        torch.set_num_threads(previous[2])


def _clone_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


GROUP_PREFIX = "grad_norm."


def parameter_group_of(model: nn.Module) -> dict[str, str]:
    """Parameter name -> the group the model's ``parameter_groups()`` puts it in (embedding, l<k>,
    l<k>_reverse, output, ...); a parameter in two groups (a tied weight) belongs to the first."""
    group_of: dict[int, str] = {}
    for group, params in model.parameter_groups().items():
        for p in params:
            group_of.setdefault(id(p), group)
    named = {name: group_of.get(id(p)) for name, p in model.named_parameters()}
    missing = [name for name, group in named.items() if group is None]
    if missing:
        raise ValueError(f"{type(model).__name__}.parameter_groups() leaves out {', '.join(missing)}")
    return named


@dataclass(frozen=True)
class GradGroups:
    """Which group each trainable parameter belongs to, in the order of first appearance."""

    names: list[str]
    index: torch.Tensor  # (P,) group id of each parameter

    @classmethod
    def of(cls, model: nn.Module) -> "GradGroups":
        group_of = parameter_group_of(model)
        groups = [group_of[n] for n, p in model.named_parameters() if p.requires_grad]
        names = list(dict.fromkeys(groups))
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        return cls(names, torch.tensor([names.index(g) for g in groups], dtype=torch.long, device=device))


def _grad_norms(params: list[nn.Parameter], groups: GradGroups,
                clip: float | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Global L2 norm of the gradients before clipping and the norm of each group (G,); clips to ``clip``
    when set. One fused norm per parameter, no host sync: ‖g‖² = Σ_groups ‖g_group‖²."""
    grads = [p.grad if p.grad is not None else torch.zeros((), device=p.device, dtype=p.dtype) for p in params]
    per_param = torch.stack(torch._foreach_norm(grads)).float()  # (P,)
    total = torch.linalg.vector_norm(per_param)
    squares = torch.zeros(len(groups.names), device=per_param.device)
    per_group = squares.index_add_(0, groups.index, per_param.square()).sqrt()  # (G,)
    if clip is not None:
        torch.nn.utils.clip_grads_with_norm_(params, clip, total)
    return total, per_group


def fit(objective: Objective, cfg: TrainConfig, out_dir: Path, *, fingerprint: str, model_meta: dict[str, Any],
        status_extra: dict[str, Any], checkpoint_dir: Path | None = None, threads: int | None = None,
        keep_checkpoint: bool = False) -> dict[str, Any]:
    """Train until ``cfg.epochs`` or early stopping; artefacts go to ``out_dir``.

    A checkpoint in ``checkpoint_dir`` (default ``out_dir``) whose ``fingerprint`` matches is
    resumed; one saved at the end of a completed run gives its artefacts again without training.
    A completed run removes its checkpoint unless ``keep_checkpoint`` (then the caller does, with
    :func:`discard_checkpoint`). Returns the status written to ``status.json`` (``completed`` or
    ``diverged``).
    """
    path = Path(checkpoint_dir if checkpoint_dir is not None else out_dir) / CHECKPOINT
    # The lock comes first: a second trainer of the same run is refused before it touches anything.
    with train_lock.hold(path.parent), deterministic_torch(threads):  # hold() removes the folder once it is empty
        return _Run(objective, cfg, Path(out_dir), path, fingerprint, model_meta, status_extra, keep_checkpoint).run()


def discard_checkpoint(checkpoint_dir: Path, out_dir: Path) -> None:
    """Remove the checkpoint that a completed run kept (``fit(keep_checkpoint=True)``), and its folder
    if that leaves it empty. A diverged run keeps its last good checkpoint, as :func:`fit` leaves it."""
    status = Path(out_dir) / STATUS_FILE
    if not status.exists() or read_json(status).get("status") != "completed":
        return
    folder = Path(checkpoint_dir)
    (folder / CHECKPOINT).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()


class _Run:
    def __init__(self, objective: Objective, cfg: TrainConfig, out_dir: Path, checkpoint_path: Path,
                 fingerprint: str, model_meta: dict[str, Any], status_extra: dict[str, Any],
                 keep_checkpoint: bool = False) -> None:
        self.objective, self.cfg, self.out_dir, self.checkpoint_path = objective, cfg, out_dir, checkpoint_path
        self.keep_checkpoint = keep_checkpoint
        self.fingerprint, self.model_meta, self.status_extra = fingerprint, model_meta, status_extra
        self.model = objective.model
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.groups = GradGroups.of(self.model)
        self.optimizer = OPTIMIZERS[cfg.optimizer](self.params, cfg)
        self.scheduler = SCHEDULES[cfg.schedule](self.optimizer, cfg)
        self.progress, self.log = Progress(), StepLog()
        self.best: dict[str, torch.Tensor] | None = None
        self.fallback = _clone_weights(self.model)
        self.carried: dict[str, torch.Tensor] = {}
        self.mark = time.perf_counter()
        self.last_save = time.monotonic()

    def run(self) -> dict[str, Any]:
        make_dir(self.out_dir)
        (self.out_dir / STATUS_FILE).unlink(missing_ok=True)
        try:
            return self._run()
        except KeyboardInterrupt:
            print(self._interrupted_message(), file=sys.stderr)
            raise

    def _interrupted_message(self) -> str:
        if self.checkpoint_path.exists():
            return (f"training interrupted: the checkpoint {self.checkpoint_path} is kept; "
                    "rerun the same command to resume from it")
        return "training interrupted before its first checkpoint; a rerun starts from the beginning"

    def _run(self) -> dict[str, Any]:
        self._resume()
        self.mark = time.perf_counter()
        for epoch in range(self.progress.epoch, self.cfg.epochs):
            if self.progress.stopped_early:
                break
            diverged = self._train_epoch(epoch)
            if diverged is not None:
                return self._finish("diverged", diverged)
            metrics = self.objective.validate()
            if not (math.isfinite(metrics["valid_loss"]) and self._weights_finite()):
                return self._finish("diverged", {"step": len(self.log.loss), "epoch": epoch + 1,
                                                 "batch": self.progress.batch, "where": "validation"})
            self._end_epoch(epoch, metrics)
        return self._finish("completed", {})

    def _resume(self) -> None:
        path = self.checkpoint_path
        saved = checkpoint.load(path)
        if saved is None:
            return
        if saved["fingerprint"] != self.fingerprint:
            print(f"{path}: made with other settings or data; starting afresh", file=sys.stderr)
            return
        self.model.load_state_dict(saved["model"])
        self.optimizer.load_state_dict(saved["optimizer"])
        self.scheduler.load_state_dict(saved["scheduler"])
        self.progress = Progress(**saved["progress"])
        self.log = StepLog.from_arrays({k: np.asarray(v) for k, v in saved["steps"].items()}, self.groups.names)
        self.best = saved["best"]
        self.fallback = _clone_weights(self.model)
        self.carried = saved["carried"]
        checkpoint.set_rng_state(saved["rng"])
        if self.progress.epoch >= self.cfg.epochs or self.progress.stopped_early:
            print(f"{path}: this run finished training earlier; writing its results from the checkpoint",
                  file=sys.stderr)
        else:
            print(f"resuming from {path} at epoch {self.progress.epoch + 1}, batch {self.progress.batch}",
                  file=sys.stderr)

    def _tick(self, stepping: bool) -> None:
        now = time.perf_counter()
        self.progress.train_seconds += now - self.mark
        if stepping:
            self.progress.epoch_seconds += now - self.mark
        self.mark = now

    def _weights_finite(self) -> bool:
        """Checked before every checkpoint, so that the last checkpoint is always a usable one."""
        return all(bool(torch.isfinite(p).all()) for p in self.params)

    def _save(self, stepping: bool) -> None:
        self._tick(stepping)
        checkpoint.save(self.checkpoint_path, {
            "fingerprint": self.fingerprint,
            "progress": asdict(self.progress),
            "steps": {k: torch.from_numpy(v) for k, v in self.log.arrays().items()},
            "model": self.model.state_dict(),
            "best": self.best,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "rng": checkpoint.rng_state(),
            "carried": self.objective.carried_state(),
        })
        self._tick(stepping=False)  # writing the checkpoint does not count as training-step time
        self.last_save = time.monotonic()

    def _save_due(self) -> bool:
        every, minutes = self.cfg.checkpoint_every_batches, self.cfg.checkpoint_minutes
        if every is not None and self.progress.batch % every == 0:
            return True
        return minutes is not None and time.monotonic() - self.last_save >= 60 * minutes

    def _train_epoch(self, epoch: int) -> dict[str, Any] | None:
        """Run the remaining batches of ``epoch``; divergence details if a loss is not finite."""
        cfg, progress, objective = self.cfg, self.progress, self.objective
        objective.start_epoch(epoch)
        if progress.batch > 0:
            objective.load_carried_state(self.carried)
        total = objective.num_batches() if cfg.max_batches is None else min(cfg.max_batches, objective.num_batches())
        bar = tqdm(total=total, initial=progress.batch, desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch",
                   leave=False, disable=not sys.stderr.isatty())
        pending: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]] = []
        self.model.train()
        for index in range(progress.batch, total):
            self.optimizer.zero_grad(set_to_none=True)
            loss, units, tokens = objective.batch_loss(index)
            loss.backward()
            norm, per_group = _grad_norms(self.params, self.groups, cfg.clip)
            self.optimizer.step()
            pending.append((loss.detach(), norm.detach(), per_group.detach(), units))
            progress.batch = index + 1
            progress.epoch_tokens += tokens
            save = index + 1 < total and self._save_due()
            if save or len(pending) >= cfg.log_every or index + 1 == total:
                bad = self.log.extend(epoch, pending, self.groups.names)
                if bad is not None:
                    bar.close()
                    return {"step": len(self.log.loss) + 1, "epoch": epoch + 1,
                            "batch": index + 2 - len(pending) + bad[0], "loss": repr(bad[1]), "where": "training"}
                bar.update(len(pending))
                bar.set_postfix(loss=f"{self.log.loss[-1]:.3f}")
                pending.clear()
            if save:
                if not self._weights_finite():
                    bar.close()
                    return {"step": len(self.log.loss), "epoch": epoch + 1, "batch": index + 1, "where": "update"}
                self._save(stepping=True)
        bar.close()
        self._tick(stepping=True)
        return None

    def _end_epoch(self, epoch: int, metrics: dict[str, float]) -> None:
        progress, cfg = self.progress, self.cfg
        seconds = progress.epoch_seconds
        row = {"epoch": epoch + 1, "train_loss": self.log.epoch_loss(epoch), **metrics,
               "lr": self.optimizer.param_groups[0]["lr"], "seconds": seconds, "tokens": progress.epoch_tokens,
               "tokens_per_s": progress.epoch_tokens / seconds if seconds > 0 else math.nan}
        progress.history.append(row)
        if metrics["valid_loss"] < progress.best_loss:
            progress.best_loss, progress.best_epoch, progress.bad_epochs = metrics["valid_loss"], epoch + 1, 0
            self.best = _clone_weights(self.model)
        else:
            progress.bad_epochs += 1
        if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(metrics["valid_loss"])
        else:
            self.scheduler.step()
        progress.step_seconds += seconds
        progress.tokens += progress.epoch_tokens
        progress.epoch, progress.batch, progress.epoch_seconds, progress.epoch_tokens = epoch + 1, 0, 0.0, 0
        progress.stopped_early = cfg.patience is not None and progress.bad_epochs >= cfg.patience
        checkpoint.write_history(self.out_dir, progress.history)
        self._save(stepping=False)
        shown = " ".join(f"{k} {v:.4g}" for k, v in row.items() if k != "epoch")
        print(f"epoch {epoch + 1}/{cfg.epochs} {shown}", file=sys.stderr)

    def _finish(self, outcome: str, details: dict[str, Any]) -> dict[str, Any]:
        progress = self.progress
        # A finished run keeps its best epoch; a diverged one its best epoch or the last good start.
        weights = self.best if self.best is not None else self.fallback
        if outcome == "diverged" and self.checkpoint_path.exists():
            details = {**details, "checkpoint": str(self.checkpoint_path)}
        status = {
            "status": outcome,
            **details,
            "epochs_run": progress.epoch,
            "best_epoch": progress.best_epoch,
            "best_valid_loss": progress.best_loss,
            "stopped_early": progress.stopped_early,
            "train_seconds": progress.train_seconds,
            "tokens_per_s": progress.tokens / progress.step_seconds if progress.step_seconds > 0 else None,
            "steps": len(self.log.loss),
            "params": sum(p.numel() for p in self.model.parameters()),
            "threads": torch.get_num_threads(),
            **self.status_extra,
        }
        checkpoint.write_artefacts(self.out_dir, weights, self.model_meta, progress.history, self.log.arrays(), status)
        if outcome == "completed" and not self.keep_checkpoint:
            self.checkpoint_path.unlink(missing_ok=True)
        return status
